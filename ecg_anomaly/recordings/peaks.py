"""Find the beats of a recording: three R-peak detectors vote, the QRS slope energy decides.

No single detector is reliable on real records (measured, see ``docs/recordings.md``): the
wavelet detector (Kalidas & Tamil 2017) misses wide ventricular beats, the gradient detector
(neurokit2's default) and Pan-Tompkins-like detectors put false beats into muscle noise or on
tall P waves, and several mark the R wave 30-100 ms late. So three detectors of different
kinds run on the same cleaned signal (neurokit2 ``ecg_clean``): neurokit2's gradient
detector, Kalidas & Tamil's stationary wavelet transform and Manikandan & Soman's Shannon
energy envelope. Their detections within :data:`CLUSTER_S` of each other are one candidate;
the peaks of the QRS slope energy (:func:`~ecg_anomaly.recordings.qrs.qrs_energy`) that no
detector found are candidates too (no votes). Each candidate is moved to its QRS complex (the
slope energy's peak within :data:`~ecg_anomaly.recordings.qrs.SNAP_S`) and then to the R peak
(:func:`~ecg_anomaly.recordings.qrs.snap`). Its *strength* is the slope energy there; the
*typical strength* is the median over the :data:`NEIGHBOURS` agreed beats on each side; a
candidate is *clear of noise* when its strength is :data:`NOISE_RATIO` times the median slope
energy of the :data:`NOISE_WINDOW_S` around it. Beats are then chosen in three passes, each
taking candidates strongest first (:func:`~ecg_anomaly.recordings.beat_choice.choose_beats`,
where these thresholds are defined):

1. found by :data:`MIN_VOTES` detectors, or by one and at least :data:`STRONG` times the
   typical strength and clear of noise;
2. found by one detector, at least :data:`WEAK` times the typical strength, clear of noise;
3. search-back: where an RR interval is more than :data:`GAP_RATIO` times the local one (the
   median of the :data:`NEIGHBOURS` intervals on each side), the strongest candidate inside
   it, found by any number of detectors, at least :data:`SEARCH_BACK` times the typical
   strength and clear of noise, repeated while gaps remain.

A candidate is never taken within :data:`REFRACTORY_S` of a beat already taken, nor within
:data:`T_WAVE_S` when it is weaker than :data:`T_WAVE_RATIO` times that beat and than
:data:`T_WAVE_RATIO` times the typical strength (a T or P wave, as Pan & Tompkins 1985 tell them
apart). Beats inside ventricular flutter or fibrillation (the VF filter,
:func:`~ecg_anomaly.recordings.quality.flutter_episodes`) are dropped: there are no QRS complexes
there, only waves. The thresholds are ratios to the recording's own beats and intervals, so
they do not depend on the lead, the gain or the sampling rate.

Long recordings are processed in pieces of :data:`CHUNK_S` with :data:`CONTEXT_S` of signal on
each side, so memory does not grow with the length beyond the signal itself; every beat is
decided by the piece it lies in, which sees the same neighbours as the whole signal would.
The signal is mirrored for a second at both ends before filtering, so a beat in the first or
last few hundred milliseconds is still found.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ecg_anomaly.errors import DataFormatError
from ecg_anomaly.recordings import beat_choice, quality
from ecg_anomaly.recordings.qrs import SNAP_S, qrs_energy, qrs_polarity, refine, snap

#: The detectors that vote (neurokit2 ``ecg_findpeaks`` method names).
DETECTORS = ("neurokit", "kalidas2017", "manikandan2012")
#: Detections of different detectors closer than this (seconds) are the same beat.
CLUSTER_S = 0.1
#: A beat found by at least this many detectors is kept on their votes (unless it collides).
MIN_VOTES = 2
#: A beat's strength is the largest slope energy within this many seconds of it.
STRENGTH_S = 0.075
#: Mirrored padding at both ends, in seconds.
PAD_S = 1.0
#: Length of the pieces a long signal is processed in, and the signal on each side (seconds).
CHUNK_S, CONTEXT_S = 300.0, 30.0


@dataclass(frozen=True, eq=False)
class Peaks:
    """R peaks found in a signal.

    Attributes:
        sample: Sample index of each beat's peak, increasing (int64).
        position: The peak between samples (float64): the vertex of the parabola through the
            peak sample and its two neighbours, so beats cut at a low sampling rate line up
            as well as at a high one.
        votes: How many detectors found each beat (0: found by the search-back alone).
        polarity: +1 when the dominant QRS deflection is upward (as in MIT-BIH MLII), -1 when
            it points down.
        clean: The cleaned signal (neurokit2 ``ecg_clean``) the peaks were snapped on, kept as
            float32 (half the memory of a long recording; each piece is decided in float64).
        fs: Sampling rate in Hz.
        warnings: Why the beats may not be a heartbeat, one sentence each (empty when they
            are plausible; see :func:`~ecg_anomaly.recordings.quality.plausibility`),
            and the stretches of ventricular flutter or fibrillation, where no beats are given.
        quality: The measures behind the warnings: ``rate_bpm``, ``contrast`` (median QRS
            contrast), ``shape_share`` (share of beats of the dominant shape), ``flutter_s``.
    """

    sample: np.ndarray = field(repr=False)
    position: np.ndarray = field(repr=False)
    votes: np.ndarray = field(repr=False)
    polarity: int
    clean: np.ndarray = field(repr=False)
    fs: float
    warnings: list[str] = field(default_factory=list)
    quality: dict[str, float] = field(default_factory=dict, repr=False)

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
    at, tol = both[:, 0].tolist(), CLUSTER_S * fs
    starts = [0]
    for i in range(1, len(at)):
        if at[i] - at[starts[-1]] > tol:
            starts.append(i)
    first = np.asarray(starts)
    size = np.diff(np.append(first, len(at)))
    # Each cluster is a run of the sorted detections: its median is the middle one (or the
    # mean of the middle two, rounded down), its votes the distinct detectors in it.
    mid = first + size // 2
    value = both[:, 0]
    median = np.where(size % 2 == 1, value[mid], (value[mid - 1] + value[mid]) // 2)
    bits = np.bitwise_or.reduceat(np.left_shift(1, both[:, 1]), first)
    votes = np.array([bin(int(x)).count("1") for x in bits], dtype=np.int64)
    keep = votes >= min_votes
    return median[keep].astype(np.int64), votes[keep]


def _pieces(n: int, fs: float, chunk_s: float | None) -> list[tuple[int, int]]:
    """The ``(start, stop)`` of the pieces, each deciding its own beats (one piece: no chunks)."""
    if chunk_s is None or n <= (chunk_s + CONTEXT_S) * fs:
        return [(0, n)]
    size = max(round(chunk_s * fs), 1)
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def _candidates(
    signal: np.ndarray, fs: float, span: tuple[int, int], lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clean ``signal[lo:hi]`` and run the detectors on it.

    Returns:
        ``(clean, found, votes)``: the cleaned ``signal[lo:hi]``, and the detections clustered
        across detectors (recording samples, any number of votes) that lie in ``span``, or
        within snapping reach of the recording's ends.
    """
    import neurokit2 as nk

    n = len(signal)
    pad = min(int(PAD_S * fs), hi - lo - 1)
    padded = np.pad(signal[lo:hi], pad, mode="reflect")
    clean = np.asarray(nk.ecg_clean(padded, sampling_rate=round(fs)), dtype=np.float64)
    found, votes = vote([run_detector(clean, fs, m) for m in DETECTORS], fs, min_votes=1)
    found = found - pad + lo
    # A detection in the mirrored padding is kept only within snapping reach of the end,
    # where it snaps onto (and collides with) the beat it mirrors.
    reach = int(SNAP_S * fs)
    start, stop = (span[0] or -reach), (span[1] if span[1] < n else n + reach)
    inside = (found >= start) & (found < stop)
    return clean[pad : pad + hi - lo], found[inside], votes[inside]


def _choose(
    clean: np.ndarray,
    found: np.ndarray,
    votes: np.ndarray,
    fs: float,
    polarity: int,
    min_votes: int,
    offset: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Beats of one piece of cleaned signal from the detections in it (piece samples).

    Returns:
        ``(sample, votes, contrast)`` of the beats: contrast is the strength over the noise level.
    """
    from scipy.ndimage import maximum_filter1d
    from scipy.signal import find_peaks

    energy = qrs_energy(clean, fs)
    found = np.clip(found, 0, len(clean) - 1)
    # Slope-energy peaks no detector found are candidates for the search-back.
    extra = find_peaks(energy, distance=max(round(beat_choice.REFRACTORY_S * fs), 1))[0]
    if len(found):
        j = np.searchsorted(found, extra)
        left, right = found[np.maximum(j - 1, 0)], found[np.minimum(j, len(found) - 1)]
        near = np.minimum(abs(extra - left), abs(extra - right))
        extra = extra[near > CLUSTER_S * fs]
    cand = np.concatenate([found, extra])
    cand_votes = np.concatenate([votes, np.zeros(len(extra), dtype=np.int64)])
    s = snap(clean, cand, fs, polarity, energy=energy)
    order = np.argsort(s, kind="stable")
    s, cand_votes = s[order], cand_votes[order]
    strength = maximum_filter1d(energy, 2 * round(STRENGTH_S * fs) + 1)[s]
    noise = beat_choice.noise_level(energy, fs, s, offset)
    taken = beat_choice.choose_beats(s, cand_votes, strength, noise, fs, min_votes)
    with np.errstate(divide="ignore", invalid="ignore"):
        contrast = np.where(noise > 0, strength / noise, np.inf)
    return s[taken], cand_votes[taken], contrast[taken]


def _merge_borders(
    sample: np.ndarray, votes: np.ndarray, contrast: np.ndarray, fs: float
) -> np.ndarray:
    """Mask dropping the weaker of two beats closer than the refractory period.

    Pieces decide the beats next to their border from the same signal, so this rarely acts;
    it keeps a beat from being counted twice where it does.
    """
    keep = np.ones(len(sample), dtype=bool)
    close = np.flatnonzero(np.diff(sample) < beat_choice.REFRACTORY_S * fs)
    for i in close:
        if keep[i] and keep[i + 1]:
            weaker = i if (votes[i], contrast[i]) < (votes[i + 1], contrast[i + 1]) else i + 1
            keep[weaker] = False
    return keep


def detect_peaks(
    signal: np.ndarray, fs: float, min_votes: int = MIN_VOTES, chunk_s: float | None = CHUNK_S
) -> Peaks:
    """Find the R peaks of an ECG signal (any sampling rate from 100 to 1000 Hz).

    Args:
        signal: 1-D samples without NaN.
        fs: Sampling rate in Hz.
        min_votes: How many of the :data:`DETECTORS` make a beat agreed (1: any of them).
        chunk_s: Length of the pieces a long signal is processed in (seconds; None: all at
            once). A signal up to ``chunk_s + CONTEXT_S`` long is one piece.

    Returns:
        The :class:`Peaks` (positions, votes, the dominant QRS polarity, the cleaned signal,
        and warnings when the beats are not a plausible heartbeat).

    Raises:
        DataFormatError: The signal is shorter than one second, or a flat line.
    """
    signal = np.asarray(signal, dtype=np.float64)
    n = len(signal)
    if n < fs:
        msg = (
            f"the signal is {n} samples long ({n / fs:.2f} s at {fs:g} Hz); "
            "finding beats needs at least a second (read_recording asks for 5 s)"
        )
        raise DataFormatError(msg)
    quality.check_variation(signal, fs)
    pieces = _pieces(n, fs, chunk_s)
    context, reach = round(CONTEXT_S * fs), int(SNAP_S * fs)
    step = round(quality.FLUTTER_STEP_S * fs)
    windows = quality.flutter_windows(n, fs)
    # First pass: the cleaned signal, the detections and the VF filter, piece by piece.
    # float32: a 24-hour recording at 1000 Hz would hold 0.7 GB more in float64; the rounding
    # (1e-7 relative) is far below what filtering in pieces already changes (1e-6)
    clean = np.empty(n, dtype=np.float32)
    found, votes, leakage = [], [], []
    for a, b in pieces:
        lo, hi = max(a - context, 0), min(b + context, n)
        part, f, v = _candidates(signal, fs, (a, b), lo, hi)
        clean[a:b] = part[a - lo : b - lo]
        found.append(f)
        votes.append(v)
        first, last = -(-a // step), min(-(-b // step), windows)
        leakage.append(quality.leakage_track(part, fs, first, last, lo))
    found_all, votes_all = np.concatenate(found), np.concatenate(votes)
    polarity = qrs_polarity(clean, found_all[votes_all >= 2], fs)
    # Second pass: the beats of each piece, chosen with the context on both sides.
    beats, beat_votes, contrast = [], [], []
    for a, b in pieces:
        lo, hi = max(a - context, 0), min(b + context, n)
        sel = (found_all >= lo - reach) & (found_all < hi + reach)
        s, v, c = _choose(
            clean[lo:hi].astype(np.float64),
            found_all[sel] - lo,
            votes_all[sel],
            fs,
            polarity,
            min_votes,
            lo,
        )
        mine = (s + lo >= a) & (s + lo < b)
        beats.append(s[mine] + lo)
        beat_votes.append(v[mine])
        contrast.append(c[mine])
    sample, beat_votes = np.concatenate(beats), np.concatenate(beat_votes)
    contrast = np.concatenate(contrast)
    flutter = quality.flutter_episodes(np.concatenate(leakage), n, fs)
    keep = _merge_borders(sample, beat_votes, contrast, fs) & ~quality.inside(sample, flutter)
    sample, beat_votes, contrast = sample[keep], beat_votes[keep], contrast[keep]
    shape_r = [
        quality.shape_agreement(
            clean[a:b].astype(np.float64), sample[(sample >= a) & (sample < b)] - a, fs
        )
        for a, b in pieces
    ]
    warnings, measures = quality.plausibility(n, fs, sample, contrast, np.concatenate(shape_r))
    warnings += quality.flutter_warnings(flutter, fs)
    measures["flutter_s"] = sum(b - a for a, b in flutter) / fs
    return Peaks(
        sample=sample,
        position=refine(clean, sample),
        votes=beat_votes,
        polarity=polarity,
        clean=clean,
        fs=float(fs),
        warnings=warnings,
        quality=measures,
    )
