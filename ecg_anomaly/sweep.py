"""Multi-runs: record a failed job, and summarise every job of a sweep when the sweep ends.

``ecg-anomaly-train -m model=dense_ae seed=0,1,2`` runs one job per combination, each in its
own folder under the sweep folder. A job that succeeds leaves ``metrics.json``; a job that
raises leaves ``failure.json`` (written by :func:`write_failure`, so one bad combination does
not stop the others). When the sweep ends, the Hydra callback :class:`SweepSummary`
(registered in ``conf/hydra/default.yaml``) reads both kinds and writes ``summary.csv`` (every
metric of every job) and ``summary.md`` (the main metrics, failures with their error, and the
mean and standard deviation over seeds) into the sweep folder.

This module is imported by Hydra in the launching process, so it imports no Lightning or torch.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import statistics
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger(__name__)

METRICS_FILE = "metrics.json"
FAILURE_FILE = "failure.json"

#: Columns of ``summary.md``, when a job has them (``summary.csv`` has every key).
MAIN_METRICS = (
    "test/accuracy",
    "test/precision",
    "test/recall",
    "test/f1",
    "test/auroc",
    "test/auprc",
    "threshold",
    "val/loss",
    "val/auroc",
    "time/fit_seconds",
)


def write_failure(output_dir: str | Path, error: BaseException, overrides: Sequence[str]) -> Path:
    """Record a failed job in ``<output_dir>/failure.json``.

    Args:
        output_dir: The job's folder.
        error: The exception that ended it.
        overrides: The job's command-line overrides.

    Returns:
        The path of the record.
    """
    from ecg_anomaly.utils.results import write_json

    record = {
        "status": "failed",
        "error": f"{type(error).__name__}: {error}",
        "overrides": list(overrides),
        "traceback": "".join(traceback.format_exception(error)),
    }
    return write_json(Path(output_dir) / FAILURE_FILE, record)


@dataclass
class JobRecord:
    """What one job of a sweep left behind.

    Attributes:
        job: The job's folder, relative to the sweep folder (``"0"``, ``"1"``, ...).
        status: ``"ok"`` (``metrics.json``), ``"failed"`` (``failure.json``) or ``"missing"``
            (neither: the job was killed or is still running).
        overrides: The job's overrides.
        metrics: The contents of ``metrics.json``.
        error: The error of a failed job.
    """

    job: str
    status: str
    overrides: list[str]
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _read_overrides(path: Path) -> list[str]:
    # Hydra writes one "- key=value" line per override; yaml would be overkill here.
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        if line.startswith("- "):
            value = line[2:].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            out.append(value)
    return out


def _job_key(name: str) -> tuple[int, int | str]:
    return (0, int(name)) if name.isdigit() else (1, name)


def collect_jobs(sweep_dir: str | Path) -> list[JobRecord]:
    """Find every job under a sweep folder (by Hydra's ``.hydra/overrides.yaml``) and read it.

    Args:
        sweep_dir: The sweep folder (``hydra.sweep.dir``).

    Returns:
        One record per job, in job order.
    """
    sweep_dir = Path(sweep_dir)
    job_dirs = {p.parent.parent for p in sweep_dir.glob("**/.hydra/overrides.yaml")}
    job_dirs |= {p.parent for p in sweep_dir.glob(f"**/{METRICS_FILE}")}
    job_dirs |= {p.parent for p in sweep_dir.glob(f"**/{FAILURE_FILE}")}
    records = []
    for job_dir in job_dirs:
        name = job_dir.relative_to(sweep_dir).as_posix()
        if name == "." or name.startswith(".submitit"):
            continue
        overrides = _read_overrides(job_dir / ".hydra" / "overrides.yaml")
        metrics = _read_json(job_dir / METRICS_FILE)
        failure = _read_json(job_dir / FAILURE_FILE)
        if metrics is not None:
            records.append(JobRecord(name, "ok", overrides, metrics))
        elif failure is not None:
            overrides = overrides or list(failure.get("overrides", []))
            records.append(JobRecord(name, "failed", overrides, error=failure.get("error")))
        else:
            records.append(JobRecord(name, "missing", overrides, error="no metrics.json"))
    return sorted(records, key=lambda r: _job_key(r.job))


def _common_overrides(records: Sequence[JobRecord]) -> list[str]:
    if not records:
        return []
    common = set(records[0].overrides)
    for record in records[1:]:
        common &= set(record.overrides)
    return [o for o in records[0].overrides if o in common]


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def _md_cell(value: Any) -> str:
    return _fmt(value).replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return lines


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _seed_groups(
    records: Sequence[JobRecord], varying: Mapping[str, list[str]]
) -> dict[str, list[JobRecord]]:
    groups: dict[str, list[JobRecord]] = {}
    for record in records:
        if record.status == "ok":
            key = " ".join(o for o in varying[record.job] if not o.startswith("seed="))
            groups.setdefault(key, []).append(record)
    return groups


def write_summary(sweep_dir: str | Path, records: Sequence[JobRecord]) -> tuple[Path, Path]:
    """Write ``summary.csv`` and ``summary.md`` of a sweep's jobs into its folder.

    Args:
        sweep_dir: The sweep folder.
        records: The jobs, from :func:`collect_jobs`.

    Returns:
        The paths of the CSV and the Markdown file.
    """
    sweep_dir = Path(sweep_dir)
    common = _common_overrides(records)
    varying = {r.job: [o for o in r.overrides if o not in common] for r in records}
    keys: list[str] = [k for k in MAIN_METRICS if any(k in r.metrics for r in records)]
    for record in records:
        keys += [k for k in record.metrics if k not in keys]

    csv_path = sweep_dir / "summary.csv"
    with csv_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["job", "status", "overrides", "error", *keys])
        for r in records:
            row = [r.job, r.status, " ".join(varying[r.job]), r.error or ""]
            writer.writerow(row + [r.metrics.get(k, "") for k in keys])

    main = [k for k in MAIN_METRICS if k in keys]
    n_ok = sum(r.status == "ok" for r in records)
    lines = [
        f"# Sweep summary: {sweep_dir}",
        "",
        f"{len(records)} jobs: {n_ok} ok, {len(records) - n_ok} failed or missing.",
    ]
    if common:
        lines += ["", "Overrides shared by every job: `" + " ".join(common) + "`"]
    rows = [
        [r.job, r.status, " ".join(varying[r.job]), *(r.metrics.get(k) for k in main), r.error]
        for r in records
    ]
    lines += ["", "## Jobs", "", *_md_table(["job", "status", "overrides", *main, "error"], rows)]
    groups = _seed_groups(records, varying)
    if any(len(g) > 1 for g in groups.values()):
        stats_rows = []
        for name, group in groups.items():
            cells = []
            for k in main:
                values = [float(r.metrics[k]) for r in group if _numeric(r.metrics.get(k))]
                values = [v for v in values if not math.isnan(v)]
                if not values:
                    cells.append("")
                elif len(values) == 1:
                    cells.append(f"{values[0]:.4f}")
                else:
                    cells.append(f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}")
            stats_rows.append([name or "(all)", len(group), *cells])
        lines += ["", "## Mean ± std over seeds", ""]
        lines += _md_table(["overrides", "runs", *main], stats_rows)
    md_path = sweep_dir / "summary.md"
    md_path.write_text("\n".join(lines) + "\n")
    return csv_path, md_path


class SweepSummary(Callback):
    """Hydra callback: writes ``summary.csv`` and ``summary.md`` when a multi-run ends."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Summarise the jobs found in ``hydra.sweep.dir``."""
        sweep_dir = Path(str(config.hydra.sweep.dir))
        records = collect_jobs(sweep_dir)
        if not records:
            log.warning("no jobs found in %s: no sweep summary written", sweep_dir)
            return
        _, md_path = write_summary(sweep_dir, records)
        failed = [r for r in records if r.status != "ok"]
        log.info("Sweep summary of %d jobs in %s", len(records), md_path)
        for record in failed:
            overrides = " ".join(record.overrides)
            log.warning("job %s (%s) %s: %s", record.job, overrides, record.status, record.error)
