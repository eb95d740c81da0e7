"""Every figure of a run, drawn from one evaluation's arrays, and the ``report.md`` showing them."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ecg_anomaly.anomaly.evaluation import DECIDING, Evaluation
from ecg_anomaly.data.labels import ABNORMAL, NORMAL
from ecg_anomaly.plots.figure_data import FigureData
from ecg_anomaly.plots.notebooks import NOTEBOOK_FIGURES, draw_notebook_figures
from ecg_anomaly.utils.results import atomic_path

#: Title of each figure in ``report.md``, in order; the file is ``plots/<key>.<format>``.
PLOT_TITLES = {
    "strips": "The recording with the flagged beats",
    "scores_over_time": "Anomaly score over time",
    "traces": "First ten normal and abnormal beats",
    "class_balance": "Class balance",
    "reconstruction": "Input vs reconstruction",
    "mean_beats": "Mean beat, not flagged vs flagged",
    "loss": "Loss per epoch",
    "training_errors": "Training scores with the mean, +1 std and +2 std thresholds",
    "score_histogram": "Score distribution and threshold",
    "scores_by_index": "Anomaly score of every beat",
    "scores_by_class": "Scores per class",
    "confusion_matrix": "Confusion matrix (abnormal positive)",
    "confusion_matrix_normal": "Confusion matrix (normal positive, as the notebooks)",
    "roc": "ROC curve",
    "pr": "Precision-recall curve",
    "latent": "Latent space",
}
#: The notebook figures follow the run's own (their titles: ``NOTEBOOK_FIGURES``).
PLOT_TITLES |= {f"notebook_{k}": f"Notebook: {v}" for k, v in NOTEBOOK_FIGURES.items()}


def _recording_figures(data: FigureData, strip_seconds: float) -> dict[str, Any]:
    from ecg_anomaly.plots import recording as rp

    ev, rec = data.evaluation, data.recording
    s, flags = ev.scores, ev.deciding_flags
    on_it = np.isfinite(rec.time)
    labels = None if s.labels is None else s.labels[on_it]
    starts = rp.strip_starts(
        rec.time[on_it], s.scores[on_it], flags[on_it], strip_seconds, labels=labels
    )
    return {
        "strips": rp.plot_strips(
            rec.signal,
            rec.fs,
            rec.time[on_it],
            flags[on_it],
            s.scores[on_it],
            starts,
            strip_seconds,
            rec.symbols[on_it],
            units=rec.units,
            labels=labels,
        ),
        "scores_over_time": rp.plot_scores_over_time(
            rec.time[on_it], s.scores[on_it], ev.threshold, labels
        ),
        "mean_beats": None if data.beats is None else rp.plot_mean_beats(data.beats, flags),
    }


def draw_figures(
    data: FigureData,
    plot_dir: str | os.PathLike,
    formats: Sequence[str] = ("png",),
    title: str = "",
    strip_seconds: float = 10.0,
) -> dict[str, Path]:
    """Draw every figure the data allow and save them in ``plot_dir``.

    Figures that need labels use the labelled beats only (a detected beat that no annotation
    matches has none).

    Returns:
        The first file of each figure, by key of :data:`PLOT_TITLES`, in that order.
    """
    from ecg_anomaly import plots

    ev, s = data.evaluation, data.evaluation.scores
    known, threshold = s.labelled(), ev.threshold
    labels = known.labels
    figures: dict[str, Any] = {}
    if data.recording is not None:
        figures |= _recording_figures(data, strip_seconds)
    if data.beats is not None and labels is not None:
        beats = data.beats if known is s else data.beats[s.labels != -1]
        figures["traces"] = plots.plot_traces(beats, labels)
    if data.class_counts:
        figures["class_balance"] = plots.plot_class_balance(data.class_counts)
    if data.examples is not None:
        e = data.examples
        figures["reconstruction"] = plots.plot_reconstructions(
            e.x, e.recon, e.labels, e.scores, e.rows
        )
    figures["loss"] = plots.plot_loss_curves(data.loss_history)
    if data.train_scores is not None and len(data.train_scores):
        figures["training_errors"] = plots.plot_training_errors(data.train_scores, threshold)
    figures["score_histogram"] = plots.plot_score_histogram(s.scores, s.labels, threshold, s.split)
    if data.recording is None:
        figures["scores_by_index"] = plots.plot_scores_by_index(
            s.scores, s.labels, threshold, s.split, s.rows
        )
    if known.classes is not None and len(known):
        figures["scores_by_class"] = plots.plot_scores_by_class(
            known.scores, known.classes, threshold, data.class_names
        )
    if labels is not None and len(known):
        tn, fp, fn, tp = ev.confusion()
        figures["confusion_matrix"] = plots.plot_confusion_matrix(tn, fp, fn, tp, "abnormal")
        figures["confusion_matrix_normal"] = plots.plot_confusion_matrix(tn, fp, fn, tp, "normal")
    if known.both_classes:
        point = _operating_point(ev)
        figures["roc"] = plots.plot_roc(
            known.scores, labels, ev.metrics.get(f"{s.split}/auroc"), point=point
        )
        figures["pr"] = plots.plot_pr(
            known.scores, labels, ev.metrics.get(f"{s.split}/auprc"), point=point
        )
    if data.latent and data.codes is not None and data.code_labels is not None:
        figures["latent"] = plots.plot_latent(data.codes, data.code_labels, data.latent, data.seed)
    drawn = draw_notebook_figures(data, data.notebook)
    figures |= {f"notebook_{k}": fig for k, fig in drawn.items()}
    plot_dir = Path(plot_dir)
    return {
        key: plots.save(figures[key], plot_dir / key, formats, title)
        for key in PLOT_TITLES
        if figures.get(key) is not None
    }


def _operating_point(ev: Evaluation) -> dict[str, float]:
    """Recall, false-positive rate and precision at the deciding threshold."""
    tn, fp, fn, tp = ev.confusion()
    return {
        "recall": tp / (tp + fn) if tp + fn else math.nan,
        "fpr": fp / (fp + tn) if fp + tn else math.nan,
        "precision": tp / (tp + fp) if tp + fp else math.nan,
    }


def _format(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def _what_was_scored(evaluation: Evaluation, source: str) -> str:
    s = evaluation.scores
    known = s.labelled()
    if known.labels is None:
        counts = f"{len(s)} beats, none annotated"
    else:
        normal, abnormal = (
            int((known.labels == NORMAL).sum()),
            int((known.labels == ABNORMAL).sum()),
        )
        counts = f"{len(s)} beats: {normal} normal, {abnormal} abnormal"
        if known is not s:
            counts += f", {len(s) - len(known)} without an annotation"
    what = f"all beats of {source}" if s.split == "all" else f"the **{s.split}** split"
    flagged = int(evaluation.deciding_flags.sum())
    return (
        f"Scored {what} ({counts}); threshold {evaluation.threshold:.6g}, {flagged} beats "
        "flagged. The positive class of every metric is **abnormal** unless named `normal_`; a "
        "beat is flagged abnormal when its score is at or above the threshold."
    )


def metric_tables(evaluations: Mapping[str, Evaluation], results: Mapping[str, Any]) -> dict:
    """The report's tables: beat detection, each threshold's metrics, typed classes, val."""
    main = next(iter(evaluations.values()))
    tables: dict[str, dict[str, Any]] = {}
    detection = {k: v for k, v in results.items() if k.startswith("data/beats/")}
    if detection:
        tables["Beat detection (against the annotations, 150 ms)"] = detection
    if main.scores.labelled().labels is not None:
        for name in main.thresholds:
            heading = "Metrics" if name == DECIDING else f"Metrics with threshold {name}"
            tables[heading] = main.table(name)
        typed = {k: v for k, v in main.metrics.items() if "/veb/" in k or "/sveb/" in k}
        if typed:
            tables["Ectopic beats as EC57 counts them (VEB, SVEB)"] = typed
    else:
        flagged = int(main.deciding_flags.sum())
        tables["Threshold"] = {"threshold": main.threshold, "flagged": flagged}
    for split, ev in evaluations.items():
        if ev is not main and ev.scores.labelled().labels is not None:
            tables[f"Metrics of the {split} split"] = ev.table()
    return tables


def write_report_md(
    path: str | os.PathLike,
    *,
    title: str,
    summary: str,
    warnings: Sequence[str],
    tables: Mapping[str, Mapping[str, Any]],
    figures: Mapping[str, Path],
    files: Mapping[str, str],
) -> Path:
    """Write ``report.md``: what was scored, warnings, the metrics tables, figures and files."""
    path = Path(path)
    lines = [f"# {title}", "", summary, ""]
    if warnings:
        lines += ["## Warnings", "", *(f"- **{w}**" for w in warnings), ""]
    for heading, table in tables.items():
        lines += [f"## {heading}", "", "| metric | value |", "|---|---:|"]
        lines += [f"| {k} | {_format(v)} |" for k, v in table.items()]
        lines.append("")
    if figures:
        lines += ["## Plots", ""]
        for key, file in figures.items():
            rel = file.relative_to(path.parent).as_posix()
            lines += [f"### {PLOT_TITLES[key]}", "", f"![{PLOT_TITLES[key]}]({rel})", ""]
    lines += ["## Files", ""]
    lines += [f"- `{name}`: {what}" for name, what in files.items()]
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return path


def write_report(
    out_dir: Path,
    model: Any,
    datamodule: Any,
    results: Mapping[str, Any],
    *,
    formats: Sequence[str] = ("png",),
    latent: str | None = "pca",
    title: str = "",
    files: Mapping[str, str] = (),
    table_name: str = "scores.csv",
    notebook: Sequence[str] = (),
) -> Path:
    """Draw the figures of a tested model's main evaluation and write ``report.md``."""
    from ecg_anomaly.plots.gather import gather_figure_data

    main = next(iter(model.evaluations.values()))
    data = gather_figure_data(model, datamodule, main, latent=latent,
                              seed=int(results.get("seed") or 0), notebook=notebook)  # fmt: skip
    figures = draw_figures(data, out_dir / "plots", formats, title)
    source = Path(str(results.get("data/path") or results.get("data/record") or "the data")).name
    shown = {k: v for k, v in dict(files).items() if k in ("metrics.json", table_name)}
    shown |= {k: v for k, v in dict(files).items() if f"files/{k}" in results}
    return write_report_md(
        out_dir / "report.md",
        title=f"Run report: {title}" if title else "Run report",
        summary=_what_was_scored(main, source),
        warnings=results.get("warnings", []),
        tables=metric_tables(model.evaluations, results),
        figures=figures,
        files=shown,
    )
