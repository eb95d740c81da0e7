"""A beat's timing in its anomaly score, and typed flags: the recordings' post-processing term.

Premature atrial beats keep a normal shape, so a recording's beats are scored by shape and
timing together (:class:`TimingTerm`, a :class:`~ecg_anomaly.anomaly.postprocess.ScoreTerm`).
The model's shape score is made unit-free against the training beats' shape scores (its
empirical CDF, continued linearly above the largest of them) and the beat's one-sided
prematurity (:func:`~ecg_anomaly.recordings.features.prematurity`) is added in units of
``scale``:

    score = CDF_train(shape) + max(0, shape - top) / (top - median) + prematurity / scale
            + max(0, qrs_part - qrs_onset) / qrs_scale

The last term (the QRS part is below) lets a QRS far unlike the patient's usual one raise the
score although the whole beat's shape score does not: a ventricular beat whose window the
model reconstructs passably. It starts at ``qrs_onset`` = 3 QRS units (18 robust standard
deviations of the training beats' QRS distances) and grows by one score unit per
``qrs_scale`` = 5 QRS units. Measured on the 44 MIT-BIH records (5 training minutes, typed by
the QRS part in both): VEB sensitivity 82.6 -> 88.9 %, +P 87.3 -> 86.5 %; abnormal beats Se
78.2 -> 83.3 %, +P 64.9 -> 65.7 %, specificity 95.0 -> 94.9 %; records with ROC-AUC below
0.97: 15 -> 11. Its price: a patient whose usual QRS changes after the training minutes
(MIT-BIH 207, bundle-branch block changing) has its normal beats scored up (ROC-AUC 0.75 ->
0.28 there, with 6 more false flags).

Each flagged beat is then **typed** (:func:`beat_types`) by its QRS complex alone: ventricular
(``V``) when its QRS is unlike the patient's usual one, else supraventricular (``S``: a normal
QRS, flagged for coming early or for a change outside the QRS, as of its P wave). The beat's
``qrs_distance`` (:func:`~ecg_anomaly.recordings.features.qrs_distance`, over R +- 60 ms) is
made unit-free against the training beats' distances, robustly:

    qrs_part = (qrs_distance - median_train) / (qrs_spread * 1.4826 * MAD_train)

and the beat is typed V when ``qrs_part >= 1`` (``qrs_spread`` = 6 robust standard deviations
beyond the training beats' median). The QRS only, not the whole beat's shape score, because a
premature beat's window takes in the previous beat's T wave: its shape score is then abnormal
although its QRS is normal (MIT-BIH 232: 1060 of 1167 atrial premature beats were typed V by
the shape part). Without a QRS distance (a model saved before it), the shape part types:
V when it is >= 1 (beyond every training beat's shape).

A flagged beat with a normal QRS in an **irregular rhythm** (``irregularity`` >= ``irregular``
= 0.1, :func:`~ecg_anomaly.recordings.features.rr_irregularity`: atrial fibrillation or
flutter, where every beat comes early or late) is typed ``Q`` (abnormal, not typed): coming
early does not make it a supraventricular ectopic beat there. Measured on the 44 MIT-BIH
records: SVEB Se / +P 70.0 / 33.6 % -> 57.2 / 58.1 % (false SVEBs 3418 -> 1018, most of
them in the fibrillation records 203, 219, 221, 202; the S beats lost are in 222, 232, 201).
Typed flags are what EC57's VEB and SVEB statistics count (:mod:`ecg_anomaly.recordings.ec57`:
a ``Q`` flag counts in neither).
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
#: A flagged beat is typed V when its QRS distance lies this many robust standard deviations
#: (1.4826 x MAD) of the training beats' distances beyond their median.
QRS_SPREAD = 6.0
#: QRS parts beyond this add to the score (``qrs_onset``), one unit per ``qrs_scale`` of them.
QRS_ONSET, QRS_SCALE = 3.0, 5.0
#: The smallest robust standard deviation of the training beats' QRS distances (1 % of the
#: QRS's size: identical synthetic beats have 0).
MIN_QRS_SCALE = 0.01
#: A flagged normal-QRS beat is not typed S where the rhythm's irregularity reaches this.
IRREGULAR = 0.1
#: Typed flags: 0 not flagged, 1 ventricular (QRS), 2 supraventricular, 3 not typed (a normal
#: QRS in an irregular rhythm).
NOT_FLAGGED, VENTRICULAR, SUPRAVENTRICULAR, UNTYPED = 0, 1, 2, 3
TYPE_NAMES = {NOT_FLAGGED: "", VENTRICULAR: "V", SUPRAVENTRICULAR: "S", UNTYPED: "Q"}


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
        qrs_spread: Robust standard deviations of the training beats' QRS distances beyond
            their median from which a flagged beat is typed V (see the module docstring).
        qrs_onset: QRS part beyond which the QRS adds to the score (None: it never does).
        qrs_scale: QRS parts worth one unit of score beyond ``qrs_onset``.
        irregular: Rhythm irregularity from which a flagged normal-QRS beat is typed ``Q``, not
            ``S`` (None: never).
    """

    name: ClassVar[str] = "timing"
    features: ClassVar[tuple[str, ...]] = ("prematurity",)

    def __init__(
        self,
        scale: float = PREMATURITY_SCALE,
        qrs_spread: float = QRS_SPREAD,
        qrs_onset: float | None = QRS_ONSET,
        qrs_scale: float = QRS_SCALE,
        irregular: float | None = IRREGULAR,
    ) -> None:
        super().__init__()
        if not scale > 0:
            msg = f"the prematurity scale must be > 0, got {scale!r}"
            raise ValueError(msg)
        if not (qrs_spread > 0 and qrs_scale > 0):
            msg = f"the QRS spread and scale must be > 0, got {qrs_spread!r} and {qrs_scale!r}"
            raise ValueError(msg)
        self.scale = float(scale)
        self.qrs_spread = float(qrs_spread)
        self.qrs_onset = None if qrs_onset is None else float(qrs_onset)
        self.qrs_scale = float(qrs_scale)
        self.irregular = None if irregular is None else float(irregular)
        self.register_buffer("reference", torch.empty(0, dtype=torch.float64))
        #: The training beats' QRS distances: median and robust standard deviation (empty when
        #: the beats had none).
        self.register_buffer("qrs_reference", torch.empty(0, dtype=torch.float64))

    @property
    def fitted(self) -> bool:
        return self.reference.numel() > 0

    def settings(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "qrs_spread": self.qrs_spread,
            "qrs_onset": self.qrs_onset,
            "qrs_scale": self.qrs_scale,
            "irregular": self.irregular,
        }

    @property
    def scores_qrs(self) -> bool:
        """Whether the QRS part adds to the score (fitted with QRS distances, an onset set)."""
        return self.qrs_onset is not None and self.qrs_reference.numel() == 2

    def describe(self) -> str:
        out = f"shape CDF + prematurity / {self.scale:g}"
        if self.scores_qrs:
            out += f" + max(0, QRS part - {self.qrs_onset:g}) / {self.qrs_scale:g}"
        return out

    def fit(self, scores: torch.Tensor, features: Mapping[str, torch.Tensor]) -> None:
        """Keep the training beats' shape scores, sorted (the CDF's reference).

        With ``qrs_distance`` among the features, keep the median and robust spread of the
        training beats' QRS distances too (:func:`qrs_reference`).
        """
        if scores.numel() == 0:
            msg = "the timing term needs the shape scores of at least one training beat"
            raise ValueError(msg)
        self.reference = scores.detach().double().flatten().sort().values
        self.qrs_reference = qrs_reference(features.get("qrs_distance"))

    def forward(
        self, scores: torch.Tensor, features: Mapping[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        shape = scores.double()
        early = features["prematurity"].double()
        by_shape = shape_part(shape, self.reference)
        by_timing = early / self.scale
        parts = {"shape": shape, "shape_part": by_shape, "timing_part": by_timing}
        score = by_shape + by_timing
        distance = features.get("qrs_distance")
        if distance is not None and self.qrs_reference.numel() == 2:
            mid, spread = self.qrs_reference
            parts["qrs_part"] = by_qrs = (distance.double() - mid) / (self.qrs_spread * spread)
            if self.qrs_onset is not None:
                # a beat without a QRS distance (NaN) gets nothing from it
                excess = torch.clamp(torch.nan_to_num(by_qrs) - self.qrs_onset, min=0.0)
                parts["qrs_excess"] = excess / self.qrs_scale
                score = score + parts["qrs_excess"]
        return score, parts

    def _load_from_state_dict(self, state_dict, prefix, *args: Any, **kwargs: Any) -> None:
        # a model saved before the QRS typing has no QRS reference: it types by the shape part
        state_dict.setdefault(f"{prefix}qrs_reference", torch.empty(0, dtype=torch.float64))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def types(self, split: SplitScores, flags: np.ndarray) -> np.ndarray:
        """:func:`beat_types` of a split's beats, from its parts and features."""
        extras = split.extras
        irregularity = None if self.irregular is None else extras.get("irregularity")
        return beat_types(
            flags, extras["shape_part"], extras.get("qrs_part"), irregularity, self.irregular
        )

    def metrics(self, split: SplitScores, flags: np.ndarray) -> dict[str, Any]:
        """EC57's VEB and SVEB counts and rates from the typed flags (annotated beats only)."""
        from ecg_anomaly.recordings.ec57 import class_metrics

        if split.classes is None or "shape_part" not in split.extras:
            return {}
        return class_metrics(split.classes, self.types(split, flags))

    def columns(self, split: SplitScores, flags: np.ndarray) -> dict[str, np.ndarray]:
        """``type`` of each beat: ``V`` or ``S`` where flagged, else empty."""
        if "shape_part" not in split.extras:
            return {}
        types = self.types(split, flags)
        return {"type": np.array([TYPE_NAMES[int(t)] for t in types], dtype=object)}


def qrs_reference(distance: torch.Tensor | None) -> torch.Tensor:
    """``[median, robust standard deviation]`` of the finite QRS distances (empty: none).

    The robust standard deviation is 1.4826 x the median absolute deviation, at least
    :data:`MIN_QRS_SCALE`.
    """
    if distance is None:
        return torch.empty(0, dtype=torch.float64)
    d = distance.detach().double().flatten()
    d = d[torch.isfinite(d)]
    if d.numel() == 0:
        return torch.empty(0, dtype=torch.float64)
    mid = d.median()
    spread = torch.clamp(1.4826 * (d - mid).abs().median(), min=MIN_QRS_SCALE)
    return torch.stack([mid, spread])


def beat_types(
    flags: np.ndarray,
    shape: np.ndarray,
    qrs: np.ndarray | None = None,
    irregularity: np.ndarray | None = None,
    irregular: float | None = IRREGULAR,
) -> np.ndarray:
    """The type of each beat: 0 not flagged, 1 ventricular, 2 supraventricular, 3 not typed.

    A flagged beat is ventricular when its QRS part is >= 1 (its QRS unlike the usual one);
    where it has no QRS part (None or NaN), when its shape part is >= 1. Any other flagged beat
    is supraventricular, unless its rhythm's irregularity is >= ``irregular``: not typed.

    Args:
        flags: 1 where the beat is flagged abnormal.
        shape: The shape part of each beat's score (``shape_part``).
        qrs: The QRS part of each beat (``qrs_part``), or None.
        irregularity: The irregularity of the rhythm around each beat, or None.
        irregular: See above (None: no beat is left untyped).
    """
    flags = np.asarray(flags).astype(bool)
    ventricular = np.asarray(shape, dtype=np.float64) >= 1.0
    if qrs is not None:
        qrs = np.asarray(qrs, dtype=np.float64)
        ventricular = np.where(np.isfinite(qrs), qrs >= 1.0, ventricular)
    other = np.full(len(flags), SUPRAVENTRICULAR)
    if irregularity is not None and irregular is not None:
        other = np.where(np.asarray(irregularity) >= irregular, UNTYPED, SUPRAVENTRICULAR)
    typed = np.where(ventricular, VENTRICULAR, other)
    return np.where(flags, typed, NOT_FLAGGED).astype(np.int64)
