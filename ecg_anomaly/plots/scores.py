"""Plots of scores: distributions with thresholds, scores against beat index, per class."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ecg_anomaly.plots._figure import CLASSES, NORMAL_COLOR, new_figure


def plot_score_histogram(
    scores: np.ndarray, labels: np.ndarray | None, threshold: float, split: str = "test"
) -> Any:
    """Histogram of the scores of normal and abnormal beats, with the threshold line.

    Args:
        scores: Anomaly scores.
        labels: 0 normal, 1 abnormal; None draws all beats as one unlabelled histogram.
        threshold: Beats at or above it are flagged abnormal.
        split: The scored split, for the title.
    """
    fig, ax = new_figure()
    bins = np.histogram_bin_edges(scores, bins=50)
    if labels is None:
        ax.hist(scores, bins=bins, color="tab:gray", alpha=0.7, label=f"beats (n={len(scores)})")
    else:
        for cls, name, color in CLASSES:
            part = scores[labels == cls]
            if len(part):
                ax.hist(part, bins=bins, color=color, alpha=0.55, label=f"{name} (n={len(part)})")
    if np.isfinite(threshold):
        ax.axvline(threshold, color="black", ls="--", lw=1.5, label=f"threshold = {threshold:.4g}")
    ax.set_title(f"Anomaly scores of the {split} beats")
    ax.set_xlabel("anomaly score (higher = more abnormal)")
    ax.set_ylabel("number of beats")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def plot_training_errors(scores: np.ndarray, threshold: float | None = None) -> Any:
    """The tutorial's figure: training errors of normal beats, with mean, +1 std and +2 std.

    Args:
        scores: Scores (reconstruction errors) of the normal training beats.
        threshold: The deciding threshold, drawn too when it is none of the three lines.
    """
    mean, std = float(np.mean(scores)), float(np.std(scores))
    fig, ax = new_figure()
    ax.hist(
        scores,
        bins=50,
        color=NORMAL_COLOR,
        alpha=0.7,
        label=f"normal training beats (n={len(scores)})",
    )
    lines = (
        ("mean", mean, ":"),
        ("mean + 1 std", mean + std, "--"),
        ("mean + 2 std", mean + 2 * std, "-."),
    )
    for name, value, style in lines:
        ax.axvline(value, color="black", ls=style, lw=1.3, label=f"{name} = {value:.4g}")
    on_a_line = threshold is not None and any(np.isclose(threshold, v) for _, v, _ in lines)
    if threshold is not None and np.isfinite(threshold) and not on_a_line:
        ax.axvline(threshold, color="tab:red", lw=1.5, label=f"threshold = {threshold:.4g}")
    ax.set_title("Training loss (reconstruction error of normal training beats)")
    ax.set_xlabel("training loss (score)")
    ax.set_ylabel("number of beats")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def plot_scores_by_index(
    scores: np.ndarray,
    labels: np.ndarray | None,
    threshold: float,
    split: str = "test",
    rows: np.ndarray | None = None,
) -> Any:
    """The score of every beat against its row in the data file, by class, with the threshold."""
    fig, ax = new_figure(width=7.5)
    index = np.arange(len(scores)) if rows is None else np.asarray(rows)
    if labels is None:
        ax.scatter(index, scores, s=6, color="tab:gray", label="beats")
    else:
        for cls, name, color in CLASSES:
            keep = labels == cls
            if keep.any():
                ax.scatter(index[keep], scores[keep], s=6, color=color, alpha=0.7, label=name)
    if np.isfinite(threshold):
        ax.axhline(threshold, color="black", ls="--", lw=1.3, label=f"threshold = {threshold:.4g}")
    ax.set_title(f"Anomaly score of every {split} beat")
    ax.set_xlabel("row in the data file" if rows is not None else f"{split} beat")
    ax.set_ylabel("anomaly score")
    ax.legend(markerscale=2)
    ax.grid(alpha=0.3)
    return fig


def plot_scores_by_class(
    scores: np.ndarray,
    classes: np.ndarray,
    threshold: float,
    names: Mapping[int, str] | None = None,
) -> Any:
    """Scores of each source class (e.g. UCR 1-5) side by side, with the threshold line."""
    codes = [int(c) for c in np.unique(classes)]
    fig, ax = new_figure(width=max(5.0, 1.2 * len(codes) + 2))
    data = [scores[classes == c] for c in codes]
    ax.boxplot(data, showfliers=False)
    rng = np.random.default_rng(0)
    for i, part in enumerate(data, 1):
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(part)), part, s=4, alpha=0.4)
    labels = [f"{c}: {names[c]}" if names and c in names else str(c) for c in codes]
    ax.set_xticks(
        range(1, len(codes) + 1),
        [f"{lbl}\n(n={len(d)})" for lbl, d in zip(labels, data, strict=True)],
        fontsize="small",
    )
    if np.isfinite(threshold):
        ax.axhline(threshold, color="black", ls="--", lw=1.3, label=f"threshold = {threshold:.4g}")
        ax.legend()
    ax.set_title("Anomaly scores per class")
    ax.set_ylabel("anomaly score")
    ax.grid(alpha=0.3)
    return fig
