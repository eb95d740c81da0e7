"""Curves: training and validation loss per epoch, ROC and precision-recall."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ecg_anomaly.plots._figure import new_figure


def plot_loss_curves(history: dict[str, tuple[np.ndarray, np.ndarray]]) -> Any | None:
    """Training (and, when logged, validation) loss per epoch; None without a loss history.

    Args:
        history: ``{"train": (epochs, losses), "val": (epochs, losses)}`` with 0-based epochs
            (as the CSV log counts them), from the model's own history
            (:func:`~ecg_anomaly.plots.gather.loss_history`), whatever the logger.
    """
    from matplotlib.ticker import MaxNLocator

    if not history:
        return None
    fig, ax = new_figure()
    names = {
        "train": "training loss",
        "val": "validation loss",
        "curve": "loss on the test beats (the notebook's validation_data; plot only)",
    }
    for stage, style in (("train", "o-"), ("val", "s--"), ("curve", "^:")):
        if stage in history:
            epochs, losses = history[stage]
            ax.plot(epochs, losses, style, ms=3, label=names[stage])
    if "val" in history:
        ax.set_title("Training and validation loss")
    else:
        ax.set_title("Training loss" + (" and the test beats' loss" if "curve" in history else ""))
    ax.set_xlabel("epoch (0-based)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("loss")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def _ranked(scores: np.ndarray) -> torch.Tensor:
    # torchmetrics reads scores outside [0, 1] as logits; rescale keeping the order.
    s = torch.as_tensor(scores, dtype=torch.float64)
    lo, hi = s.min(), s.max()
    return (s - lo) / (hi - lo) if hi > lo else torch.zeros_like(s)


def _mark(ax: Any, x: float, y: float) -> None:
    """The deciding threshold's operating point on a curve."""
    if math.isfinite(x) and math.isfinite(y):
        ax.plot(
            [x],
            [y],
            "o",
            ms=8,
            mfc="none",
            mec="black",
            mew=1.5,
            label=f"threshold ({x:.3f}, {y:.3f})",
        )


def plot_roc(
    scores: np.ndarray,
    labels: np.ndarray,
    auroc: float | None = None,
    point: dict[str, float] | None = None,
) -> Any:
    """ROC curve (abnormal positive) with its area, and the deciding threshold's point.

    Args:
        scores: Anomaly scores of labelled beats.
        labels: 0 normal, 1 abnormal.
        auroc: The area, when already computed.
        point: ``fpr`` and ``recall`` at the deciding threshold, marked on the curve.
    """
    from torchmetrics.functional.classification import binary_auroc, binary_roc

    target = torch.as_tensor(labels, dtype=torch.long)
    fpr, tpr, _ = binary_roc(_ranked(scores), target)
    auroc = float(binary_auroc(_ranked(scores), target)) if auroc is None else auroc
    fig, ax = new_figure(width=5.0, height=4.5)
    ax.plot(fpr.numpy(), tpr.numpy(), lw=2, label=f"model (AUC = {auroc:.3f})")
    ax.plot([0, 1], [0, 1], "k:", label="chance (AUC = 0.5)")
    if point:
        _mark(ax, point["fpr"], point["recall"])
    ax.set_title("ROC curve (abnormal = positive)")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate (recall)")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return fig


def plot_pr(
    scores: np.ndarray,
    labels: np.ndarray,
    auprc: float | None = None,
    point: dict[str, float] | None = None,
) -> Any:
    """Precision-recall curve (abnormal positive), its area, and the deciding threshold's point.

    Args:
        scores: Anomaly scores of labelled beats.
        labels: 0 normal, 1 abnormal.
        auprc: The area (average precision), when already computed.
        point: ``recall`` and ``precision`` at the deciding threshold, marked on the curve.
    """
    from torchmetrics.functional.classification import (
        binary_average_precision,
        binary_precision_recall_curve,
    )

    target = torch.as_tensor(labels, dtype=torch.long)
    precision, recall, _ = binary_precision_recall_curve(_ranked(scores), target)
    if auprc is None:
        auprc = float(binary_average_precision(_ranked(scores), target))
    base = float(target.float().mean())
    fig, ax = new_figure(width=5.0, height=4.5)
    ax.step(
        recall.numpy(), precision.numpy(), where="post", lw=2, label=f"model (AP = {auprc:.3f})"
    )
    ax.axhline(base, color="k", ls=":", label=f"chance (AP = {base:.3f})")
    if point:
        _mark(ax, point["recall"], point["precision"])
    ax.set_title("Precision-recall curve (abnormal = positive)")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    return fig
