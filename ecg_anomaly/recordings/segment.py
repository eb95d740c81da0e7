"""Cut beats out of a recording the way ECG5000 was cut: one window per beat, equal length.

ECG5000's beats were taken from one long recording, each interpolated to 140 samples and
z-normalised; its mean normal beat starts at the QRS complex, which points down. A beat here
is the window ``[R_i - before_s, R_{i+1} - next_before_s]`` (R_i its peak, R_{i+1} the next
beat's), resampled linearly to ``seq_len`` values, multiplied by ``qrs_sign * polarity`` so its
QRS points the way ECG5000's does, and z-normalised (mean 0, sample standard deviation 1, as
ECG5000). The default window is the one whose mean normal beat of MIT-BIH record 100
correlates best with ECG5000's mean normal beat (table in ``notes/recordings.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Default window start, seconds before the beat's R peak (measured best, see module doc).
BEFORE_S = 0.02
#: Default window end, seconds before the next beat's R peak.
NEXT_BEFORE_S = 0.06
#: ECG5000's beat length.
SEQ_LEN = 140
#: Sign of the QRS complex in ECG5000's beats (it points down).
ECG5000_QRS_SIGN = -1


@dataclass(frozen=True, eq=False)
class Segments:
    """Beats cut from a signal.

    Attributes:
        x: The beats, float32 of shape ``(n, seq_len)`` (z-normalised unless asked otherwise).
        index: For each beat, its position in the ``peaks`` given to :func:`cut_beats`
            (beats whose window leaves the signal are left out).
        start: First sample of each beat's window (float: windows start between samples).
        stop: Last sample of each beat's window.
    """

    x: np.ndarray = field(repr=False)
    index: np.ndarray = field(repr=False)
    start: np.ndarray = field(repr=False)
    stop: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.x)


def beat_windows(
    peaks: np.ndarray,
    fs: float,
    n_samples: int,
    before_s: float = BEFORE_S,
    next_before_s: float = NEXT_BEFORE_S,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window ``[start, stop]`` (in samples) of each beat, and which beats fit in the signal.

    The last beat has no next beat: its window ends where the next beat would be after the
    median RR interval of the last (up to) eight beats.

    Returns:
        ``(start, stop, inside)``: float arrays of window bounds, and a mask of the windows
        that lie within ``[0, n_samples - 1]`` and are longer than ``before_s``.
    """
    peaks = np.asarray(peaks, dtype=np.float64)
    if len(peaks) == 0:
        empty = np.empty(0)
        return empty, empty, np.empty(0, dtype=bool)
    rr = np.diff(peaks)
    last_rr = np.median(rr[-8:]) if len(rr) else np.nan
    nxt = np.append(peaks[1:], peaks[-1] + last_rr)
    start = peaks - before_s * fs
    stop = nxt - next_before_s * fs
    inside = (start >= 0) & (stop <= n_samples - 1) & (stop - start > before_s * fs)
    return start, stop, inside


def resample_windows(
    signal: np.ndarray, start: np.ndarray, stop: np.ndarray, seq_len: int = SEQ_LEN
) -> np.ndarray:
    """Linear interpolation of ``signal`` at ``seq_len`` equally spaced points of each window."""
    frac = np.linspace(0.0, 1.0, seq_len)
    pos = start[:, None] + (stop - start)[:, None] * frac[None, :]
    left = np.clip(np.floor(pos).astype(np.int64), 0, len(signal) - 2)
    w = pos - left
    return signal[left] * (1 - w) + signal[left + 1] * w


def znormalize(x: np.ndarray) -> np.ndarray:
    """Per beat: subtract the mean, divide by the sample standard deviation (ECG5000's way)."""
    x = np.asarray(x, dtype=np.float64)
    centred = x - x.mean(axis=1, keepdims=True)
    std = centred.std(axis=1, ddof=1, keepdims=True)
    return centred / np.where(std > 0, std, 1.0)


def cut_beats(
    signal: np.ndarray,
    peaks: np.ndarray,
    fs: float,
    polarity: int = 1,
    seq_len: int = SEQ_LEN,
    before_s: float = BEFORE_S,
    next_before_s: float = NEXT_BEFORE_S,
    qrs_sign: int | None = ECG5000_QRS_SIGN,
    normalize: bool = True,
) -> Segments:
    """Cut one equal-length beat per R peak.

    Args:
        signal: The (cleaned) samples.
        peaks: R-peak sample of each beat, increasing.
        fs: Sampling rate in Hz.
        polarity: The recording's QRS direction (+1 up, -1 down), from
            :func:`~ecg_anomaly.recordings.peaks.detect_peaks`.
        seq_len: Values per beat.
        before_s: Window start, seconds before the R peak.
        next_before_s: Window end, seconds before the next R peak.
        qrs_sign: Direction the QRS should have in the output (-1: down, as ECG5000); None
            keeps the recording's direction.
        normalize: Z-normalise each beat.

    Returns:
        The :class:`Segments` (beats whose window leaves the signal are left out).
    """
    signal = np.asarray(signal, dtype=np.float64)
    start, stop, inside = beat_windows(peaks, fs, len(signal), before_s, next_before_s)
    index = np.flatnonzero(inside)
    x = resample_windows(signal, start[index], stop[index], seq_len)
    if qrs_sign is not None:
        x = x * (qrs_sign * polarity)
    if normalize and len(x):
        x = znormalize(x)
    return Segments(
        x=x.astype(np.float32).reshape(-1, seq_len),
        index=index,
        start=start[index],
        stop=stop[index],
    )
