"""The files of a run, all written from its evaluations: metrics, scores, report and plots.

``metrics.json`` holds the flat results, ``scores.csv`` one row per beat of the evaluated split,
``report.md`` the tables, warnings and plots; the console gets the same table.
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
from ecg_anomaly.utils.results import format_table, write_json

log = logging.getLogger(__name__)

#: What each file holds, for ``report.md``.
FILES = {
    "metrics.json": "every metric of this run (flat JSON; abnormal is the positive class).",
    "scores.csv": "one row per scored beat: `index` (row in the data file), `label` (0 normal, 1 "
    "abnormal, where known), `class` (the source's class code, where known), `score` (higher = "
    "more abnormal), `flag` (1 = flagged abnormal: score >= threshold); with timing in the "
    "score (recordings) also `shape` (the model's score alone) and `prematurity`.",
}


def run_results(
    evaluations: Mapping[str, Evaluation],
    thresholds: Mapping[str, float],
    *,
    model: str,
    fit: Mapping[str, Any],
    data: Mapping[str, Any],
    info: Mapping[str, Any],
) -> dict[str, Any]:
    """The flat results of a run (``metrics.json``).

    Args:
        evaluations: The evaluated splits, the main one first.
        thresholds: ``"threshold"`` (deciding) and the extras by name.
        model: The model's class name.
        fit: What fitting recorded: ``epochs``, ``seconds``, ``losses``, ``warnings``.
        data: The data module's description (split sizes, ...), keys prefixed ``data/``.
        info: Extra entries (``seed``, ``experiment``, ``checkpoint``, ...).
    """
    results: dict[str, Any] = {}
    for ev in evaluations.values():
        results |= ev.metrics
    results["threshold"] = thresholds[DECIDING]
    results |= {f"threshold/{k}": v for k, v in thresholds.items() if k != DECIDING}
    results |= {
        "positive_class": "abnormal (label 1)",
        "model": model,
        "split": next(iter(evaluations)),
        "warnings": [
            *fit.get("warnings", []),
            *(w for ev in evaluations.values() for w in ev.warnings),
        ],
    }
    if "epochs" in fit:
        results["epochs"] = fit["epochs"]
    results |= {f"data/{k}": v for k, v in data.items()}
    results |= dict(fit.get("losses", {}))
    results |= dict(info)
    if "seconds" in fit:
        results["time/fit_seconds"] = fit["seconds"]
    return results


def write_scores_csv(path: str | os.PathLike, evaluation: Evaluation) -> Path:
    """One row per beat: ``index[,label][,class],score,flag`` (full precision scores)."""
    import pandas as pd

    s = evaluation.scores
    columns: dict[str, Any] = {"index": np.asarray(s.rows)}
    if s.labels is not None:
        columns["label"] = np.asarray(s.labels, dtype=np.int64)
    if s.classes is not None:
        columns["class"] = np.asarray(s.classes, dtype=np.int64)
    columns["score"] = np.asarray(s.scores, dtype=np.float64)
    columns["flag"] = evaluation.deciding_flags
    columns |= {k: np.asarray(v) for k, v in s.extras.items()}  # e.g. shape, prematurity
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(columns).to_csv(path, index=False, float_format="%.9g")
    return path


def console_table(evaluations: Mapping[str, Evaluation], title: str) -> str:
    """The headline metrics of the main evaluation (deciding and extra thresholds)."""
    main = next(iter(evaluations.values()))
    table: dict[str, Any] = {}
    for name in main.thresholds:
        table |= main.table(name)
    return format_table(table, title=title)


def write_outputs(
    out_dir: str | os.PathLike,
    *,
    results: Mapping[str, Any],
    evaluations: Mapping[str, Evaluation],
    figure_data: Any | None = None,
    formats: Sequence[str] = ("png",),
    title: str = "",
    warnings: Sequence[str] = (),
) -> dict[str, Path]:
    """Write ``scores.csv``, ``metrics.json`` and (given figure data) ``plots/`` and ``report.md``.

    Args:
        out_dir: The run folder.
        results: The flat results (``metrics.json``).
        evaluations: The evaluations, the main one first (``val`` may follow).
        figure_data: A :class:`~ecg_anomaly.plots.report.FigureData`; None skips the report.
        formats: Plot file formats.
        title: Experiment, model and seed, for the report's and the figures' titles.
        warnings: Sanity checks that failed, shown at the top of ``report.md``.

    Returns:
        The files written, by name.
    """
    out_dir = Path(out_dir)
    main = next(iter(evaluations.values()))
    files = {"scores": write_scores_csv(out_dir / "scores.csv", main)}
    if figure_data is not None:
        from ecg_anomaly.plots.report import draw_figures, write_report_md

        started = time.perf_counter()
        figures = draw_figures(figure_data, out_dir / "plots", formats, title)
        tables = {
            ("Metrics" if name == "threshold" else f"Metrics with threshold {name}"): main.table(
                name
            )
            for name in main.thresholds
        }
        tables |= {
            f"Metrics of the {k} split": ev.table()
            for k, ev in evaluations.items()
            if ev is not main
        }
        files["report"] = write_report_md(
            out_dir / "report.md",
            title=f"Run report: {title}" if title else "Run report",
            evaluation=main,
            warnings=warnings,
            tables=tables,
            figures=figures,
            files=FILES,
        )
        files |= figures
        log.info("Report written to %s in %.1f s", files["report"], time.perf_counter() - started)
    files["metrics"] = write_json(out_dir / "metrics.json", results)
    print(console_table(evaluations, title or "metrics"))
    print(f"Results in {out_dir}")
    return files


def write_detection(
    out_dir: Path,
    result: Any,
    *,
    report: bool = True,
    formats: Sequence[str] = ("png",),
    strip_seconds: float = 10.0,
    files: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write a recording's detection: ``beats.csv``, ``metrics.json``, ``report.md``, plots.

    Args:
        out_dir: The run folder.
        result: A :class:`~ecg_anomaly.recordings.detection.RecordingDetection`.
        report: Also draw the plots and write ``report.md``.
        formats: Plot file formats.
        strip_seconds: Length of each strip of the recording.
        files: What each file holds, for ``report.md``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {"beats": out_dir / "beats.csv"}
    result.table().to_csv(written["beats"], index=False, float_format="%.9g")
    metrics = result.metrics
    if report:
        from ecg_anomaly import plots
        from ecg_anomaly.plots import recording as rp
        from ecg_anomaly.plots.report import write_report_md

        ev, beats = result.evaluation, result.beats
        s, flags = ev.scores, ev.deciding_flags
        starts = rp.strip_starts(beats.time, s.scores, flags, strip_seconds)
        figures = {
            "strips": rp.plot_strips(
                result.signal,
                beats.fs,
                beats.time,
                flags,
                s.scores,
                starts,
                strip_seconds,
                beats.symbol,
            ),
            "scores_over_time": rp.plot_scores_over_time(
                beats.time, s.scores, ev.threshold, s.labels
            ),
            "mean_beats": rp.plot_mean_beats(beats.x, flags),
        }
        title = f"{metrics.get('model', '')} on {Path(str(metrics.get('record', ''))).name}"
        saved = {
            k: plots.save(f, out_dir / "plots" / k, formats, title) for k, f in figures.items()
        }
        detection = {k: v for k, v in metrics.items() if k.startswith("beats/")}
        detection |= {"n_beats": metrics["n_beats"], "polarity": metrics["polarity"]}
        written["report"] = write_report_md(
            out_dir / "report.md",
            title=f"Detection report: {title}",
            evaluation=ev,
            warnings=metrics.get("warnings", []),
            tables={
                "Beat detection (against the annotations, 150 ms)": detection,
                "Abnormal beats (annotated S, V, F, Q)": ev.table(),
            },
            figures=saved,
            files=dict(files or {}),
        )
        written |= saved
    written["metrics"] = write_json(out_dir / "metrics.json", metrics)
    shown = {
        k: v for k, v in metrics.items() if k.startswith(("beats/", "test/")) and "/n_" not in k
    }
    print(
        format_table(
            {**shown, "threshold": metrics["threshold"]}, title=f"{metrics['n_beats']} beats"
        )
    )
    print(f"Results in {out_dir}")
    return written
