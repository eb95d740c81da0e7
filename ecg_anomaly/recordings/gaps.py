"""Missing samples (NaN or infinite) in a recording: short gaps are filled, long ones refused.

A gap of up to :data:`MAX_GAP_S` seconds (a dropped packet, a few lost samples) is filled by
linear interpolation, with a warning: it is at most about one QRS complex long, so at most one
beat's shape is touched and no beat can vanish between two others. A longer gap could hide
whole beats (a missed beat doubles an RR interval and makes its neighbours look premature or
paused), so it is refused with its position and length; the user splits the recording there or
repairs it.
"""

from __future__ import annotations

import warnings

import numpy as np

from ecg_anomaly.errors import DataFormatError

#: Longest run of missing samples that is interpolated, in seconds.
MAX_GAP_S = 0.1


def missing_runs(signal: np.ndarray) -> np.ndarray:
    """Runs of non-finite samples as ``(start, stop)`` rows (stop exclusive), in order."""
    bad = ~np.isfinite(signal)
    if not bad.any():
        return np.empty((0, 2), dtype=np.int64)
    edges = np.diff(np.concatenate([[0], bad.astype(np.int8), [0]]))
    return np.column_stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)])


def fill_gaps(
    signal: np.ndarray, fs: float, source: str, max_gap_s: float = MAX_GAP_S
) -> tuple[np.ndarray, int]:
    """Interpolate short runs of missing samples; refuse long ones.

    Args:
        signal: 1-D samples (float).
        fs: Sampling rate in Hz (to express positions and lengths in seconds).
        source: What the signal is (file and channel), for messages.
        max_gap_s: Longest run filled, in seconds.

    Returns:
        ``(signal, n_filled)``: a copy with the short gaps filled (the input itself when
        nothing was missing), and how many samples were filled.

    Raises:
        DataFormatError: A run longer than ``max_gap_s`` (the first three are named), or no
            valid sample at all.
    """
    runs = missing_runs(signal)
    if len(runs) == 0:
        return signal, 0
    lengths = runs[:, 1] - runs[:, 0]
    if lengths.sum() == len(signal):
        msg = f"{source}: every sample is missing (NaN or infinite); the channel holds no signal."
        raise DataFormatError(msg)
    too_long = runs[lengths > max_gap_s * fs]
    if len(too_long):
        shown = "; ".join(
            f"samples {a}-{b - 1} (at {a / fs:.2f} s, {(b - a) / fs:.3f} s long)"
            for a, b in too_long[:3]
        )
        msg = (
            f"{source}: {len(too_long)} run(s) of missing samples (NaN or infinite) longer than "
            f"the {max_gap_s:g} s that can be interpolated: {shown}. Cut the recording around "
            "them (or pick another channel); shorter gaps are filled automatically."
        )
        raise DataFormatError(msg)
    good = np.isfinite(signal)
    idx = np.arange(len(signal))
    filled = signal.copy()
    filled[~good] = np.interp(idx[~good], idx[good], signal[good])
    first = runs[0, 0]
    warnings.warn(
        f"{source}: interpolated {int(lengths.sum())} missing sample(s) in {len(runs)} gap(s) "
        f"(longest {lengths.max() / fs * 1000:.0f} ms, first at {first / fs:.2f} s).",
        stacklevel=3,
    )
    return filled, int(lengths.sum())
