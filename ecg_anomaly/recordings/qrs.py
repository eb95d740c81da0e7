"""Where a beat's QRS complex is: slope energy, polarity, the R peak, its sub-sample position.

The parts of :mod:`ecg_anomaly.recordings.peaks` that look at the shape of the signal around a
beat: :func:`qrs_energy` (the QRS slope energy the beats are chosen by), :func:`qrs_polarity`
(the recording's dominant QRS direction), :func:`snap` (a detection moved onto its R peak) and
:func:`refine` (the peak between samples).
"""

from __future__ import annotations

import numpy as np

#: A candidate moves to the slope energy's peak within this many seconds...
SNAP_S = 0.1
#: ...and then to the signal's extremum within this many seconds of that.
PEAK_S = 0.06
#: A beat whose opposite-sign deflection is this many times larger is snapped to it.
INVERTED_RATIO = 2.0
#: Band (Hz) and RMS window (seconds) of the QRS slope energy.
ENERGY_BAND_HZ, ENERGY_WINDOW_S = (5.0, 25.0), 0.1


def qrs_energy(clean: np.ndarray, fs: float) -> np.ndarray:
    """QRS slope energy: RMS over :data:`ENERGY_WINDOW_S` of the slope of the QRS band.

    The band (:data:`ENERGY_BAND_HZ`, zero-phase Butterworth) keeps the QRS complex and drops
    most of the P and T waves and the baseline; the slope (units per second) favours the
    steep QRS over the rounded waves.
    """
    from scipy.ndimage import uniform_filter1d
    from scipy.signal import butter, sosfiltfilt

    if len(clean) < 16:
        return np.zeros(len(clean))
    low, high = ENERGY_BAND_HZ
    sos = butter(2, [low, min(high, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    slope = np.gradient(sosfiltfilt(sos, clean)) * fs
    return np.sqrt(uniform_filter1d(slope * slope, max(round(ENERGY_WINDOW_S * fs), 1)))


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


def qrs_polarity(clean: np.ndarray, peaks: np.ndarray, fs: float, most: int = 2000) -> int:
    """+1 if most beats' largest deflection (against the local median) is upward, else -1.

    At most ``most`` beats, evenly spread, are looked at.
    """
    if len(peaks) == 0:
        return 1
    peaks = peaks[np.linspace(0, len(peaks) - 1, min(len(peaks), most)).astype(np.int64)]
    hi, lo = _extremes(clean, peaks, int(SNAP_S * fs))
    half = int(0.3 * fs)
    idx = np.clip(peaks[:, None] + np.arange(-half, half)[None, :], 0, len(clean) - 1)
    base = np.median(clean[idx], axis=1)
    up, down = clean[hi] - base, base - clean[lo]
    return 1 if np.median(up - down) >= 0 else -1


def snap(
    clean: np.ndarray,
    peaks: np.ndarray,
    fs: float,
    polarity: int,
    bounds: tuple[int, int] | None = None,
    energy: np.ndarray | None = None,
) -> np.ndarray:
    """Move each peak to the extremum of its QRS complex in the dominant direction.

    With ``energy`` (:func:`qrs_energy` of ``clean``), each peak first moves to the energy's
    maximum within :data:`SNAP_S` (the QRS complex rather than a T wave next to it), and the
    extremum is searched within :data:`PEAK_S` of that; without it, within :data:`SNAP_S` of
    the peak. A beat whose deflection in the other direction is :data:`INVERTED_RATIO` times
    larger (an ectopic beat with an inverted QRS) is moved to that deflection instead. With
    ``bounds`` (start, stop) the search stays inside them.
    """
    if len(peaks) == 0:
        return peaks
    reach = int(SNAP_S * fs)
    if energy is not None:
        lo, hi = bounds or (0, len(clean))
        idx = np.clip(peaks[:, None] + np.arange(-reach, reach + 1)[None, :], lo, hi - 1)
        peaks = idx[np.arange(len(peaks)), energy[idx].argmax(1)]
        reach = int(PEAK_S * fs)
    hi, lo = _extremes(clean, peaks, reach, bounds)
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
    y0, y1, y2 = (clean[q].astype(np.float64) for q in (p - 1, p, p + 1))
    curve = y0 - 2 * y1 + y2
    safe = np.where(curve != 0, curve, 1.0)
    offset = np.where(curve != 0, 0.5 * (y0 - y2) / safe, 0.0)
    pos[inner] += np.clip(offset, -0.5, 0.5)
    return pos
