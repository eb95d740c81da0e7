"""From a recording to a table of cut beats: :func:`extract_beats`.

Finds the beats (:func:`~ecg_anomaly.recordings.peaks.detect_peaks`), cuts each the way
ECG5000 was cut (:func:`~ecg_anomaly.recordings.segment.cut_beats`), adds its timing (RR
intervals, prematurity) and, where the recording has reference annotations, its annotated
symbol, AAMI class and label, plus the beat-detection accuracy (Se, +P).

Examples:
    >>> rec = read_recording("mitdb/100")
    >>> beats = extract_beats(rec)
    >>> beats.x.shape, beats.polarity, beats.detection.sensitivity
    ((2271, 140), 1, 1.0)
    >>> beats.to_frame().head()
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ecg_anomaly.data.labels import UNKNOWN
from ecg_anomaly.recordings import segment
from ecg_anomaly.recordings.annotations import NORMAL_CLASS, aami_class
from ecg_anomaly.recordings.features import prematurity, rr_intervals
from ecg_anomaly.recordings.io import Recording
from ecg_anomaly.recordings.matching import BeatMatch, match_beats
from ecg_anomaly.recordings.peaks import MIN_VOTES, detect_peaks

#: The fixed window around each R peak whose shape :attr:`RecordingBeats.qrs` holds (seconds).
QRS_WINDOW_S = (0.15, 0.25)
#: Values per QRS window.
QRS_LEN = 64
_PER_BEAT = ("x", "qrs", "sample", "time", "rr_prev", "rr_next", "prematurity", "votes", "whole")
_PER_BEAT += ("symbol", "aami", "label")


@dataclass(frozen=True, eq=False)
class RecordingBeats:
    """The beats of one recording, cut and described (one row per beat, in time order).

    Attributes:
        x: The beats, float32 ``(n, seq_len)``: ECG5000-like (QRS pointing down unless asked
            otherwise, z-normalised), ready for a model's ``score``.
        qrs: Each beat's fixed window ``[R - 0.15 s, R + 0.25 s]``, z-normalised, float32
            ``(n, 64)``: a shape that does not depend on the RR interval (for clustering).
        sample: Sample index of each beat's R peak (int64).
        time: Time of the R peak in seconds (between samples: see ``Peaks.position``).
        rr_prev: RR interval before the beat, seconds (NaN for the recording's first beat).
        rr_next: RR interval after the beat, seconds (NaN for the last beat).
        prematurity: One-sided prematurity (0 = on time or late).
        votes: How many R-peak detectors found the beat.
        whole: Whether the beat's whole window lies inside the recording; a beat at either end
            of it is listed (the detection counts it) but not scored.
        symbol: Annotation symbol matched to the beat (``""`` when none).
        aami: Its AAMI class N/S/V/F/Q (``""`` when none).
        label: 0 normal (N), 1 abnormal (S, V, F, Q), -1 unknown.
        polarity: The recording's QRS direction (+1 up, -1 down) found automatically.
        fs: Sampling rate of the recording (Hz).
        n_detected: Beats detected (every one is in the table; ``whole`` marks the scored).
        detection: Detection accuracy against the annotations' beats (None without annotations).
        warnings: What the results should say about the recording (annotations that do not
            match it, no plausible heartbeat), in plain words.
        detect_seconds: Seconds spent finding the beats (the rest of the call cuts them).
    """

    x: np.ndarray = field(repr=False)
    qrs: np.ndarray = field(repr=False)
    sample: np.ndarray = field(repr=False)
    time: np.ndarray = field(repr=False)
    rr_prev: np.ndarray = field(repr=False)
    rr_next: np.ndarray = field(repr=False)
    prematurity: np.ndarray = field(repr=False)
    votes: np.ndarray = field(repr=False)
    whole: np.ndarray = field(repr=False)
    symbol: np.ndarray = field(repr=False)
    aami: np.ndarray = field(repr=False)
    label: np.ndarray = field(repr=False)
    polarity: int
    fs: float
    n_detected: int
    detection: BeatMatch | None = None
    warnings: tuple[str, ...] = ()
    detect_seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.x)

    @property
    def seq_len(self) -> int:
        """Values per beat."""
        return int(self.x.shape[1])

    def subset(self, mask: np.ndarray) -> RecordingBeats:
        """The beats selected by a boolean mask or index array (detection results kept)."""
        pick = {name: getattr(self, name)[mask] for name in _PER_BEAT}
        return RecordingBeats(
            **pick,
            polarity=self.polarity,
            fs=self.fs,
            n_detected=self.n_detected,
            detection=self.detection,
            warnings=self.warnings,
            detect_seconds=self.detect_seconds,
        )

    def to_frame(self) -> Any:
        """The per-beat table (no beat values) as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(
            {
                "time": self.time,
                "sample": self.sample,
                "rr_prev": self.rr_prev,
                "rr_next": self.rr_next,
                "prematurity": self.prematurity,
                "votes": self.votes,
                "whole": self.whole,
                "symbol": self.symbol,
                "aami": self.aami,
                "label": self.label,
            }
        )

    def metrics(self) -> dict[str, float]:
        """``n_beats``, ``polarity`` and, with annotations, the ``beats/...`` detection measures."""
        out: dict[str, float] = {"n_beats": len(self), "polarity": self.polarity}
        if self.detection is not None:
            out.update(self.detection.as_dict())
        return out


def extract_beats(
    recording: Recording,
    seq_len: int = segment.SEQ_LEN,
    window: segment.Window | str = "ecg5000",
    qrs_sign: int | None = segment.ECG5000_QRS_SIGN,
    min_votes: int = MIN_VOTES,
) -> RecordingBeats:
    """Find, cut and describe every beat of a recording.

    Args:
        recording: From :func:`~ecg_anomaly.recordings.io.read_recording` (or
            :func:`~ecg_anomaly.recordings.io.recording_from_array`).
        seq_len: Values per cut beat (the model's input length).
        window: Where each beat is cut: ``"ecg5000"`` (as ECG5000, for ECG5000-trained
            models), ``"centred"``, or a :class:`~ecg_anomaly.recordings.segment.Window`.
        qrs_sign: QRS direction of the output beats (-1 as ECG5000; None: as recorded).
        min_votes: Detectors that must agree on a beat.

    Returns:
        The :class:`RecordingBeats`.
    """
    fs = recording.fs
    started = time.perf_counter()
    peaks = detect_peaks(recording.signal, fs, min_votes=min_votes)
    detect_seconds = time.perf_counter() - started
    # every detected beat is listed (at the signal's ends too: beats.csv then holds every beat
    # the detection counts); one whose window leaves the signal is marked, and not scored
    cut = segment.cut_beats(
        peaks.clean, peaks.position, fs, peaks.polarity, seq_len, window, qrs_sign, edges=True
    )
    rr_prev, rr_next = rr_intervals(peaks.position, fs)
    early = prematurity(rr_prev)
    n = len(peaks)
    symbol = np.full(n, "", dtype=object)
    detection = None
    if recording.annotations is not None:
        reference = recording.annotations.beats()
        detection = match_beats(peaks.sample, reference.sample, fs)
        symbol[detection.pairs[:, 0]] = reference.symbol[detection.pairs[:, 1]]
    symbol = symbol.astype(str)
    aami = np.array([aami_class(s) for s in symbol], dtype=str).reshape(n)
    label = np.where(aami == "", UNKNOWN, (aami != NORMAL_CLASS).astype(np.int64))
    keep = cut.index
    at = peaks.position[keep]
    qrs = segment.resample_windows(
        peaks.clean, at - QRS_WINDOW_S[0] * fs, at + QRS_WINDOW_S[1] * fs, QRS_LEN
    )
    return RecordingBeats(
        x=cut.x,
        qrs=segment.znormalize(qrs).astype(np.float32).reshape(-1, QRS_LEN),
        sample=peaks.sample[keep],
        time=peaks.position[keep] / fs,
        rr_prev=rr_prev[keep],
        rr_next=rr_next[keep],
        prematurity=early[keep],
        votes=peaks.votes[keep],
        whole=cut.whole,
        symbol=symbol[keep],
        aami=aami[keep],
        label=label[keep].astype(np.int64),
        polarity=peaks.polarity,
        fs=fs,
        n_detected=n,
        detection=detection,
        warnings=tuple(annotation_warnings(detection)),
        detect_seconds=detect_seconds,
    )


#: Below this share of matched beats (either way), annotations are taken not to fit the signal.
MISMATCH_SHARE = 0.5


def annotation_warnings(detection: BeatMatch | None) -> list[str]:
    """A warning when the annotations do not fit the recording (most beats unmatched).

    Whatever the detector's accuracy, on the recording the annotations belong to most detected
    beats lie within 150 ms of an annotated one; annotations of another record (or of another
    sampling rate) match about as often as chance.
    """
    if detection is None or detection.tp + detection.fn + detection.fp == 0:
        return []
    se, ppv = detection.sensitivity, detection.ppv
    if se >= MISMATCH_SHARE and ppv >= MISMATCH_SHARE:
        return []
    return [
        f"the annotations do not match this recording: only {ppv:.0%} of the detected beats lie "
        f"within 150 ms of an annotated beat, and {se:.0%} of the annotated beats were found. "
        "Are they another record's annotations, or made at another sampling rate? Every "
        "metric against them is meaningless."
    ]
