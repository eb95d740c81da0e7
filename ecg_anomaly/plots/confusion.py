"""Plots of decisions and classes: confusion matrices and the class balance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ecg_anomaly.plots._figure import ABNORMAL_COLOR, NORMAL_COLOR, new_figure


def plot_confusion_matrix(tn: int, fp: int, fn: int, tp: int, positive: str = "abnormal") -> Any:
    """The confusion matrix with counts and row percentages (true class in rows).

    Args:
        tn: Normal beats predicted normal (abnormal positive).
        fp: Normal beats flagged abnormal.
        fn: Abnormal beats predicted normal.
        tp: Abnormal beats flagged abnormal.
        positive: ``"abnormal"`` (the package's metrics) or ``"normal"`` (the TensorFlow
            tutorial's and notebooks' orientation: the normal class first and positive).
    """
    if positive == "abnormal":
        matrix, names = np.array([[tn, fp], [fn, tp]]), ["normal", "abnormal"]
        cells = [f"TN={tn}  FP={fp}", f"FN={fn}  TP={tp}"]
    else:
        matrix, names = np.array([[tn, fp], [fn, tp]])[::-1, ::-1], ["abnormal", "normal"]
        # with normal positive, a normal beat predicted normal is a true positive
        cells = [f"TN={tp}  FP={fn}", f"FN={fp}  TP={tn}"]
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
    ax.set_xticks([0, 1], names)
    ax.set_yticks([0, 1], names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"Confusion matrix ({positive} = positive)")
    handles = [ax.plot([], [], " ", label=c)[0] for c in cells]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=1)
    return fig


def plot_class_balance(counts: Mapping[str, Mapping[str, int]]) -> Any:
    """Beats per class in each split: ``{"train": {"normal": n, "abnormal": m}, ...}``."""
    splits = [s for s, c in counts.items() if sum(c.values())]
    classes = sorted({k for s in splits for k in counts[s]}, key=lambda k: (k != "normal", k))
    fig, ax = new_figure(width=max(5.0, 1.6 * len(splits) + 2))
    width = 0.8 / max(1, len(classes))
    palette = {"normal": NORMAL_COLOR, "abnormal": ABNORMAL_COLOR}
    for i, cls in enumerate(classes):
        values = [counts[s].get(cls, 0) for s in splits]
        bars = ax.bar(
            np.arange(len(splits)) + i * width, values, width, label=cls, color=palette.get(cls)
        )
        ax.bar_label(bars, fontsize="small")
    ax.set_xticks(np.arange(len(splits)) + width * (len(classes) - 1) / 2, splits)
    ax.set_ylabel("number of beats")
    ax.set_title("Class balance")
    ax.legend()
    ax.grid(alpha=0.3, axis="y")
    return fig
