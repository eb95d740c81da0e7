"""Detection metrics from scores, labels and a threshold (abnormal is the positive class).

Names carry no stage; callers add one (``test/accuracy``). ``normal_precision`` and
``normal_recall`` take the TensorFlow tutorial's orientation (normal positive) so its published
numbers can be compared.
"""

from __future__ import annotations

import math
import warnings

import torch
from torchmetrics.functional.classification import (
    binary_accuracy,
    binary_auroc,
    binary_average_precision,
    binary_f1_score,
    binary_precision,
    binary_recall,
    binary_specificity,
)

from ecg_anomaly.data.labels import ABNORMAL, NORMAL

#: The metric names :func:`detection_metrics` returns, in table order.
METRIC_NAMES = (
    "accuracy",
    "precision",
    "recall",
    "specificity",
    "f1",
    "auroc",
    "auprc",
    "normal_precision",
    "normal_recall",
)


def _unit_interval(scores: torch.Tensor) -> torch.Tensor:
    """Rescale scores to [0, 1], keeping their order.

    torchmetrics treats scores outside [0, 1] as logits and applies a sigmoid, which saturates
    for large reconstruction errors and would turn distinct scores into ties.
    """
    s = scores.double()
    lo, hi = s.min(), s.max()
    return (s - lo) / (hi - lo) if hi > lo else torch.zeros_like(s)


def detection_metrics(
    scores: torch.Tensor, labels: torch.Tensor, threshold: float
) -> dict[str, float | int]:
    """Threshold and ranking metrics of anomaly scores.

    Args:
        scores: Anomaly scores, shape ``(n,)``, higher = more abnormal.
        labels: ``0`` normal, ``1`` abnormal, shape ``(n,)``.
        threshold: Beats with ``score >= threshold`` are predicted abnormal.

    Returns:
        The :data:`METRIC_NAMES` as floats (ROC-AUC and PR-AUC are NaN when ``labels`` holds
        one class only) and the confusion matrix as ``tn``, ``fp``, ``fn``, ``tp``.
    """
    scores = scores.detach().flatten().cpu()
    target = labels.detach().flatten().cpu().long()
    if scores.numel() == 0 or scores.numel() != target.numel():
        msg = (
            "need as many scores as labels, and at least one; "
            f"got {scores.numel()} scores and {target.numel()} labels"
        )
        raise ValueError(msg)
    pred = (scores >= threshold).long()
    both_classes = bool((target == NORMAL).any() and (target == ABNORMAL).any())
    if both_classes:
        ranked = _unit_interval(scores)
        auroc = float(binary_auroc(ranked, target))
        auprc = float(binary_average_precision(ranked, target))
    else:
        warnings.warn(
            "the labels hold only one class, so ROC-AUC and PR-AUC are undefined (NaN)",
            UserWarning,
            stacklevel=2,
        )
        auroc = auprc = math.nan
    tp = int(((pred == 1) & (target == 1)).sum())
    tn = int(((pred == 0) & (target == 0)).sum())
    fp = int(((pred == 1) & (target == 0)).sum())
    fn = int(((pred == 0) & (target == 1)).sum())
    return {
        "accuracy": float(binary_accuracy(pred, target)),
        "precision": float(binary_precision(pred, target)),
        "recall": float(binary_recall(pred, target)),
        "specificity": float(binary_specificity(pred, target)),
        "f1": float(binary_f1_score(pred, target)),
        "auroc": auroc,
        "auprc": auprc,
        "normal_precision": float(binary_precision(1 - pred, 1 - target)),
        "normal_recall": float(binary_recall(1 - pred, 1 - target)),
        "tn": tn,
        "fp": fp,
        "fn": fn,
        "tp": tp,
    }
