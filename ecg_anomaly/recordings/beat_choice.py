"""Choose the beats among candidate QRS complexes: :func:`choose_beats`.

The candidates are the detections of :mod:`ecg_anomaly.recordings.peaks` (with how many
detectors found each) and the peaks of the QRS slope energy; the rules and their thresholds
are described there, in the module docstring, and defined here.
"""

from __future__ import annotations

import bisect

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: Share of the typical strength a single-vote candidate needs in the first pass...
STRONG = 0.7
#: ...in the second pass...
WEAK = 0.4
#: ...and any candidate in the search-back.
SEARCH_BACK = 0.25
#: An RR interval this many times the local one is searched back for a missed beat.
GAP_RATIO = 1.5
#: Agreed beats (and RR intervals) on each side whose median is the typical strength (RR).
NEIGHBOURS = 8
#: Two beats are never closer than this (seconds; 240 beats per minute).
REFRACTORY_S = 0.25
#: Within this many seconds of a beat, a much weaker candidate is a T or P wave...
T_WAVE_S = 0.36
#: ..."much weaker": below this share of the beat's strength and of the typical strength.
T_WAVE_RATIO = 0.5
#: A candidate is clear of noise at this many times the median slope energy around it...
NOISE_RATIO = 2.0
#: ...over this many seconds (the median is taken at :data:`NOISE_RATE_HZ`).
NOISE_WINDOW_S, NOISE_RATE_HZ = 5.0, 20.0
#: Search-back rounds (each fills every gap left by the previous one with one beat).
SEARCH_ROUNDS = 4


def running_median(pos: np.ndarray, val: np.ndarray, at: np.ndarray, k: int) -> np.ndarray:
    """Median of ``val`` over the ``k`` entries of ``pos`` (sorted) on each side of each ``at``.

    Returns:
        One median per ``at`` (NaN everywhere when ``pos`` is empty).
    """
    if len(pos) == 0:
        return np.full(len(at), np.nan)
    padded = np.concatenate([np.full(k, np.nan), val, np.full(k, np.nan)])
    windows = sliding_window_view(padded, 2 * k)  # window i covers val[i - k : i + k]
    return np.nanmedian(windows[np.searchsorted(pos, at)], axis=1)


def local_rr(beats: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """RR intervals between ``beats`` and the median of the ``k`` intervals on each side of each.

    Returns:
        ``(rr, local)``, both of length ``len(beats) - 1``.
    """
    rr = np.diff(beats).astype(np.float64)
    padded = np.concatenate([np.full(k, np.nan), rr, np.full(k, np.nan)])
    return rr, np.nanmedian(sliding_window_view(padded, 2 * k + 1), axis=1)


def noise_level(energy: np.ndarray, fs: float, at: np.ndarray, offset: int = 0) -> np.ndarray:
    """Median slope energy of the :data:`NOISE_WINDOW_S` around each sample of ``at``.

    The energy is read every ``1 / NOISE_RATE_HZ`` seconds, on a grid that starts at the
    recording's first sample (``offset``: the recording sample where ``energy`` starts), so a
    piece of a recording gives what the whole recording would.
    """
    from scipy.ndimage import median_filter

    step = max(round(fs / NOISE_RATE_HZ), 1)
    first = (-offset) % step
    grid = energy[first::step]
    if len(grid) == 0:
        return np.zeros(len(at))
    level = median_filter(grid, size=int(NOISE_WINDOW_S * NOISE_RATE_HZ) | 1, mode="nearest")
    return level[np.clip((at - first + step // 2) // step, 0, len(level) - 1)]


def _collides(
    i: int,
    s: np.ndarray,
    strength: np.ndarray,
    typical: np.ndarray,
    pos: list[int],
    power: list[float],
    fs: float,
) -> bool:
    """Whether candidate ``i`` lies too close to a taken beat (``pos``, sorted, and ``power``)."""
    k = bisect.bisect_left(pos, s[i])
    for j in range(max(k - 2, 0), min(k + 2, len(pos))):
        gap = abs(s[i] - pos[j]) / fs
        if gap < REFRACTORY_S:
            return True
        weak = strength[i] < T_WAVE_RATIO * min(power[j], typical[i])
        if gap < T_WAVE_S and weak:
            return True
    return False


def _accept(
    s: np.ndarray,
    strength: np.ndarray,
    typical: np.ndarray,
    eligible: np.ndarray,
    taken: np.ndarray,
    fs: float,
) -> np.ndarray:
    """Take eligible candidates, strongest first, unless they collide with one already taken."""
    taken = taken.copy()
    pos, power = list(s[taken]), list(strength[taken])
    for i in np.argsort(-strength, kind="stable"):
        if eligible[i] and not taken[i] and not _collides(i, s, strength, typical, pos, power, fs):
            k = bisect.bisect_left(pos, s[i])
            pos.insert(k, s[i])
            power.insert(k, strength[i])
            taken[i] = True
    return taken


def _search_back(
    s: np.ndarray,
    strength: np.ndarray,
    typical: np.ndarray,
    eligible: np.ndarray,
    taken: np.ndarray,
    fs: float,
) -> np.ndarray:
    """Fill RR gaps over :data:`GAP_RATIO` times the local RR with their strongest candidate."""
    taken = taken.copy()
    for _ in range(SEARCH_ROUNDS):
        beats = np.flatnonzero(taken)
        if len(beats) < 3:
            break
        pos, power = list(s[beats]), list(strength[beats])
        rr, local = local_rr(s[beats], NEIGHBOURS)
        added = False
        for g in np.flatnonzero(rr > GAP_RATIO * local):
            inside = np.flatnonzero((s > pos[g]) & (s < pos[g + 1]) & eligible & ~taken)
            for i in inside[np.argsort(-strength[inside], kind="stable")]:
                if not _collides(i, s, strength, typical, pos, power, fs):
                    taken[i] = added = True
                    break
        if not added:
            break
    return taken


def choose_beats(
    s: np.ndarray,
    votes: np.ndarray,
    strength: np.ndarray,
    noise: np.ndarray,
    fs: float,
    min_votes: int,
) -> np.ndarray:
    """Which candidates are beats: agreed ones, strong then weak single votes, search-back.

    Args:
        s: Sample of each candidate (snapped, increasing).
        votes: Detectors that found each (0 for a slope-energy peak no detector found).
        strength: Each candidate's QRS slope energy.
        noise: The median slope energy around each (:func:`noise_level`).
        fs: Sampling rate in Hz.
        min_votes: Votes that make a candidate agreed.

    Returns:
        A boolean mask over the candidates.
    """
    agreed = votes >= min_votes
    typical = running_median(s[agreed], strength[agreed], s, NEIGHBOURS)
    clear = strength >= NOISE_RATIO * noise
    with np.errstate(invalid="ignore"):
        strong = agreed | ((votes >= 1) & clear & (strength >= STRONG * typical))
        weak = (votes >= 1) & clear & (strength >= WEAK * typical)
        missed = clear & (strength >= SEARCH_BACK * typical)
    taken = _accept(s, strength, typical, strong, np.zeros(len(s), dtype=bool), fs)
    taken = _accept(s, strength, typical, weak, taken, fs)
    return _search_back(s, strength, typical, missed, taken, fs)
