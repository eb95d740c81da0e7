"""Is there a heartbeat at all? Checks on the signal and on the beats found in it.

Three kinds of check, each on criteria that hold for any ECG (lead, sampling rate, patient),
none tuned on a database:

- :func:`check_variation`: a signal that never changes (a flat line, a disconnected lead
  for the whole recording) has no beats to find; it is refused.
- :func:`flutter_episodes`: stretches of ventricular flutter or fibrillation, found with the VF
  filter (Kuo & Dillman 1978): the signal is then one sinusoid-like oscillation with no QRS
  complexes, and the detectors would report its waves as beats.
- :func:`plausibility`: the beats found are no heartbeat when their rate is not a
  heart's, when they do not stand out from the signal between them the way QRS complexes
  do, or when they do not share a shape the way most beats of a recording do.
"""

from __future__ import annotations

import numpy as np

from ecg_anomaly.errors import DataFormatError

#: The VF filter's window and the step between windows (seconds).
FLUTTER_WINDOW_S, FLUTTER_STEP_S = 4.0, 1.0
#: Leakage below which a window is ventricular flutter or fibrillation (Amann et al. 2005,
#: "Reliability of old and new ventricular fibrillation detection algorithms for AEDs").
FLUTTER_LEAKAGE = 0.406
#: An episode, once found, goes on through neighbouring windows whose leakage stays below this.
FLUTTER_LEAKAGE_ON = 0.5

#: Heart rates (beats per minute) a recording's median RR interval must give.
RATE_BPM = (20.0, 250.0)
#: The median over beats of the QRS contrast (a beat's slope energy over the median slope
#: energy of the 5 s around it) must reach this. Measured: white, pink and brown noise give
#: 1.5-1.7 at 128-1000 Hz; every MIT-BIH record, in either lead, 2.5 or more (record 101's
#: second lead, buried in a 9 Hz oscillation) and 7.8 or more in MLII.
MIN_CONTRAST = 2.0
#: At least this share of the beats must correlate >= :data:`SHAPE_R` with the median QRS
#: window. Measured: muscle-like noise (bursts of white noise) 0.11 at most, white, pink and
#: brown noise 0.22 at most; every MIT-BIH record, in either lead, 0.34 or more (half its beats
#: ectopic, or paced and fused) and 0.59 or more in MLII.
MIN_SHAPE_SHARE, SHAPE_R = 0.2, 0.8


def check_variation(signal: np.ndarray, fs: float) -> None:
    """Refuse a signal with no variation at all (a flat line).

    Raises:
        DataFormatError: Every sample has the same value.
    """
    if len(signal) and np.ptp(signal) == 0:
        msg = (
            f"the signal is a flat line: all {len(signal)} samples ({len(signal) / fs:.1f} s at "
            f"{fs:g} Hz) are {signal[0]:g}, so it holds no heartbeat. Check that the right "
            "channel was read and that the lead was connected."
        )
        raise DataFormatError(msg)


def vf_leakage(x: np.ndarray) -> float:
    """The VF filter's leakage of one window (Kuo & Dillman 1978).

    The signal's mean period is estimated from its mean absolute value and mean absolute
    slope, as if it were a sinusoid; the leakage is how much of the signal survives adding
    it to itself half a period later: near 0 for a sinusoid, near 1 for narrow QRS complexes
    separated by flat stretches.

    Returns:
        The leakage (1.0 for a window with no variation).
    """
    slope = np.abs(np.diff(x)).sum()
    if slope == 0:
        return 1.0
    half = int(np.pi * np.abs(x).sum() / slope + 0.5)
    if not 1 <= half < len(x):
        return 1.0
    a, b = x[half:], x[:-half]
    return float(np.abs(a + b).sum() / (np.abs(a) + np.abs(b)).sum())


def leakage_track(clean: np.ndarray, fs: float, first: int, last: int, offset: int) -> np.ndarray:
    """VF leakage of the windows numbered ``first`` to ``last - 1`` of a recording, and of halves.

    Window ``k`` starts :data:`FLUTTER_STEP_S` * ``k`` seconds into the recording, so pieces
    of one recording processed apart give the same windows.

    Args:
        clean: A piece of the cleaned signal that holds the windows.
        fs: Sampling rate in Hz.
        first: The first window wanted.
        last: One past the last window wanted.
        offset: Sample of the recording where ``clean`` starts.

    Returns:
        ``(windows, 3)``: the leakage of each whole window, of its first and of its second half.
    """
    step, width = round(FLUTTER_STEP_S * fs), round(FLUTTER_WINDOW_S * fs)
    out = np.ones((max(last - first, 0), 3))
    for k in range(first, last):
        a = k * step - offset
        if a >= 0 and a + width <= len(clean):
            x = clean[a : a + width]
            out[k - first] = [
                vf_leakage(x),
                vf_leakage(x[: width // 2]),
                vf_leakage(x[width // 2 :]),
            ]
    return out


def flutter_windows(n: int, fs: float) -> int:
    """How many VF filter windows a recording of ``n`` samples has."""
    step, width = round(FLUTTER_STEP_S * fs), round(FLUTTER_WINDOW_S * fs)
    return max((n - width) // step + 1, 0)


def flutter_episodes(leakage: np.ndarray, n: int, fs: float) -> list[tuple[int, int]]:
    """The ``(start, stop)`` samples of each stretch of ventricular flutter or fibrillation.

    A window whose leakage is below :data:`FLUTTER_LEAKAGE`, and each of whose halves' is below
    :data:`FLUTTER_LEAKAGE_ON` (the oscillation lasts the whole window, unlike a second of
    artefact that dominates every window holding it), starts an episode; the episode extends
    through the neighbouring windows whose leakage stays below :data:`FLUTTER_LEAKAGE_ON`, and
    covers every sample of its windows.

    Args:
        leakage: The leakage of each window of the recording and of its halves
            (:func:`leakage_track`).
        n: Length of the recording (samples).
        fs: Sampling rate in Hz.
    """
    flag = (leakage[:, 0] < FLUTTER_LEAKAGE) & (leakage[:, 1:] < FLUTTER_LEAKAGE_ON).all(1)
    if not flag.any():
        return []
    on = leakage[:, 0] < FLUTTER_LEAKAGE_ON
    for k in range(1, len(flag)):
        flag[k] |= on[k] and flag[k - 1]
    for k in range(len(flag) - 2, -1, -1):
        flag[k] |= on[k] and flag[k + 1]
    step, width = round(FLUTTER_STEP_S * fs), round(FLUTTER_WINDOW_S * fs)
    edges = np.diff(np.concatenate([[0], flag.astype(np.int8), [0]]))
    first, last = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    # Consecutive windows overlap, so a run of flagged windows is one stretch.
    return [
        (int(a * step), int(min(b * step + width, n))) for a, b in zip(first, last, strict=True)
    ]


def inside(sample: np.ndarray, stretches: list[tuple[int, int]]) -> np.ndarray:
    """Which samples lie in one of the ``(start, stop)`` stretches (sorted, not overlapping)."""
    if not stretches:
        return np.zeros(len(sample), dtype=bool)
    starts, stops = np.array(stretches).T
    k = np.searchsorted(starts, sample, side="right") - 1
    return (k >= 0) & (sample < stops[np.maximum(k, 0)])


def shape_agreement(clean: np.ndarray, beats: np.ndarray, fs: float) -> np.ndarray:
    """Correlation of each beat's QRS window (R +- 0.1 s) with the median of those windows."""
    half = round(0.1 * fs)
    inside = beats[(beats >= half) & (beats < len(clean) - half)]
    if len(inside) < 2:
        return np.ones(len(inside))
    win = clean[inside[:, None] + np.arange(-half, half + 1)]
    win = win - win.mean(1, keepdims=True)
    template = np.median(win, axis=0)
    norm = np.linalg.norm(win, axis=1) * np.linalg.norm(template)
    return np.divide(win @ template, norm, out=np.zeros(len(win)), where=norm > 0)


def flutter_warnings(stretches: list[tuple[int, int]], fs: float) -> list[str]:
    """One sentence on the ventricular flutter or fibrillation found (none when there is none)."""
    if not stretches:
        return []
    total = sum(b - a for a, b in stretches) / fs
    where = ", ".join(f"{a / fs:.0f}-{b / fs:.0f} s" for a, b in stretches[:5])
    more = f" and {len(stretches) - 5} more" if len(stretches) > 5 else ""
    return [
        f"ventricular flutter or fibrillation (VF filter) for {total:.0f} s, at "
        f"{where}{more}: no beats are given there"
    ]


def plausibility(
    n: int, fs: float, beats: np.ndarray, contrast: np.ndarray, shape_r: np.ndarray
) -> tuple[list[str], dict[str, float]]:
    """Whether the beats found in a signal are a heartbeat, and the measures that say so.

    The rules, each a property of any ECG, whatever the lead and the sampling rate:

    - beats: a signal of 10 s or more has at least two;
    - rate: the median RR interval gives 20-250 beats per minute (:data:`RATE_BPM`);
    - contrast: the median over beats of (the beat's QRS slope energy / the median slope
      energy of the 5 s around it) is at least :data:`MIN_CONTRAST` (2): QRS complexes are
      the steepest part of an ECG and last a tenth of each beat, so they stand out from the
      rest, while the "beats" of stationary noise barely do;
    - shape: at least :data:`MIN_SHAPE_SHARE` (a fifth) of the beats correlate >=
      :data:`SHAPE_R` (0.8) with the median QRS window (R +- 0.1 s) of the 5 minutes they lie
      in: a recording's beats share a few shapes, the peaks of noise (bursts of muscle noise
      included, which do stand out) almost never do.

    Detector agreement is not a rule: on clean leads where one detector fails (MIT-BIH 107's
    second lead) fewer than a fifth of the beats are found by all three, as in noise.
    A signal that is one sinusoid-like oscillation (a sine wave) has no beats left once the
    VF filter has dropped them (:func:`flutter_episodes`), and gets the first rule's warning.

    Args:
        n: Length of the signal (samples).
        fs: Sampling rate in Hz.
        beats: Sample of each beat.
        contrast: Each beat's QRS contrast (as above).
        shape_r: Correlation of each beat's QRS window with the median window.

    Returns:
        ``(warnings, measures)``: one sentence per rule broken, with the value measured, and
        ``rate_bpm``, ``contrast``, ``shape_share`` (NaN where there are too few beats).
    """
    seconds = n / fs
    nan = float("nan")
    if len(beats) < 2:
        measures = {"rate_bpm": nan, "contrast": nan, "shape_share": nan}
        if seconds < 10:
            return [], measures
        return [f"no heartbeat: {len(beats)} beat(s) found in {seconds:.0f} s"], measures
    bpm = float(60.0 / (np.median(np.diff(beats)) / fs))
    level = float(np.median(contrast))
    share = float(np.mean(shape_r >= SHAPE_R)) if len(shape_r) else nan
    measures = {"rate_bpm": bpm, "contrast": level, "shape_share": share}
    out: list[str] = []
    if not RATE_BPM[0] <= bpm <= RATE_BPM[1]:
        out.append(
            f"no plausible heartbeat: median rate {bpm:.0f} beats/min, outside "
            f"{RATE_BPM[0]:g}-{RATE_BPM[1]:g}"
        )
    if level < MIN_CONTRAST:
        out.append(
            f"no plausible heartbeat: the beats barely stand out from the signal between them "
            f"(median QRS contrast {level:.1f}, QRS complexes give >= {MIN_CONTRAST:g}); "
            "noise rather than an ECG?"
        )
    if share < MIN_SHAPE_SHARE:
        out.append(
            f"no plausible heartbeat: only {100 * share:.0f} % of the beats share the dominant "
            f"QRS shape (r >= {SHAPE_R:g}; a heartbeat gives >= {100 * MIN_SHAPE_SHARE:.0f} %)"
        )
    return out, measures
