"""Beat-detection accuracy against reference annotations, as ANSI/AAMI EC57 reports it.

Detected and reference beats are matched one to one when they are at most ``window_s``
(150 ms in EC57) apart; matched pairs are true positives, unmatched detections false positives,
unmatched reference beats false negatives. Sensitivity ``Se = TP / (TP + FN)`` and positive
predictivity ``+P = TP / (TP + FP)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: The EC57 matching window, in seconds.
MATCH_WINDOW_S = 0.15


@dataclass(frozen=True, eq=False)
class BeatMatch:
    """Result of matching detected beats to reference beats.

    Attributes:
        tp: Detections matched to a reference beat.
        fp: Detections with no reference beat within the window.
        fn: Reference beats with no detection within the window.
        pairs: ``(detected index, reference index)`` of each match, shape ``(tp, 2)``, in the
            order of the arrays given (not of their sorted copies).
    """

    tp: int
    fp: int
    fn: int
    pairs: np.ndarray = field(repr=False)

    @property
    def sensitivity(self) -> float:
        """Se = TP / (TP + FN) (NaN without reference beats)."""
        n = self.tp + self.fn
        return self.tp / n if n else float("nan")

    @property
    def ppv(self) -> float:
        """Positive predictivity +P = TP / (TP + FP) (NaN without detections)."""
        n = self.tp + self.fp
        return self.tp / n if n else float("nan")

    def as_dict(self) -> dict[str, float]:
        """Counts and rates under the ``beats/`` names used in ``metrics.json``."""
        return {
            "beats/tp": self.tp,
            "beats/fp": self.fp,
            "beats/fn": self.fn,
            "beats/sensitivity": self.sensitivity,
            "beats/ppv": self.ppv,
        }


def match_beats(
    detected: np.ndarray, reference: np.ndarray, fs: float, window_s: float = MATCH_WINDOW_S
) -> BeatMatch:
    """Match detections to reference beats one to one, nearest first, within ``window_s``.

    Candidate pairs closer than the window are taken in order of increasing distance, so each
    reference beat gets its nearest detection and a detection serves one beat only.

    Args:
        detected: Sample index of each detected beat.
        reference: Sample index of each reference beat (beats only: filter annotations with
            :meth:`~ecg_anomaly.recordings.annotations.Annotations.beats` first).
        fs: Sampling rate in Hz.
        window_s: Largest distance of a match, in seconds.

    Returns:
        The :class:`BeatMatch`.
    """
    det = np.asarray(detected, dtype=np.int64)
    ref = np.asarray(reference, dtype=np.int64)
    d_order, r_order = np.argsort(det, kind="stable"), np.argsort(ref, kind="stable")
    d_sorted, r_sorted = det[d_order], ref[r_order]
    window = window_s * fs
    # Candidate pairs: each detection with the reference beats within the window on either side.
    lo = np.searchsorted(r_sorted, d_sorted - window, side="left")
    hi = np.searchsorted(r_sorted, d_sorted + window, side="right")
    counts = hi - lo
    di = np.repeat(np.arange(len(d_sorted)), counts)
    ri = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)]) if len(di) else di
    dist = np.abs(d_sorted[di] - r_sorted[ri])
    used_d = np.zeros(len(d_sorted), dtype=bool)
    used_r = np.zeros(len(r_sorted), dtype=bool)
    pairs = []
    for k in np.argsort(dist, kind="stable"):
        a, b = di[k], ri[k]
        if not used_d[a] and not used_r[b]:
            used_d[a] = used_r[b] = True
            pairs.append((d_order[a], r_order[b]))
    tp = len(pairs)
    pairs_arr = np.asarray(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    return BeatMatch(tp=tp, fp=len(det) - tp, fn=len(ref) - tp, pairs=pairs_arr)
