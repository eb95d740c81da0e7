"""Every figure of a run, drawn from one evaluation's arrays, and the ``report.md`` showing them.

:class:`FigureData` holds arrays only (scores, flags, beats, reconstructions, codes): whoever
builds it asks the model for what it can give (:meth:`AnomalyModel.reconstruct`,
:meth:`AnomalyModel.encode`), so drawing never guesses a model's output shapes.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ecg_anomaly.anomaly.evaluation import Evaluation
from ecg_anomaly.data.labels import ABNORMAL, NORMAL

log = logging.getLogger(__name__)

#: Title of each figure in ``report.md``, in order; the file is ``plots/<key>.<format>``.
PLOT_TITLES = {
    "traces": "First ten normal and abnormal beats",
    "class_balance": "Class balance",
    "reconstruction": "Input vs reconstruction",
    "loss": "Training and validation loss",
    "training_errors": "Training loss with the mean, +1 std and +2 std thresholds",
    "score_histogram": "Score distribution and threshold",
    "scores_by_index": "Anomaly score of every beat",
    "scores_by_class": "Scores per class",
    "confusion_matrix": "Confusion matrix (abnormal positive)",
    "confusion_matrix_normal": "Confusion matrix (normal positive, as the notebooks)",
    "roc": "ROC curve",
    "pr": "Precision-recall curve",
    "latent": "Latent space",
}
#: Titles of the figures of a recording's detection (ecg-anomaly-detect).
RECORDING_TITLES = {
    "strips": "The recording with the flagged beats",
    "scores_over_time": "Anomaly score over time",
    "mean_beats": "Mean beat, not flagged vs flagged",
}


@dataclass
class Examples:
    """Beats shown against their reconstruction (normalised), one per class."""

    x: np.ndarray
    recon: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    rows: np.ndarray


@dataclass
class FigureData:
    """Everything the figures of one evaluated split need, as arrays.

    Attributes:
        evaluation: The evaluated split (scores, labels, classes, rows, flags, thresholds).
        beats: Raw beats of the split, in the evaluation's row order (None: no beat plots).
        examples: Normalised beats and reconstructions (autoencoders only).
        codes: Latent codes of (a subsample of) the split, with ``code_labels``.
        code_labels: Labels of the beats in ``codes``.
        train_scores: Scores of the normal training beats (the training-loss histogram).
        loss_history: Per-epoch losses (:func:`~ecg_anomaly.plots.curves.read_loss_history`).
        class_counts: Beats per class in each split, for the class-balance plot.
        class_names: Names of the source's class codes (UCR: 1 normal, 2 R-on-T PVC, ...).
        latent: Projection of the latent plot.
        seed: Seed of the latent projection.
    """

    evaluation: Evaluation
    beats: np.ndarray | None = None
    examples: Examples | None = None
    codes: np.ndarray | None = None
    code_labels: np.ndarray | None = None
    train_scores: np.ndarray | None = None
    loss_history: dict[str, Any] = field(default_factory=dict)
    class_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    class_names: dict[int, str] | None = None
    latent: str | None = "pca"
    seed: int = 0


def draw_figures(
    data: FigureData,
    plot_dir: str | os.PathLike,
    formats: Sequence[str] = ("png",),
    title: str = "",
) -> dict[str, Path]:
    """Draw every figure the data allow and save them in ``plot_dir``.

    Returns:
        The first file of each figure, by key of :data:`PLOT_TITLES`, in that order.
    """
    from ecg_anomaly import plots

    ev, s = data.evaluation, data.evaluation.scores
    labels, threshold = s.labels, ev.threshold
    figures: dict[str, Any] = {}
    if data.beats is not None and labels is not None:
        figures["traces"] = plots.plot_traces(data.beats, labels)
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
    figures["score_histogram"] = plots.plot_score_histogram(s.scores, labels, threshold, s.split)
    figures["scores_by_index"] = plots.plot_scores_by_index(
        s.scores, labels, threshold, s.split, s.rows
    )
    if s.classes is not None:
        figures["scores_by_class"] = plots.plot_scores_by_class(
            s.scores, s.classes, threshold, data.class_names
        )
    if labels is not None:
        tn, fp, fn, tp = ev.confusion()
        figures["confusion_matrix"] = plots.plot_confusion_matrix(tn, fp, fn, tp, "abnormal")
        figures["confusion_matrix_normal"] = plots.plot_confusion_matrix(tn, fp, fn, tp, "normal")
    if s.both_classes:
        figures["roc"] = plots.plot_roc(s.scores, labels, ev.metrics.get(f"{s.split}/auroc"))
        figures["pr"] = plots.plot_pr(s.scores, labels, ev.metrics.get(f"{s.split}/auprc"))
    if data.latent and data.codes is not None and data.code_labels is not None:
        figures["latent"] = plots.plot_latent(data.codes, data.code_labels, data.latent, data.seed)
    plot_dir = Path(plot_dir)
    return {
        key: plots.save(figures[key], plot_dir / key, formats, title)
        for key in PLOT_TITLES
        if figures.get(key) is not None
    }


def _format(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4f}"
    return str(value)


def write_report_md(
    path: str | os.PathLike,
    *,
    title: str,
    evaluation: Evaluation,
    warnings: Sequence[str],
    tables: Mapping[str, Mapping[str, Any]],
    figures: Mapping[str, Path],
    files: Mapping[str, str],
) -> Path:
    """Write ``report.md``: what was scored, the metrics tables, warnings, figures and files.

    Args:
        path: The Markdown file.
        title: Its heading.
        evaluation: The evaluated split.
        warnings: Sanity checks that failed (inverted scores, a useless threshold, ...).
        tables: Metric tables by heading (e.g. the deciding threshold, each extra one).
        figures: Figure files by key of :data:`PLOT_TITLES` or :data:`RECORDING_TITLES`.
        files: The run's other files and what each holds.
    """
    path = Path(path)
    s = evaluation.scores
    if s.labels is None:
        counts = f"{len(s)} unlabelled beats"
    else:
        n_normal, n_abnormal = int((s.labels == NORMAL).sum()), int((s.labels == ABNORMAL).sum())
        counts = f"{len(s)} beats: {n_normal} normal, {n_abnormal} abnormal"
    flagged = int(evaluation.deciding_flags.sum())
    lines = [
        f"# {title}",
        "",
        f"Scored the **{s.split}** split ({counts}); threshold {evaluation.threshold:.6g}, "
        f"{flagged} beats flagged. The positive class of every metric is **abnormal** (label 1) "
        "unless named `normal_`; a beat is flagged abnormal when its score is at or above the "
        "threshold.",
        "",
    ]
    if warnings:
        lines += ["## Warnings", "", *(f"- **{w}**" for w in warnings), ""]
    for heading, table in tables.items():
        lines += [f"## {heading}", "", "| metric | value |", "|---|---:|"]
        lines += [f"| {k} | {_format(v)} |" for k, v in table.items()]
        lines.append("")
    if figures:
        lines += ["## Plots", ""]
        titles = PLOT_TITLES | RECORDING_TITLES
        for key, file in figures.items():
            rel = file.relative_to(path.parent).as_posix()
            lines += [f"### {titles[key]}", "", f"![{titles[key]}]({rel})", ""]
    lines += ["## Files", ""]
    lines += [f"- `{name}`: {what}" for name, what in files.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
