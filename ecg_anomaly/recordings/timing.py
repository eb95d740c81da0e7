"""A beat's timing in its anomaly score, and typed flags: the recordings' post-processing term.

Premature atrial beats keep a normal shape, so a recording's beats are scored by shape and
timing together (:class:`TimingTerm`, a :class:`~ecg_anomaly.anomaly.postprocess.ScoreTerm`).
The model's shape score is made unit-free against the training beats' shape scores (its
empirical CDF, continued linearly above the largest of them) and the beat's one-sided
prematurity (:func:`~ecg_anomaly.recordings.features.prematurity`) is added in units of
``scale``:

    score = CDF_train(shape) + max(0, shape - top) / (top - median) + prematurity / scale

Each flagged beat is then **typed** from the parts of its score (:func:`beat_types`):
ventricular (``V``) when its shape lies beyond every training beat's (shape part >= 1), else
supraventricular (``S``: a normal shape, flagged for coming early). That is what EC57's VEB
and SVEB statistics count (:mod:`ecg_anomaly.recordings.ec57`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

from ecg_anomaly.anomaly.scoring import SplitScores
from ecg_anomaly.anomaly.terms import ScoreTerm

#: Prematurity that weighs as much as the whole range of the reference beats' shape scores.
PREMATURITY_SCALE = 0.1
#: Typed flags: 0 not flagged, 1 ventricular (shape), 2 supraventricular (timing).
NOT_FLAGGED, VENTRICULAR, SUPRAVENTRICULAR = 0, 1, 2
TYPE_NAMES = {NOT_FLAGGED: "", VENTRICULAR: "V", SUPRAVENTRICULAR: "S"}


def shape_part(shape: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """The unit-free shape part: CDF of the sorted ``reference`` scores, linear above its top."""
    top, mid = reference[-1], torch.quantile(reference, 0.5)
    spread = top - mid if top > mid else torch.ones_like(top)
    cdf = torch.searchsorted(reference, shape.contiguous(), right=True) / len(reference)
    return cdf + torch.clamp(shape - top, min=0.0) / spread


class TimingTerm(ScoreTerm):
    """Shape and one-sided prematurity in one score (see the module docstring).

    Args:
        scale: Prematurity equal to one unit of the shape part (0.1: 10 % early counts as much
            as the whole range of the training beats' shapes).
    """

    name: ClassVar[str] = "timing"
    features: ClassVar[tuple[str, ...]] = ("prematurity",)

    def __init__(self, scale: float = PREMATURITY_SCALE) -> None:
        super().__init__()
        if not scale > 0:
            msg = f"the prematurity scale must be > 0, got {scale!r}"
            raise ValueError(msg)
        self.scale = float(scale)
        self.register_buffer("reference", torch.empty(0, dtype=torch.float64))

    @property
    def fitted(self) -> bool:
        return self.reference.numel() > 0

    def settings(self) -> dict[str, Any]:
        return {"scale": self.scale}

    def describe(self) -> str:
        return f"shape CDF + prematurity / {self.scale:g}"

    def fit(self, scores: torch.Tensor, features: Mapping[str, torch.Tensor]) -> None:
        """Keep the training beats' shape scores, sorted (the CDF's reference)."""
        if scores.numel() == 0:
            msg = "the timing term needs the shape scores of at least one training beat"
            raise ValueError(msg)
        self.reference = scores.detach().double().flatten().sort().values

    def forward(
        self, scores: torch.Tensor, features: Mapping[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        shape = scores.double()
        early = features["prematurity"].double()
        by_shape = shape_part(shape, self.reference)
        by_timing = early / self.scale
        parts = {"shape": shape, "shape_part": by_shape, "timing_part": by_timing}
        return by_shape + by_timing, parts

    def metrics(self, split: SplitScores, flags: np.ndarray) -> dict[str, Any]:
        """EC57's VEB and SVEB counts and rates from the typed flags (annotated beats only)."""
        from ecg_anomaly.recordings.ec57 import class_metrics

        if split.classes is None or "shape_part" not in split.extras:
            return {}
        return class_metrics(split.classes, beat_types(flags, split.extras["shape_part"]))

    def columns(self, split: SplitScores, flags: np.ndarray) -> dict[str, np.ndarray]:
        """``type`` of each beat: ``V`` or ``S`` where flagged, else empty."""
        if "shape_part" not in split.extras:
            return {}
        types = beat_types(flags, split.extras["shape_part"])
        return {"type": np.array([TYPE_NAMES[int(t)] for t in types], dtype=object)}


def beat_types(flags: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """The type of each beat: 0 not flagged, 1 ventricular (shape part >= 1), 2 supraventricular.

    Args:
        flags: 1 where the beat is flagged abnormal.
        shape: The shape part of each beat's score (``shape_part``).
    """
    flags = np.asarray(flags).astype(bool)
    typed = np.where(np.asarray(shape) >= 1.0, VENTRICULAR, SUPRAVENTRICULAR)
    return np.where(flags, typed, NOT_FLAGGED).astype(np.int64)
