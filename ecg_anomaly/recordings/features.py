"""RR-interval features of beats: the intervals themselves and a one-sided prematurity.

A premature beat (atrial or ventricular) comes early: its RR interval before it is shorter than
the local rhythm's. Its shape can be normal (an atrial premature beat), so the timing is the
only sign of it. The prematurity is one-sided on purpose: the long pause after an ectopic beat
(compensatory pause) is not itself abnormal, and a two-sided term that also flags it was
measured to halve the precision of the detection (see ``docs/recordings.md``).

An early beat is an ectopic one only in a regular rhythm: in atrial fibrillation every beat
comes early or late. :func:`rr_irregularity` measures how irregular the rhythm around a beat is
(a flagged normal-QRS beat there is not typed supraventricular).

The QRS complex itself tells an ectopic beat's origin: a ventricular beat's QRS is wide and
unlike the patient's usual one, an atrial premature beat's is the usual one. Its distance from
the dominant beats' median QRS (:func:`qrs_distance`, over ``[R - 60 ms, R + 60 ms]``: the
QRS only, so the previous beat's T wave, which a premature beat's longer window takes in, does
not count) types a flagged beat (:func:`~ecg_anomaly.recordings.timing.beat_types`).
"""

from __future__ import annotations

import numpy as np

#: Beats on each side whose RR intervals give the local median rhythm.
LOCAL_BEATS = 8
#: Beats on each side whose RR intervals give the rhythm's irregularity (33 intervals, ~30 s).
IRREGULAR_BEATS = 16
#: The QRS window around each R peak whose distance from the usual QRS types a beat (seconds
#: before and after the peak): a normal QRS lasts 80-100 ms, a ventricular one 120 ms or more.
QRS_CORE_S = 0.06


def rr_intervals(peaks: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """RR interval before and after each beat, in seconds (NaN for the first / last beat)."""
    t = np.asarray(peaks, dtype=np.float64) / fs
    rr = np.diff(t)
    return np.concatenate([[np.nan], rr]), np.concatenate([rr, [np.nan]])


def local_rr(rr_prev: np.ndarray, local_beats: int = LOCAL_BEATS) -> np.ndarray:
    """Median of the RR intervals of the ``local_beats`` beats on each side of every beat.

    The beat's own interval is included: with up to ``local_beats`` ectopic beats among the
    ``2 * local_beats + 1`` the median stays on the dominant rhythm. NaN intervals (the first
    beat's) are ignored.
    """
    rr_prev = np.asarray(rr_prev, dtype=np.float64)
    if len(rr_prev) == 0:
        return rr_prev.copy()
    padded = np.pad(rr_prev, local_beats, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * local_beats + 1)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows of a 1-beat record
            return np.nanmedian(windows, axis=1)


def prematurity(rr_prev: np.ndarray, local_beats: int = LOCAL_BEATS) -> np.ndarray:
    """How much earlier than the local rhythm each beat comes: ``max(0, 1 - RR_prev / local RR)``.

    0 for a beat on time or late (and for the first beat, which has no RR before it); 0.3 for a
    beat that comes after 70 % of the local RR interval.

    Args:
        rr_prev: RR interval before each beat (seconds), NaN where unknown.
        local_beats: Beats on each side that give the local rhythm.

    Returns:
        The prematurity of each beat, in ``[0, 1)``.
    """
    rr_prev = np.asarray(rr_prev, dtype=np.float64)
    ref = local_rr(rr_prev, local_beats)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = 1.0 - rr_prev / ref
    return np.where(np.isfinite(value), np.clip(value, 0.0, None), 0.0)


def qrs_distance(core: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """How far each beat's QRS lies from the reference beats' median QRS, relative to its size.

    ``sqrt(mean((q - m)^2)) / sqrt(mean(m^2))`` with ``q`` a beat's QRS window and ``m`` the
    value-wise median of the reference beats' windows: 0 for the usual QRS, 1 for a difference
    as large as the usual QRS itself. Unit-free (any gain), and with windows in seconds
    (:data:`QRS_CORE_S`, resampled to a fixed length) free of the sampling rate too.

    Args:
        core: Each beat's QRS window, ``(n, d)`` (``RecordingBeats.core``).
        reference: Mask of the beats whose median is the usual QRS (the training beats; None
            or no beat: every beat).

    Returns:
        The distance of each beat (NaN for every beat when there are none).
    """
    core = np.asarray(core, dtype=np.float64)
    if core.ndim != 2 or len(core) == 0:
        return np.full(len(core), np.nan)
    pick = np.ones(len(core), bool) if reference is None else np.asarray(reference, bool)
    if not pick.any():
        pick = np.ones(len(core), bool)
    template = np.median(core[pick], axis=0)
    size = np.sqrt(np.mean(template**2))
    diff = np.sqrt(np.mean((core - template) ** 2, axis=1))
    return diff / size if size > 0 else np.full(len(core), np.nan)


def rr_irregularity(rr_prev: np.ndarray, local_beats: int = IRREGULAR_BEATS) -> np.ndarray:
    """How irregular the rhythm around each beat is: the median of ``|RR_i - RR_i-1| / RR_i``.

    Over the intervals of the ``local_beats`` beats on each side and the beat itself (NaN
    ignored). About 0.02-0.06 for a sinus rhythm with occasional ectopic beats, 0.15-0.3 in
    atrial fibrillation (MIT-BIH); the median keeps isolated ectopic beats from counting.

    Args:
        rr_prev: RR interval before each beat (seconds), NaN where unknown.
        local_beats: Beats on each side.

    Returns:
        The irregularity of each beat (0 where no interval is known).
    """
    rr = np.asarray(rr_prev, dtype=np.float64)
    if len(rr) == 0:
        return rr.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.abs(np.diff(rr, prepend=np.nan)) / rr
    padded = np.pad(change, local_beats, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * local_beats + 1)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows of a short record
        return np.nan_to_num(np.nanmedian(windows, axis=1))
