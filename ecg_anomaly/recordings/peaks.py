"""Find the beats of a recording: three R-peak detectors vote, each beat snapped to its peak.

No single detector is reliable on real records (measured, see ``docs/recordings.md``): the
wavelet detector (Kalidas & Tamil 2017) misses wide ventricular beats, the gradient detector
(neurokit2's default) and Pan-Tompkins-like detectors put false beats into muscle noise, and
several mark the R wave 30-100 ms late. So three detectors of different kinds run on the same
cleaned signal (neurokit2 ``ecg_clean``): neurokit2's gradient detector, Kalidas & Tamil's
stationary wavelet transform and Manikandan & Soman's Shannon energy envelope. A beat is kept
where at least two of them agree within :data:`CLUSTER_S`; each kept beat is then moved to
the extremum of the cleaned signal near it (the R peak, or the main deflection of a beat whose
QRS points the other way than the recording's dominant polarity).

The signal is mirrored for a second at both ends before filtering, so a beat in the first or
last few hundred milliseconds is still found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from ecg_anomaly.errors import DataFormatError

#: The detectors that vote (neurokit2 ``ecg_findpeaks`` method names).
DETECTORS = ("neurokit", "kalidas2017", "manikandan2012")
#: Detections of different detectors closer than this (seconds) are the same beat.
CLUSTER_S = 0.1
#: A beat is kept when at least this many detectors found it.
MIN_VOTES = 2
#: Each beat is moved to the signal's extremum within this many seconds before and after it.
SNAP_S = 0.1
#: Two beats are never closer than this (seconds; 300 beats per minute).
REFRACTORY_S = 0.2
#: Mirrored padding at both ends, in seconds.
PAD_S = 1.0
#: A beat whose opposite-sign deflection is this many times larger is snapped to it.
INVERTED_RATIO = 2.0


@dataclass(frozen=True, eq=False)
class Peaks:
    """R peaks found in a signal.

    Attributes:
        sample: Sample index of each beat's peak, increasing (int64).
        position: The peak between samples (float64): the vertex of the parabola through the
            peak sample and its two neighbours, so beats cut at a low sampling rate line up
            as well as at a high one.
        votes: How many detectors found each beat.
        polarity: +1 when the dominant QRS deflection is upward (as in MIT-BIH MLII), -1 when
            it points down.
        clean: The cleaned signal (neurokit2 ``ecg_clean``) the peaks were snapped on.
        fs: Sampling rate in Hz.
    """

    sample: np.ndarray = field(repr=False)
    position: np.ndarray = field(repr=False)
    votes: np.ndarray = field(repr=False)
    polarity: int
    clean: np.ndarray = field(repr=False)
    fs: float

    def __len__(self) -> int:
        return len(self.sample)


def run_detector(clean: np.ndarray, fs: float, method: str) -> np.ndarray:
    """Peaks of one neurokit2 detector on a cleaned signal (sorted, unique, inside the signal)."""
    import neurokit2 as nk

    signal = clean
    if method == "manikandan2012":
        # neurokit2 0.2.x indexes one sample past the end when a crossing lies exactly half a
        # window before it; a few samples of zero padding move the end away from it.
        signal = np.concatenate([clean, np.zeros(int(0.2 * fs))])
    for extra in (0, 7, 13):
        try:
            padded = np.concatenate([signal, np.zeros(extra)]) if extra else signal
            found = nk.ecg_findpeaks(padded, sampling_rate=round(fs), method=method)
            break
        except IndexError:
            continue
    else:  # pragma: no cover - the padding above always avoids the off-by-one
        return np.empty(0, dtype=np.int64)
    peaks = np.unique(np.asarray(found["ECG_R_Peaks"], dtype=np.int64))
    return peaks[(peaks >= 0) & (peaks < len(clean))]


def vote(
    detections: list[np.ndarray], fs: float, min_votes: int = MIN_VOTES
) -> tuple[np.ndarray, np.ndarray]:
    """Merge the detections of several detectors into beats found by at least ``min_votes``.

    A cluster starts at a detection and takes every later one within :data:`CLUSTER_S`.

    Returns:
        ``(sample, votes)``: the median detection of each kept cluster, and how many distinct
        detectors it holds.
    """
    rows = [np.column_stack([p, np.full(len(p), k)]) for k, p in enumerate(detections) if len(p)]
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    both = np.concatenate(rows)
    both = both[np.argsort(both[:, 0], kind="stable")]
    tol = CLUSTER_S * fs
    starts = [0]
    for i in range(1, len(both)):
        if both[i, 0] - both[starts[-1], 0] > tol:
            starts.append(i)
    bounds = [*starts, len(both)]
    samples, votes = [], []
    for a, b in pairwise(bounds):
        n = len(np.unique(both[a:b, 1]))
        if n >= min_votes:
            samples.append(int(np.median(both[a:b, 0])))
            votes.append(n)
    return np.asarray(samples, dtype=np.int64), np.asarray(votes, dtype=np.int64)


def _extremes(
    clean: np.ndarray, peaks: np.ndarray, half: int, bounds: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per peak: position of the max and of the min of ``clean`` within ``half`` samples.

    The windows are clipped to ``bounds`` (start, stop), default the whole signal.
    """
    lo, hi = bounds or (0, len(clean))
    offsets = np.arange(-half, half + 1)
    idx = np.clip(peaks[:, None] + offsets[None, :], lo, hi - 1)
    win = clean[idx]
    rows = np.arange(len(peaks))
    return idx[rows, win.argmax(1)], idx[rows, win.argmin(1)]


def qrs_polarity(clean: np.ndarray, peaks: np.ndarray, fs: float) -> int:
    """+1 if most beats' largest deflection (against the local median) is upward, else -1."""
    if len(peaks) == 0:
        return 1
    hi, lo = _extremes(clean, peaks, int(SNAP_S * fs))
    base = np.array(
        [np.median(clean[max(p - int(0.3 * fs), 0) : p + int(0.3 * fs)]) for p in peaks]
    )
    up, down = clean[hi] - base, base - clean[lo]
    return 1 if np.median(up - down) >= 0 else -1


def snap(
    clean: np.ndarray,
    peaks: np.ndarray,
    fs: float,
    polarity: int,
    bounds: tuple[int, int] | None = None,
) -> np.ndarray:
    """Move each peak to the extremum of ``clean`` in the dominant direction within :data:`SNAP_S`.

    A beat whose deflection in the other direction is :data:`INVERTED_RATIO` times larger (an
    ectopic beat with an inverted QRS) is moved to that deflection instead. With ``bounds``
    (start, stop) the extremum is searched inside them only.
    """
    if len(peaks) == 0:
        return peaks
    hi, lo = _extremes(clean, peaks, int(SNAP_S * fs), bounds)
    main, other = (hi, lo) if polarity > 0 else (lo, hi)
    size_main, size_other = np.abs(clean[main]), np.abs(clean[other])
    return np.where(size_other > INVERTED_RATIO * size_main, other, main)


def refine(clean: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Sub-sample peak positions: the vertex of a parabola through each peak and its neighbours.

    The offset is at most half a sample; peaks on the first or last sample stay where they are.
    """
    pos = peaks.astype(np.float64)
    inner = (peaks > 0) & (peaks < len(clean) - 1)
    p = peaks[inner]
    y0, y1, y2 = clean[p - 1], clean[p], clean[p + 1]
    curve = y0 - 2 * y1 + y2
    safe = np.where(curve != 0, curve, 1.0)
    offset = np.where(curve != 0, 0.5 * (y0 - y2) / safe, 0.0)
    pos[inner] += np.clip(offset, -0.5, 0.5)
    return pos


def merge_close(
    peaks: np.ndarray, votes: np.ndarray, clean: np.ndarray, fs: float
) -> tuple[np.ndarray, np.ndarray]:
    """Drop the weaker of two beats closer than :data:`REFRACTORY_S` (fewer votes, then smaller)."""
    order = np.argsort(peaks, kind="stable")
    peaks, votes = peaks[order], votes[order]
    keep: list[int] = []
    for i in range(len(peaks)):
        if keep and peaks[i] - peaks[keep[-1]] < REFRACTORY_S * fs:
            j = keep[-1]
            if (votes[i], abs(clean[peaks[i]])) > (votes[j], abs(clean[peaks[j]])):
                keep[-1] = i
            continue
        keep.append(i)
    return peaks[keep], votes[keep]


def detect_peaks(signal: np.ndarray, fs: float, min_votes: int = MIN_VOTES) -> Peaks:
    """Find the R peaks of an ECG signal (any sampling rate from 100 to 1000 Hz).

    Args:
        signal: 1-D samples without NaN.
        fs: Sampling rate in Hz.
        min_votes: How many of the :data:`DETECTORS` must agree on a beat (1: any of them).

    Returns:
        The :class:`Peaks` (positions, votes, the dominant QRS polarity, the cleaned signal).

    Raises:
        DataFormatError: The signal is shorter than one second.
    """
    import neurokit2 as nk

    signal = np.asarray(signal, dtype=np.float64)
    if len(signal) < fs:
        msg = (
            f"the signal is {len(signal)} samples long ({len(signal) / fs:.2f} s at {fs:g} Hz); "
            "finding beats needs at least a second (read_recording asks for 5 s)"
        )
        raise DataFormatError(msg)
    pad = min(int(PAD_S * fs), len(signal) - 1)
    padded = np.pad(signal, pad, mode="reflect")
    clean = np.asarray(nk.ecg_clean(padded, sampling_rate=round(fs)), dtype=np.float64)
    detections = [run_detector(clean, fs, m) for m in DETECTORS]
    found, votes = vote(detections, fs, min_votes)
    # A beat in the padding is the mirror image of one inside: kept only when it lies within the
    # snapping reach of the edge, where it snaps onto (and merges with) its original.
    bounds = (pad, pad + len(signal))
    reach = int(SNAP_S * fs)
    near = (found >= bounds[0] - reach) & (found < bounds[1] + reach)
    found, votes = found[near], votes[near]
    polarity = qrs_polarity(clean, found, fs)
    snapped, votes = merge_close(snap(clean, found, fs, polarity, bounds), votes, clean, fs)
    return Peaks(
        sample=snapped - pad,
        position=refine(clean, snapped) - pad,
        votes=votes,
        polarity=polarity,
        clean=clean[pad : pad + len(signal)],
        fs=float(fs),
    )
