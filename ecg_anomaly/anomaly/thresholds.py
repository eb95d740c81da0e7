"""Thresholds: small stateful objects that turn anomaly scores into a cut-off.

Each threshold is a ``torchmetrics.Metric``: ``update(scores, labels)`` collects the scores of
one split (gathered across processes under distributed training), ``compute()`` returns the
cut-off. A beat is abnormal when its score is at or above the threshold, as in the TensorFlow
tutorial (``normal = loss < threshold``).

``fit_on`` says which split a threshold needs: ``"train"`` (the scores of normal training
beats), ``"val"`` (labelled validation beats) or ``None`` (nothing: a fixed value).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
from torchmetrics import Metric
from torchmetrics.utilities import dim_zero_cat

from ecg_anomaly.anomaly.scoring import SplitScores
from ecg_anomaly.data.labels import ABNORMAL, NORMAL
from ecg_anomaly.errors import bad_value


class ThresholdWarning(UserWarning):
    """A threshold had to fall back to a simpler rule (e.g. no abnormal validation beats)."""


class Threshold(Metric):
    """Base class of thresholds; subclasses implement :meth:`compute` returning the cut-off.

    ``update(scores, labels)`` collects scores batch by batch, ``compute()`` returns the
    cut-off; :meth:`fit` does both for a split scored once by
    :func:`~ecg_anomaly.anomaly.scoring.score_split` (already gathered from every process, so
    it is not gathered again).
    """

    full_state_update = False
    is_differentiable = False
    higher_is_better = None
    fit_on: str | None = "train"

    def __init__(self) -> None:
        super().__init__()
        self.add_state("scores", default=[], dist_reduce_fx="cat")
        self.add_state("labels", default=[], dist_reduce_fx="cat")

    def settings(self) -> dict[str, Any]:
        """The rule as plain values (saved in checkpoints; :func:`from_settings` rebuilds it)."""
        return {"rule": type(self).__name__}

    def describe(self) -> str:
        """The rule in words (``threshold_rule`` in ``metrics.json``)."""
        return type(self).__name__

    def update(self, scores: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        """Add a batch of scores and their labels (all normal when ``labels`` is None)."""
        scores = scores.detach().flatten().double()
        if labels is None:
            labels = torch.full_like(scores, NORMAL, dtype=torch.long)
        self.scores.append(scores)
        self.labels.append(labels.detach().flatten().long())

    def fit(self, split: SplitScores | None) -> float:
        """The threshold of a scored split (None for thresholds that need no data)."""
        self.reset()
        if split is not None:
            labels = None if split.labels is None else torch.as_tensor(split.labels)
            self.update(torch.as_tensor(split.scores), labels)
        with self.sync_context(should_sync=False):
            return float(self.compute())

    def _collected(self) -> tuple[torch.Tensor, torch.Tensor]:
        # A list of batches on one process; one tensor once synced across processes.
        scores = dim_zero_cat(self.scores) if len(self.scores) else torch.empty(0)
        if scores.numel() == 0:
            msg = f"{type(self).__name__} received no scores: the split it is fitted on is empty"
            raise ValueError(msg)
        return scores, dim_zero_cat(self.labels).long()

    def _normal_scores(self) -> torch.Tensor:
        scores, labels = self._collected()
        normal = scores[labels == NORMAL]
        if normal.numel() == 0:
            msg = f"{type(self).__name__} needs scores of normal beats, but got none"
            raise ValueError(msg)
        return normal


class MeanStdThreshold(Threshold):
    """``mean + k * std`` of the scores of normal training beats (population std, as NumPy).

    Args:
        k: Number of standard deviations above the mean (the tutorial uses 1).
    """

    def __init__(self, k: float = 1.0) -> None:
        super().__init__()
        if not k >= 0:
            raise bad_value(
                "threshold.k", k, "a number >= 0", "k = 1 is the tutorial's mean + 1 std."
            )
        self.k = k

    def settings(self) -> dict[str, Any]:
        return {"rule": type(self).__name__, "k": float(self.k)}

    def describe(self) -> str:
        return f"mean + {self.k:g} std of the normal {self.fit_on} scores"

    def compute(self) -> torch.Tensor:
        normal = self._normal_scores()
        return normal.mean() + self.k * normal.std(unbiased=False)


class PercentileThreshold(Threshold):
    """The ``q``-th percentile of the scores of normal training beats (linear interpolation).

    Args:
        q: Percentile in ``[0, 100]``.
    """

    def __init__(self, q: float = 95.0) -> None:
        super().__init__()
        if not 0.0 <= q <= 100.0:
            raise bad_value("threshold.q", q, "a percentile in [0, 100]")
        self.q = q

    def settings(self) -> dict[str, Any]:
        return {"rule": type(self).__name__, "q": float(self.q)}

    def describe(self) -> str:
        if self.q == 100.0:
            return f"the largest of the normal {self.fit_on} scores"
        return f"percentile {self.q:g} of the normal {self.fit_on} scores"

    def compute(self) -> torch.Tensor:
        return torch.quantile(self._normal_scores().double(), self.q / 100.0)


class F1OptimalThreshold(Threshold):
    """The score that maximises F1 (abnormal positive) on the labelled validation split.

    Candidates are the validation scores themselves; among equal F1 the highest threshold
    wins. Fallbacks, each with a :class:`ThresholdWarning`: with no abnormal validation beat,
    the next float above the highest normal score (no validation beat is flagged); with no
    normal validation beat, the lowest abnormal score (every validation beat is flagged).
    """

    fit_on = "val"

    def describe(self) -> str:
        return "the F1-optimal score (abnormal positive) on the validation split"

    def compute(self) -> torch.Tensor:
        scores, labels = self._collected()
        n_abnormal = int((labels == ABNORMAL).sum())
        if n_abnormal == 0:
            warnings.warn(
                "F1-optimal threshold: the validation split has no abnormal beats, so F1 is "
                "undefined; falling back to the highest normal validation score",
                ThresholdWarning,
                stacklevel=2,
            )
            return torch.nextafter(scores.max(), torch.tensor(math.inf))
        if n_abnormal == len(labels):
            warnings.warn(
                "F1-optimal threshold: the validation split has no normal beats; falling back "
                "to the lowest abnormal validation score (every validation beat is flagged)",
                ThresholdWarning,
                stacklevel=2,
            )
            return scores.min()
        order = torch.argsort(scores, descending=True, stable=True)
        s, positive = scores[order], (labels[order] == ABNORMAL).long()
        tp = torch.cumsum(positive, 0)
        fp = torch.cumsum(1 - positive, 0)
        # Only the last position of each run of equal scores is a real cut-off: ">= s" flags
        # every beat with that score at once.
        last_of_run = torch.ones_like(s, dtype=torch.bool)
        last_of_run[:-1] = s[:-1] != s[1:]
        tp, fp, cut = tp[last_of_run], fp[last_of_run], s[last_of_run]
        f1 = 2 * tp / (2 * tp + fp + (n_abnormal - tp))
        return cut[torch.argmax(f1)]  # argmax takes the first maximum: the highest cut-off


class ManualThreshold(Threshold):
    """A fixed threshold (e.g. 0.5 on a classifier's probability of abnormal).

    Args:
        value: The threshold.
    """

    fit_on = None

    def __init__(self, value: float = 0.5) -> None:
        super().__init__()
        self.value = value

    def settings(self) -> dict[str, Any]:
        return {"rule": type(self).__name__, "value": float(self.value)}

    def describe(self) -> str:
        return f"the fixed value {self.value:g}"

    @property
    def update_called(self) -> bool:
        """Always true: a fixed value needs no scores (no "compute before update" warning)."""
        return True

    def compute(self) -> torch.Tensor:
        return torch.tensor(float(self.value))


#: The rules a checkpoint may name.
RULES = {
    cls.__name__: cls
    for cls in (MeanStdThreshold, PercentileThreshold, F1OptimalThreshold, ManualThreshold)
}


def from_settings(settings: dict[str, Any]) -> Threshold:
    """The rule :meth:`Threshold.settings` describes.

    Raises:
        ValueError: The settings name no rule of this module.
    """
    values = dict(settings)
    name = values.pop("rule", None)
    if name not in RULES:
        msg = f"unknown threshold rule {name!r}; known: {', '.join(RULES)}"
        raise ValueError(msg)
    return RULES[name](**values)
