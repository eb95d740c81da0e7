"""Decide once: flags, confusion matrix and every metric of one scored split.

:func:`flag` is the package's one decision rule, ``score >= threshold`` (as the TensorFlow
tutorial's ``normal = loss < threshold``). :func:`evaluate` applies it to a
:class:`~ecg_anomaly.anomaly.scoring.SplitScores` for the deciding threshold and each extra one,
and returns an :class:`Evaluation`, from which ``metrics.json``, ``scores.csv``, the console
table, ``report.md`` and the plots are all written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import torch

from ecg_anomaly.anomaly.metrics import (
    CONFUSION,
    METRIC_NAMES,
    as_numpy,
    ranking_metrics,
    threshold_metrics,
)
from ecg_anomaly.anomaly.scoring import SplitScores
from ecg_anomaly.data.labels import NORMAL, UNKNOWN

#: Name of the deciding threshold among an evaluation's thresholds.
DECIDING = "threshold"

ArrayT = TypeVar("ArrayT", np.ndarray, torch.Tensor)


def flag(scores: ArrayT, threshold: float | torch.Tensor) -> ArrayT:
    """Predicted labels: 1 (abnormal) where ``score >= threshold``, else 0 (normal).

    Args:
        scores: Anomaly scores (NumPy array or tensor).
        threshold: The cut-off.

    Returns:
        int64 flags of the same kind as ``scores``.
    """
    flags = scores >= threshold
    return flags.long() if isinstance(flags, torch.Tensor) else np.asarray(flags, dtype=np.int64)


def detection_metrics(
    scores: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor, threshold: float
) -> dict[str, float | int]:
    """All of :data:`METRIC_NAMES` and the confusion matrix, for one threshold.

    Args:
        scores: Anomaly scores, shape ``(n,)``, higher = more abnormal.
        labels: ``0`` normal, ``1`` abnormal, shape ``(n,)``.
        threshold: The decision threshold (see :func:`flag`).
    """
    s, y = as_numpy(scores), as_numpy(labels)
    if s.size == 0 or s.size != y.size:
        msg = (
            "need as many scores as labels, and at least one; "
            f"got {s.size} scores and {y.size} labels"
        )
        raise ValueError(msg)
    out = threshold_metrics(flag(s, threshold), y)
    return {**ranking_metrics(s, y), **out}


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Flags and metrics of one split for one or more thresholds.

    Attributes:
        scores: The scored split.
        thresholds: ``"threshold"`` (the deciding one) first, then each extra by name.
        flags: Predicted labels per threshold name.
        metrics: Flat metrics with the stage prefix: ``<stage>/accuracy`` ... for the deciding
            threshold, ``<stage>/<name>/accuracy`` ... for an extra one, ``<stage>/auroc`` and
            ``<stage>/auprc`` once, ``<stage>/recall_class_<c>`` per abnormal class code and
            ``<stage>/false_alarm_class_<c>`` per normal one where class codes exist.
        warnings: Sanity checks that failed (e.g. inverted scores), in plain words.
    """

    scores: SplitScores
    thresholds: dict[str, float]
    flags: dict[str, np.ndarray] = field(repr=False)
    metrics: dict[str, float | int]
    warnings: list[str]

    @property
    def stage(self) -> str:
        """The metric prefix (the split's name)."""
        return self.scores.split

    @property
    def threshold(self) -> float:
        """The deciding threshold."""
        return self.thresholds[DECIDING]

    @property
    def deciding_flags(self) -> np.ndarray:
        """Flags of the deciding threshold."""
        return self.flags[DECIDING]

    def confusion(self, name: str = DECIDING) -> tuple[int, int, int, int]:
        """``(tn, fp, fn, tp)`` of one threshold (abnormal positive); needs labels."""
        prefix = self._prefix(name)
        return tuple(int(self.metrics[f"{prefix}{k}"]) for k in CONFUSION)

    def _prefix(self, name: str) -> str:
        return f"{self.stage}/" if name == DECIDING else f"{self.stage}/{name}/"

    def table(self, name: str = DECIDING) -> dict[str, float | int]:
        """The headline metrics of one threshold, for the console and ``report.md``."""
        prefix = self._prefix(name)
        out: dict[str, float | int] = {}
        for k in METRIC_NAMES:  # the console table and report.md, in order
            key = f"{self.stage}/{k}" if k in ("auroc", "auprc") else f"{prefix}{k}"
            if key in self.metrics:
                out[key] = self.metrics[key]
        out["threshold" if name == DECIDING else f"threshold/{name}"] = self.thresholds[name]
        return out


def evaluate(scores: SplitScores, thresholds: Mapping[str, float]) -> Evaluation:
    """Flag a scored split with each threshold and compute every metric.

    Args:
        scores: The split's scores (labels optional: without them only flag counts).
        thresholds: ``{"threshold": deciding value, name: extra value, ...}``.

    Returns:
        The evaluation.
    """
    if DECIDING not in thresholds:
        msg = f"evaluate() needs the deciding threshold under the key {DECIDING!r}"
        raise ValueError(msg)
    stage = scores.split
    ordered = {DECIDING: float(thresholds[DECIDING])}
    ordered |= {k: float(v) for k, v in thresholds.items() if k != DECIDING}
    flags = {name: flag(scores.scores, value) for name, value in ordered.items()}
    metrics: dict[str, float | int] = {f"{stage}/beats": len(scores)}
    # metrics of the beats whose label is known (a detected beat no annotation matches is not)
    known = scores.labelled()
    if known.labels is not None and len(known):
        keep = slice(None) if known is scores else scores.labels != UNKNOWN
        labels = known.labels
        if known.both_classes:
            metrics |= {f"{stage}/{k}": v for k, v in ranking_metrics(known.scores, labels).items()}
        for name, f in flags.items():
            prefix = f"{stage}/" if name == DECIDING else f"{stage}/{name}/"
            metrics |= {f"{prefix}{k}": v for k, v in threshold_metrics(f[keep], labels).items()}
        metrics |= _per_class(stage, known, flags[DECIDING][keep])
        if known is not scores:
            metrics[f"{stage}/unlabelled_beats"] = len(scores) - len(known)
    metrics[f"{stage}/flagged"] = int(flags[DECIDING].sum())
    return Evaluation(scores, ordered, flags, metrics, _sanity(scores, metrics))


def _per_class(stage: str, scores: SplitScores, flags: np.ndarray) -> dict[str, float | int]:
    """Flagged fraction per class code: detection rate (abnormal) or false alarms (normal)."""
    if scores.classes is None or scores.labels is None:
        return {}
    out: dict[str, float | int] = {}
    for code in np.unique(scores.classes):
        members = scores.classes == code
        normal = bool((scores.labels[members] == NORMAL).all())
        name = "false_alarm" if normal else "recall"
        out[f"{stage}/{name}_class_{int(code)}"] = float(flags[members].mean())
        out[f"{stage}/n_class_{int(code)}"] = int(members.sum())
    return out


def _sanity(scores: SplitScores, metrics: Mapping[str, Any]) -> list[str]:
    auroc = metrics.get(f"{scores.split}/auroc")
    if auroc is not None and not math.isnan(auroc) and auroc < 0.5:
        return [
            f"{scores.split} ROC-AUC is {auroc:.3f}, below 0.5: the scores rank abnormal beats "
            "as MORE normal than normal ones (inverted scores). The model has learned the "
            "abnormal beats too, or the labels are swapped; check the data and the recipe."
        ]
    return []
