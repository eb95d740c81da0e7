"""Detection metrics from labels and flags or scores (abnormal is the positive class).

Names carry no stage; callers add one (``test/accuracy``). ``normal_precision`` and
``normal_recall`` take the TensorFlow tutorial's orientation (normal positive) so its published
numbers can be compared.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from torchmetrics.functional.classification import binary_auroc, binary_average_precision

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
#: The confusion matrix, abnormal positive.
CONFUSION = ("tn", "fp", "fn", "tp")


def _ratio(num: int, den: int) -> float:
    # torchmetrics' convention for an empty denominator: 0, not NaN
    return num / den if den else 0.0


def threshold_metrics(flags: np.ndarray, labels: np.ndarray) -> dict[str, float | int]:
    """Metrics of predicted labels against true ones.

    Args:
        flags: Predicted labels, 1 = abnormal.
        labels: True labels, 0 normal / 1 abnormal.

    Returns:
        Accuracy, precision, recall, specificity, F1, the normal-positive precision and recall,
        and the confusion matrix ``tn``, ``fp``, ``fn``, ``tp``.
    """
    pred, target = np.asarray(flags), np.asarray(labels)
    tp = int(((pred == ABNORMAL) & (target == ABNORMAL)).sum())
    tn = int(((pred == NORMAL) & (target == NORMAL)).sum())
    fp = int(((pred == ABNORMAL) & (target == NORMAL)).sum())
    fn = int(((pred == NORMAL) & (target == ABNORMAL)).sum())
    return {
        "accuracy": _ratio(tp + tn, tp + tn + fp + fn),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "specificity": _ratio(tn, tn + fp),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "normal_precision": _ratio(tn, tn + fn),
        "normal_recall": _ratio(tn, tn + fp),
        "tn": tn,
        "fp": fp,
        "fn": fn,
        "tp": tp,
    }


def ranking_metrics(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """ROC-AUC and PR-AUC (average precision) of scores; NaN with one class only."""
    target = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    if not bool((target == NORMAL).any() and (target == ABNORMAL).any()):
        warnings.warn(
            "the labels hold only one class, so ROC-AUC and PR-AUC are undefined (NaN)",
            UserWarning,
            stacklevel=2,
        )
        return {"auroc": math.nan, "auprc": math.nan}
    # torchmetrics applies a sigmoid to scores outside [0, 1], which would turn large distinct
    # reconstruction errors into ties: rescale to [0, 1] first, keeping their order.
    s = torch.as_tensor(np.asarray(scores), dtype=torch.float64)
    lo, hi = s.min(), s.max()
    ranked = (s - lo) / (hi - lo) if hi > lo else torch.zeros_like(s)
    return {
        "auroc": float(binary_auroc(ranked, target)),
        "auprc": float(binary_average_precision(ranked, target)),
    }


def as_numpy(x: np.ndarray | torch.Tensor) -> np.ndarray:
    """A flat NumPy array of an array or tensor."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x).ravel()
