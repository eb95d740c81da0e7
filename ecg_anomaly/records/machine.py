"""Where and how long a benchmark ran: the machine, CPU seconds, the times of an earlier run."""

from __future__ import annotations

import json
import os
import platform
import resource
from pathlib import Path
from typing import Any


def machine(launcher: str, jobs: int, threads: int, load: float) -> str:
    """CPU, cores, load at the start, launcher, jobs and threads, for the results' header."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores (load average {load:.1f} at the start), launcher "
        f"{launcher}, {jobs} jobs, {threads} torch thread(s) per job"
    )


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and the processes it ran (the jobs).

    On a shared machine the wall clock depends on the other users; this does not.
    """
    own, jobs = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + jobs.ru_utime + jobs.ru_stime


def earlier_times(path: Path) -> dict[str, Any]:
    """The command, machine and times of an earlier summary (none when there is none)."""
    try:
        earlier = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    keep = ("command", "machine", "records/run", "time/sweep_seconds", "time/total_seconds",
            "time/cpu_seconds")  # fmt: skip
    return {k: earlier[k] for k in keep if k in earlier}
