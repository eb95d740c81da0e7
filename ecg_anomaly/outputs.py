"""The one writer of a scored set: per-beat table, ``metrics.json``, report and plots, console.

Training, eval, predict and detect all end here, with the model that evaluated the set (its
:attr:`~ecg_anomaly.models.base.AnomalyModel.evaluations`, post-processing and loss history)
and the data module that served it (its description, warnings and per-beat columns). Every file
is written from the same evaluation, each atomically (a temporary file renamed when complete),
so an interrupted run never leaves a half-written file that looks finished.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ecg_anomaly.anomaly.evaluation import DECIDING, Evaluation
from ecg_anomaly.utils.results import atomic_path, format_table, write_json

log = logging.getLogger(__name__)

#: What each file holds, for ``report.md``.
FILES = {
    "metrics.json": "every metric of this run (flat JSON; abnormal is the positive class).",
    "scores.csv": "one row per scored beat: `index` (row in the data file), `label` (0 normal, 1 "
    "abnormal, where known), `class` (the source's class code, where known), `score` (higher = "
    "more abnormal), `flag` (1 = flagged abnormal: score >= threshold); with score terms "
    "(recordings) also `shape` (the model's own score), its parts and the beat's features.",
    "beats.csv": "one row per detected beat: `time` (s), `sample`, `rr_prev`/`rr_next` (s), "
    "`prematurity`, `shape` (the model's score), `score` (with timing), `flag` (1 = abnormal), "
    "`type` (V ventricular / S supraventricular, flagged beats), `votes` (R-peak detectors "
    "that agreed), `symbol`, `aami` and `label` of the matched annotation.",
    "annotations.flag": "the flagged beats as a WFDB annotation file (`wfdb.rdann(record, "
    "'flag')`): `V` and `S` as typed, at each beat's R peak.",
}


def run_results(
    model: Any,
    datamodule: Any,
    info: Mapping[str, Any],
) -> dict[str, Any]:
    """The flat results of a tested model (``metrics.json``).

    Args:
        model: The model after ``trainer.test`` (evaluations, post-processing, history).
        datamodule: Its data module (``describe()``, ``warnings``).
        info: Entries of the run (``seed``, ``experiment``, ``checkpoint``, times...).
    """
    evaluations: Mapping[str, Evaluation] = model.evaluations
    results: dict[str, Any] = {}
    for ev in evaluations.values():
        results |= ev.metrics
    thresholds = model.post.thresholds
    results["threshold"] = thresholds[DECIDING]
    results |= {f"threshold/{k}": v for k, v in thresholds.items() if k != DECIDING}
    results |= model.post.describe()
    data = datamodule.describe() if hasattr(datamodule, "describe") else {}
    results |= {
        "positive_class": data.pop("positive_class", "abnormal (label 1)"),
        "model": type(model).__name__,
        "split": next(iter(evaluations)),
        "warnings": [
            *getattr(datamodule, "warnings", []),
            *model.fit_warnings,
            *model.learning_warnings(),
            *(w for ev in evaluations.values() for w in ev.warnings),
        ],
    }
    if model.history:
        last = model.history[-1]
        results["epochs"] = int(last["epoch"]) + 1
        # the last epoch's losses; a plot-only curve (LossCurve) is not a result
        results |= {k: v for k, v in last.items() if k != "epoch" and not k.startswith("curve/")}
    results |= {f"data/{k}": v for k, v in data.items()}
    return results | dict(info)


def beat_table(
    evaluation: Evaluation, datamodule: Any = None, columns: Mapping[str, Any] | None = None
) -> Any:
    """One row per scored beat (``scores.csv`` / ``beats.csv``) as a pandas DataFrame.

    Args:
        evaluation: The evaluated split.
        datamodule: Its data module; its ``beat_table(rows)`` columns come first (recordings).
        columns: More per-beat columns (the post-processing's, e.g. ``type``).
    """
    import pandas as pd

    s = evaluation.scores
    table: dict[str, Any] = {"index": np.asarray(s.rows)}
    described = getattr(datamodule, "beat_table", None)
    if callable(described):
        table |= {k: np.asarray(v) for k, v in described(s.rows).items()}
    if s.labels is not None:
        table["label"] = np.asarray(s.labels, dtype=np.int64)
    if s.classes is not None:
        table["class"] = np.asarray(s.classes, dtype=np.int64)
    table |= {k: np.asarray(v) for k, v in s.extras.items()}
    table["score"] = np.asarray(s.scores, dtype=np.float64)
    table["flag"] = evaluation.deciding_flags
    table |= dict(columns or {})
    frame = pd.DataFrame(table)
    unscored = getattr(datamodule, "unscored_rows", None)
    rows = unscored(s.split) if callable(unscored) else []
    if len(rows):  # listed beats the split's scores leave out (a recording's ends): no score
        frame["scored"] = 1
        listed = {"index": rows, **datamodule.beat_table(rows), "scored": 0, "flag": 0}
        frame = pd.concat([frame, pd.DataFrame(listed)], ignore_index=True)
        frame = frame.sort_values("index", kind="stable", ignore_index=True)
    return frame


def write_table(path: str | os.PathLike, table: Any) -> Path:
    """Write a DataFrame as CSV atomically, at full precision."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.9g")
    return Path(path)


def console_table(evaluation: Evaluation, title: str) -> str:
    """The headline metrics of an evaluation (deciding and extra thresholds)."""
    table: dict[str, Any] = {}
    for name in evaluation.thresholds:
        table |= evaluation.table(name)
    return format_table(table, title=title)


def write_results(
    out_dir: str | os.PathLike,
    model: Any,
    datamodule: Any,
    *,
    info: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
    report: bool = True,
    formats: Sequence[str] = ("png",),
    latent: str | None = "pca",
    table_name: str | None = None,
    title: str = "",
    notebook: Sequence[str] = (),
) -> dict[str, Any]:
    """Write everything a tested model's evaluation gives, and print its table.

    Args:
        out_dir: The run folder.
        model: The model after ``trainer.test`` (``model.evaluations`` set).
        datamodule: The data module that served the tested split.
        info: Entries of the run for ``metrics.json``.
        warnings: More warnings of the run (shown first, and logged).
        report: Also draw the plots and write ``report.md``.
        formats: Plot file formats.
        latent: Latent-space projection of the report (``pca``, ``tsne``, ``umap``, None).
        table_name: The per-beat file (default: the data module's ``table_name``, else
            ``scores.csv``); a path outside the run folder is allowed (predict's ``output``).
        title: Experiment, model and seed, for the report's and the figures' titles.
        notebook: The recipe's notebook figures to draw too (``notebook_figures``).

    Returns:
        The flat results written to ``metrics.json``.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = run_results(model, datamodule, info or {})
    results["warnings"] = [*warnings, *results["warnings"]]
    for warning in warnings:
        log.warning(warning)
    main = next(iter(model.evaluations.values()))
    name = table_name or getattr(datamodule, "table_name", "scores.csv")
    table = beat_table(main, datamodule, model.post.columns(main))
    write_table(out_dir / name, table)
    exporter = getattr(datamodule, "export_flags", None)
    if callable(exporter):
        exported = exporter(out_dir, table)
        results |= {f"files/{k}": str(v) for k, v in exported.items()}
    if report:
        from ecg_anomaly.plots.report import write_report

        report_path = write_report(
            out_dir,
            model,
            datamodule,
            results,
            formats=formats,
            latent=latent,
            title=title,
            files=FILES,
            table_name=Path(name).name,
            notebook=notebook,
        )
        log.info("Report written to %s", report_path)
    results["time/write_seconds"] = time.perf_counter() - started  # all but metrics.json
    write_json(out_dir / "metrics.json", results)
    log.info("Wrote %s (%d beats), metrics.json%s in %.1f s", name, len(table),
             ", report.md and plots" if report else "", time.perf_counter() - started)  # fmt: skip
    print(console_table(main, title or "metrics"))
    print(f"Results in {out_dir}")
    return results
