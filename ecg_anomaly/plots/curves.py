"""Curves: training and validation loss per epoch, ROC and precision-recall."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ecg_anomaly.plots._figure import new_figure

log = logging.getLogger(__name__)


def read_loss_history(metrics_csv: str | os.PathLike) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-epoch ``train/loss`` and ``val/loss`` from a Lightning CSVLogger's ``metrics.csv``.

    Returns:
        ``{"train": (epochs, losses), "val": (epochs, losses)}`` for the columns present with
        values; empty when the file is missing or holds none.
    """
    import pandas as pd

    path = Path(metrics_csv)
    if not path.is_file():
        return {}
    try:
        table = pd.read_csv(path)
    except (ValueError, OSError) as err:
        log.warning("cannot read the loss history %s: %s", path, err)
        return {}
    out = {}
    for stage in ("train", "val"):
        column = f"{stage}/loss"
        if column not in table or "epoch" not in table:
            continue
        rows = table[["epoch", column]].dropna().groupby("epoch", as_index=False).last()
        if len(rows):
            out[stage] = (rows["epoch"].to_numpy() + 1, rows[column].to_numpy())
    return out


def plot_loss_curves(history: dict[str, tuple[np.ndarray, np.ndarray]]) -> Any | None:
    """Training (and, when logged, validation) loss per epoch; None without a loss history.

    Args:
        history: ``{"train": (epochs, losses), "val": (epochs, losses)}`` as
            :func:`read_loss_history` returns it.
    """
    from matplotlib.ticker import MaxNLocator

    if not history:
        return None
    fig, ax = new_figure()
    for stage, style in (("train", "o-"), ("val", "s--")):
        if stage in history:
            epochs, losses = history[stage]
            label = "training loss" if stage == "train" else "validation loss"
            ax.plot(epochs, losses, style, ms=3, label=label)
    ax.set_title("Training and validation loss" if "val" in history else "Training loss")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("loss")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def _ranked(scores: np.ndarray) -> torch.Tensor:
    # torchmetrics reads scores outside [0, 1] as logits; rescale keeping the order.
    s = torch.as_tensor(scores, dtype=torch.float64)
    lo, hi = s.min(), s.max()
    return (s - lo) / (hi - lo) if hi > lo else torch.zeros_like(s)


def plot_roc(scores: np.ndarray, labels: np.ndarray, auroc: float | None = None) -> Any:
    """ROC curve (abnormal positive) with its area in the legend."""
    from torchmetrics.functional.classification import binary_auroc, binary_roc

    target = torch.as_tensor(labels, dtype=torch.long)
    fpr, tpr, _ = binary_roc(_ranked(scores), target)
    auroc = float(binary_auroc(_ranked(scores), target)) if auroc is None else auroc
    fig, ax = new_figure(width=5.0, height=4.5)
    ax.plot(fpr.numpy(), tpr.numpy(), lw=2, label=f"model (AUC = {auroc:.3f})")
    ax.plot([0, 1], [0, 1], "k:", label="chance (AUC = 0.5)")
    ax.set_title("ROC curve (abnormal = positive)")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate (recall)")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return fig


def plot_pr(scores: np.ndarray, labels: np.ndarray, auprc: float | None = None) -> Any:
    """Precision-recall curve (abnormal positive) with its area (average precision)."""
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
    ax.set_title("Precision-recall curve (abnormal = positive)")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    return fig
