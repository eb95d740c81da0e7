"""Class statistics as ANSI/AAMI EC57 counts them: VEB and SVEB sensitivity and +P.

A flagged beat is typed ventricular or supraventricular
(:func:`~ecg_anomaly.recordings.timing.beat_types`); the annotated beats are grouped into the
AAMI classes N, S, V, F and Q (:mod:`ecg_anomaly.recordings.annotations`). Then:

- **VEB** (ventricular ectopic beats, the AAMI V class: MIT-BIH ``V`` and ``E``): TP = V beats
  typed V; FN = V beats not typed V (not flagged, or typed S); FP = beats of another class
  typed V, except fusion (F) beats, which EC57 does not count against a VEB detector (a fusion
  beat is partly ventricular), and Q beats, which the protocol leaves out.
- **SVEB** (supraventricular ectopic beats, the AAMI S class: ``A``, ``a``, ``J``, ``S``): TP =
  S beats typed S; FN = S beats not typed S; FP = beats of another class typed S, except Q.

Beats no annotation matches (a false detection) have no class and count in neither: beat
detection is measured on its own (``beats/...``).

Se = TP / (TP + FN), +P = TP / (TP + FP); NaN where the denominator is zero (a record without
that class), so that gross figures are computed from the summed counts, never from averages.
"""

from __future__ import annotations

import math

import numpy as np

#: AAMI class codes of the recordings' beats (``SplitScores.classes``): 1 N, 2 S, 3 V, 4 F, 5 Q.
AAMI_CODES = {"N": 1, "S": 2, "V": 3, "F": 4, "Q": 5}
AAMI_NAMES = {code: name for name, code in AAMI_CODES.items()}
#: Typed flags (:mod:`ecg_anomaly.recordings.timing`): 1 ventricular, 2 supraventricular.
_TYPED_V, _TYPED_S = 1, 2


def _rate(num: int, den: int) -> float:
    return num / den if den else math.nan


def counts(classes: np.ndarray, types: np.ndarray) -> dict[str, int]:
    """TP, FN and FP of VEB and SVEB (``veb/tp``, ... ``sveb/fp``), see the module docstring.

    Args:
        classes: AAMI class code of each beat (-1: no annotation matched).
        types: Typed flag of each beat: 0 not flagged, 1 ventricular, 2 supraventricular.
    """
    classes, types = np.asarray(classes), np.asarray(types)
    v, s, f, q = (classes == AAMI_CODES[k] for k in ("V", "S", "F", "Q"))
    annotated = classes > 0
    typed_v, typed_s = types == _TYPED_V, types == _TYPED_S
    return {
        "veb/tp": int((v & typed_v).sum()),
        "veb/fn": int((v & ~typed_v).sum()),
        "veb/fp": int((annotated & ~v & ~f & ~q & typed_v).sum()),
        "sveb/tp": int((s & typed_s).sum()),
        "sveb/fn": int((s & ~typed_s).sum()),
        "sveb/fp": int((annotated & ~s & ~q & typed_s).sum()),
    }


def rates(n: dict[str, int]) -> dict[str, float]:
    """Se and +P of VEB and SVEB from :func:`counts` (summed over records for gross figures)."""
    out = {}
    for kind in ("veb", "sveb"):
        tp, fn, fp = n[f"{kind}/tp"], n[f"{kind}/fn"], n[f"{kind}/fp"]
        out[f"{kind}/sensitivity"] = _rate(tp, tp + fn)
        out[f"{kind}/ppv"] = _rate(tp, tp + fp)
    return out


def class_metrics(classes: np.ndarray, types: np.ndarray) -> dict[str, float | int]:
    """Counts and rates of VEB and SVEB.

    The share of each class flagged is the evaluation's ``recall_class_<code>`` (the codes of
    :data:`AAMI_CODES`).
    """
    n = counts(classes, types)
    return {**n, **rates(n)}
