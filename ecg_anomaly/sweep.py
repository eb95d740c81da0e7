"""Multi-runs: record a failed job, and summarise every job of a sweep when the sweep ends.

``ecg-anomaly-train -m model=dense_ae seed=0,1,2`` runs one job per combination, each in its
own folder under the sweep folder. A job that succeeds leaves ``metrics.json``; a job that
raises leaves ``failure.json`` (written by :func:`write_failure`, so one bad combination does
not stop the others). When the sweep ends, the Hydra callback :class:`SweepSummary`
(registered in ``conf/hydra/default.yaml``) reads both kinds (Hydra's own files with OmegaConf),
aggregates them with pandas into ``summary.csv`` (every metric of every job) and ``summary.md``
(the main metrics, failures with their error, mean and standard deviation over seeds), and
makes the sweep exit with code 1 when a job failed.

This module is imported by Hydra in the launching process, so it imports no Lightning or torch.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

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


def write_failure(
    output_dir: str | Path,
    error: BaseException,
    overrides: Sequence[str],
    *,
    status: str = "failed",
    rerun: str | None = None,
) -> Path:
    """Record a failed or interrupted run in ``<output_dir>/failure.json`` (with its traceback).

    Args:
        output_dir: The run's folder.
        error: The exception that ended it.
        overrides: The run's command-line overrides.
        status: ``failed`` or ``interrupted``.
        rerun: The command that resumes or reruns it.

    Returns:
        The path of the record.
    """
    from ecg_anomaly.utils.results import write_json

    record = {
        "status": status,
        "error": f"{type(error).__name__}: {error}",
        "overrides": list(overrides),
        "rerun": rerun,
        "traceback": "".join(traceback.format_exception(error)),
    }
    return write_json(Path(output_dir) / FAILURE_FILE, record)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _job_key(name: str) -> tuple[int, int | str]:
    return (0, int(name)) if name.isdigit() else (1, name)


def collect_jobs(sweep_dir: str | Path) -> list[dict[str, Any]]:
    """Find every job under a sweep folder (by Hydra's ``.hydra/overrides.yaml``) and read it.

    Args:
        sweep_dir: The sweep folder (``hydra.sweep.dir``).

    Returns:
        One record per job, in job order: ``job``, ``status`` (``ok``: ``metrics.json``,
        ``failed``: ``failure.json``, ``missing``: neither, the job was killed or still runs),
        ``overrides`` (a list), ``error`` and ``metrics`` (a dict).
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
        overrides_file = job_dir / ".hydra" / "overrides.yaml"
        # as written: an override may hold an interpolation of a job's key (data.record=${record})
        overrides = (
            OmegaConf.to_container(OmegaConf.load(overrides_file), resolve=False)
            if overrides_file.is_file()
            else []
        )
        metrics, failure = _read_json(job_dir / METRICS_FILE), _read_json(job_dir / FAILURE_FILE)
        record = {"job": name, "overrides": overrides, "error": None, "metrics": {}}
        if metrics is not None:
            record |= {"status": "ok", "metrics": metrics}
        elif failure is not None:
            record |= {"status": "failed", "error": failure.get("error")}
            record["overrides"] = overrides or list(failure.get("overrides", []))
        else:
            record |= {"status": "missing", "error": f"no {METRICS_FILE}"}
        records.append(record)
    return sorted(records, key=lambda r: _job_key(r["job"]))


def jobs_frame(records: Sequence[dict[str, Any]]) -> Any:
    """One row per job: ``job``, ``status``, ``overrides`` (those that vary), ``error``, metrics.

    The overrides shared by every job are left out of the ``overrides`` column; the frame's
    ``attrs["common"]`` holds them.
    """
    import pandas as pd

    lists = [r["overrides"] for r in records]
    common = [o for o in (lists[0] if lists else []) if all(o in other for other in lists)]
    rows = [
        {
            # lists in metrics.json (its own overrides, warnings) do not fit a table cell
            **{k: v for k, v in r["metrics"].items() if not isinstance(v, list | dict)},
            "job": r["job"],
            "status": r["status"],
            "overrides": " ".join(o for o in r["overrides"] if o not in common),
            "error": r["error"] or "",
        }
        for r in records
    ]
    frame = pd.DataFrame(rows)
    frame.attrs["common"] = common
    return frame


def seed_stats(frame: Any, metrics: Sequence[str]) -> Any:
    """Mean, standard deviation and count over seeds of each combination of the other overrides."""
    import pandas as pd

    ok = frame[frame["status"] == "ok"]
    numeric = ok[list(metrics)].apply(pd.to_numeric, errors="coerce")
    numeric["combination"] = ok["overrides"].map(
        lambda s: " ".join(o for o in s.split() if not o.startswith("seed=")) or "(all)"
    )
    return numeric.groupby("combination", sort=False).agg(["mean", "std", "count"])


def _cell(value: Any) -> str:
    import pandas as pd

    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = f"{value:.4f}" if isinstance(value, float) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]


def write_summary(sweep_dir: str | Path, records: Sequence[dict[str, Any]]) -> tuple[Path, Path]:
    """Write ``summary.csv`` and ``summary.md`` of a sweep's jobs into its folder.

    Returns:
        The paths of the CSV and the Markdown file.
    """
    sweep_dir = Path(sweep_dir)
    frame = jobs_frame(records)
    first = ["job", "status", "overrides", "error"]
    main = [k for k in MAIN_METRICS if k in frame]
    frame = frame[[*first, *main, *(c for c in frame if c not in (*first, *main))]]
    csv_path = sweep_dir / "summary.csv"
    frame.to_csv(csv_path, index=False)

    n_ok = int((frame["status"] == "ok").sum())
    lines = [
        f"# Sweep summary: {sweep_dir}",
        "",
        f"{len(frame)} jobs: {n_ok} ok, {len(frame) - n_ok} failed or missing.",
    ]
    if frame.attrs["common"]:
        lines += ["", "Overrides shared by every job: `" + " ".join(frame.attrs["common"]) + "`"]
    table = frame[["job", "status", "overrides", *main, "error"]]
    lines += ["", "## Jobs", "", *_md_table(list(table.columns), table.values.tolist())]
    stats = seed_stats(frame, main) if main and n_ok else None
    if stats is not None and (stats.xs("count", axis=1, level=1).max(axis=1) > 1).any():
        rows = []
        for name, row in stats.iterrows():
            cells = []
            for k in main:
                mean, std, count = row[(k, "mean")], row[(k, "std")], row[(k, "count")]
                cells.append(
                    "" if count == 0 else f"{mean:.4f}" if count == 1 else f"{mean:.4f} ± {std:.4f}"
                )
            rows.append([name, int(row[(main[0], "count")]), *cells])
        lines += [
            "",
            "## Mean ± std over seeds",
            "",
            *_md_table(["overrides", "runs", *main], rows),
        ]
    md_path = sweep_dir / "summary.md"
    md_path.write_text("\n".join(lines) + "\n")
    return csv_path, md_path


class SweepSummary(Callback):
    """Hydra callback: writes ``summary.csv`` and ``summary.md`` when a multi-run ends.

    The sweep then exits with code 1 when any job failed or left no results, so a script or a
    CI job notices.
    """

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        """Summarise the jobs found in ``hydra.sweep.dir``."""
        sweep_dir = Path(str(config.hydra.sweep.dir))
        records = collect_jobs(sweep_dir)
        if not records:
            log.warning("no jobs found in %s: no sweep summary written", sweep_dir)
            return
        _, md_path = write_summary(sweep_dir, records)
        failed = [r for r in records if r["status"] != "ok"]
        log.info("Sweep summary of %d jobs in %s", len(records), md_path)
        for r in failed:
            log.error(
                "job %s (%s) %s: %s", r["job"], " ".join(r["overrides"]), r["status"], r["error"]
            )
        if failed:
            log.error(
                "%d of %d jobs failed; the sweep exits with code 1", len(failed), len(records)
            )
            sys.exit(1)
