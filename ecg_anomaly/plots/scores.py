"""Plots of decisions: the score distribution with the threshold, and the confusion matrix."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ecg_anomaly.data.labels import ABNORMAL, NORMAL
from ecg_anomaly.plots._figure import ABNORMAL_COLOR, NORMAL_COLOR, new_figure, save


def plot_score_histogram(
    scores: np.ndarray, labels: np.ndarray | None, threshold: float, path: str | os.PathLike
) -> Path:
    """Histogram of the scores of normal and abnormal beats, with the threshold line.

    Args:
        scores: Anomaly scores.
        labels: 0 normal, 1 abnormal; None draws all beats as one unlabelled histogram.
        threshold: Beats at or above it are flagged abnormal.
        path: The PNG to write.
    """
    fig, ax = new_figure()
    bins = np.histogram_bin_edges(scores, bins=50)
    if labels is None:
        ax.hist(scores, bins=bins, color="tab:gray", alpha=0.7, label=f"beats (n={len(scores)})")
    else:
        for cls, name, color in (
            (NORMAL, "normal", NORMAL_COLOR),
            (ABNORMAL, "abnormal", ABNORMAL_COLOR),
        ):
            part = scores[labels == cls]
            if len(part):
                ax.hist(part, bins=bins, color=color, alpha=0.55, label=f"{name} (n={len(part)})")
    if np.isfinite(threshold):
        ax.axvline(threshold, color="black", ls="--", lw=1.5, label=f"threshold = {threshold:.4g}")
    ax.set_title("Anomaly scores of normal and abnormal beats")
    ax.set_xlabel("anomaly score (higher = more abnormal)")
    ax.set_ylabel("number of beats")
    ax.legend()
    ax.grid(alpha=0.3)
    return save(fig, path)


def plot_confusion_matrix(tn: int, fp: int, fn: int, tp: int, path: str | os.PathLike) -> Path:
    """The confusion matrix with counts and row percentages (true class in rows)."""
    matrix = np.array([[tn, fp], [fn, tp]])
    fig, ax = new_figure(width=5.4, height=4.6)
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, label="number of beats")
    totals = matrix.sum(axis=1, keepdims=True).clip(min=1)
    for (i, j), count in np.ndenumerate(matrix):
        dark = count > matrix.max() / 2
        ax.text(
            j, i, f"{count}\n({100 * count / totals[i, 0]:.1f} %)", ha="center", va="center",
            color="white" if dark else "black",
        )  # fmt: skip
    ax.set_xticks([0, 1], ["normal", "abnormal"])
    ax.set_yticks([0, 1], ["normal", "abnormal"])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title("Confusion matrix (abnormal = positive)")
    # A legend for the cells' meaning: what counts as a hit for the positive class.
    handles = [
        ax.plot([], [], " ", label=f"TN={tn}  FP={fp}")[0],
        ax.plot([], [], " ", label=f"FN={fn}  TP={tp}")[0],
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=1)
    return save(fig, path)
