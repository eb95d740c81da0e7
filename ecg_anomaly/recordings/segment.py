"""Cut beats out of a recording the way ECG5000 was cut: one window per beat, equal length.

ECG5000's beats were taken from one long recording, each interpolated to 140 samples and
z-normalised; its mean normal beat starts at the QRS complex, which points down. A beat here
is the window ``[R_i - before_s, R_{i+1} - next_before_s]`` (R_i its peak, R_{i+1} the next
beat's), resampled linearly to ``seq_len`` values, multiplied by ``qrs_sign * polarity`` so its
QRS points the way ECG5000's does, and z-normalised (mean 0, sample standard deviation 1, as
ECG5000). The default window is the one whose mean normal beat of MIT-BIH record 100
correlates best with ECG5000's mean normal beat (table in ``docs/recordings.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ecg_anomaly.errors import ConfigError

#: Default window start, seconds before the beat's R peak (measured best, see module doc).
BEFORE_S = 0.02
#: Default window end, seconds before the next beat's R peak.
NEXT_BEFORE_S = 0.06
#: ECG5000's beat length.
SEQ_LEN = 140
#: Sign of the QRS complex in ECG5000's beats (it points down).
ECG5000_QRS_SIGN = -1


@dataclass(frozen=True)
class Window:
    """Where a beat's window lies, around its R peak ``R_i``.

    ``[R_i - before_s - before_rr * RR_prev, R_i + after_rr * RR_next - next_before_s]``, with
    ``RR_prev``, ``RR_next`` the intervals to the previous and next beat (seconds).

    Attributes:
        before_s: Fixed time before the R peak where the window starts (seconds).
        before_rr: Fraction of the previous RR interval added before that.
        after_rr: Fraction of the next RR interval where the window ends...
        next_before_s: ...less this fixed time (seconds).
    """

    before_s: float = BEFORE_S
    before_rr: float = 0.0
    after_rr: float = 1.0
    next_before_s: float = NEXT_BEFORE_S


#: Named windows. ``ecg5000``: ``[R_i - 0.02 s, R_{i+1} - 0.06 s]``, the best match of ECG5000's
#: beats (needed by ECG5000-trained checkpoints). ``centred``: from half-way after the previous
#: beat to half-way to the next, so a beat's own P wave is in its window and an early beat's R
#: peak sits early in it.
WINDOWS: dict[str, Window] = {
    "ecg5000": Window(),
    "centred": Window(before_s=0.0, before_rr=0.5, after_rr=0.5, next_before_s=0.0),
}


def as_window(window: Window | str) -> Window:
    """A :class:`Window` from itself or its name in :data:`WINDOWS`.

    Raises:
        ConfigError: Unknown name.
    """
    if isinstance(window, Window):
        return window
    if window not in WINDOWS:
        msg = f"unknown beat window {window!r}; choose one of {', '.join(WINDOWS)}"
        raise ConfigError(msg)
    return WINDOWS[window]


@dataclass(frozen=True, eq=False)
class Segments:
    """Beats cut from a signal.

    Attributes:
        x: The beats, float32 of shape ``(n, seq_len)`` (z-normalised unless asked otherwise).
        index: For each beat, its position in the ``peaks`` given to :func:`cut_beats`
            (beats whose window leaves the signal are left out unless ``edges``).
        start: First sample of each beat's window (float: windows start between samples).
        stop: Last sample of each beat's window.
        whole: Whether each beat's whole window lies inside the signal.
    """

    x: np.ndarray = field(repr=False)
    index: np.ndarray = field(repr=False)
    start: np.ndarray = field(repr=False)
    stop: np.ndarray = field(repr=False)
    whole: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.x)


def beat_windows(
    peaks: np.ndarray, fs: float, n_samples: int, window: Window | str = "ecg5000"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window ``[start, stop]`` (in samples) of each beat, and which beats fit in the signal.

    The first beat has no previous beat and the last no next one: the median of the first
    (last) eight RR intervals stands in for the missing interval.

    Returns:
        ``(start, stop, inside)``: float arrays of window bounds, and a mask of the windows
        that lie within ``[0, n_samples - 1]`` and hold more than the R peak.
    """
    w = as_window(window)
    peaks = np.asarray(peaks, dtype=np.float64)
    if len(peaks) < 2:
        empty = np.empty(0)
        return empty, empty, np.empty(0, dtype=bool)
    rr = np.diff(peaks)
    rr_prev = np.concatenate([[np.median(rr[:8])], rr])
    rr_next = np.concatenate([rr, [np.median(rr[-8:])]])
    start = peaks - w.before_s * fs - w.before_rr * rr_prev
    stop = peaks + w.after_rr * rr_next - w.next_before_s * fs
    inside = (start >= 0) & (stop <= n_samples - 1) & (stop - peaks > 0.05 * fs)
    return start, stop, inside


#: Beats cut at a time: the temporaries stay a few MB whatever the recording's length (a
#: 24-hour recording has ~100,000 beats; all at once, cutting them took 0.7 GB).
BLOCK = 4096


def resample_windows(
    signal: np.ndarray,
    start: np.ndarray,
    stop: np.ndarray,
    seq_len: int = SEQ_LEN,
    block: int = BLOCK,
) -> np.ndarray:
    """Linear interpolation of ``signal`` at ``seq_len`` equally spaced points of each window.

    The windows are taken ``block`` at a time (the result does not depend on it).
    """
    frac = np.linspace(0.0, 1.0, seq_len)
    out = np.empty((len(start), seq_len))
    for a in range(0, len(start), block):
        first, last = start[a : a + block], stop[a : a + block]
        pos = first[:, None] + (last - first)[:, None] * frac[None, :]
        left = np.clip(np.floor(pos).astype(np.int64), 0, len(signal) - 2)
        w = pos - left
        out[a : a + block] = signal[left] * (1 - w) + signal[left + 1] * w
    return out


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
    window: Window | str = "ecg5000",
    qrs_sign: int | None = ECG5000_QRS_SIGN,
    normalize: bool = True,
    edges: bool = False,
) -> Segments:
    """Cut one equal-length beat per R peak.

    Args:
        signal: The (cleaned) samples.
        peaks: R-peak sample of each beat, increasing.
        fs: Sampling rate in Hz.
        polarity: The recording's QRS direction (+1 up, -1 down), from
            :func:`~ecg_anomaly.recordings.peaks.detect_peaks`.
        seq_len: Values per beat.
        window: A :class:`Window` or its name in :data:`WINDOWS`.
        qrs_sign: Direction the QRS should have in the output (-1: down, as ECG5000); None
            keeps the recording's direction.
        normalize: Z-normalise each beat.
        edges: Keep the beats whose window leaves the signal (the first and last beats of a
            recording), their window cut at the signal's ends (``whole`` is False for them);
            False leaves them out.

    Returns:
        The :class:`Segments`.
    """
    signal = np.asarray(signal)
    if signal.dtype != np.float32:  # float32 (the cleaned signal) is read as it is, not copied
        signal = signal.astype(np.float64, copy=False)
    start, stop, inside = beat_windows(peaks, fs, len(signal), window)
    whole = inside
    if edges:
        start, stop = np.clip(start, 0, len(signal) - 1), np.clip(stop, 0, len(signal) - 1)
        inside = np.ones(len(start), dtype=bool)
    index = np.flatnonzero(inside)
    x = np.empty((len(index), seq_len), dtype=np.float32)
    for a in range(0, len(index), BLOCK):  # a block at a time: see BLOCK
        rows = index[a : a + BLOCK]
        part = resample_windows(signal, start[rows], stop[rows], seq_len)
        if qrs_sign is not None:
            part = part * (qrs_sign * polarity)
        x[a : a + BLOCK] = znormalize(part) if normalize else part
    return Segments(
        x=x,
        index=index,
        start=start[index],
        stop=stop[index],
        whole=whole[index],
    )
