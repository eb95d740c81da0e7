"""Detect abnormal beats in a recording with a saved model: find, cut, score, decide, measure.

The same straight line as everywhere else: the beats of the recording are cut the way the model
saw its training beats, scored once (:func:`~ecg_anomaly.anomaly.scoring.score_beats`), given
their timing (:mod:`ecg_anomaly.anomaly.timing`), flagged and measured by
:func:`~ecg_anomaly.anomaly.evaluation.evaluate` (abnormal = annotated S, V, F or Q beats).

A model trained on a recording (``data=recording``) carries its training beats' shape scores
and its threshold: they are used as they are. A model trained on ECG5000 knows neither a
recording's beats nor its amplitude: its shape scores are made unit-free against the
recording's own beats, and the threshold is then a percentile of the recording's own scores
(``own_percentile``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ecg_anomaly.anomaly.evaluation import DECIDING, Evaluation, evaluate
from ecg_anomaly.anomaly.scoring import SplitScores, score_beats
from ecg_anomaly.anomaly.timing import PREMATURITY_SCALE, with_timing
from ecg_anomaly.data.labels import UNKNOWN
from ecg_anomaly.recordings.datamodule import AAMI_CODES
from ecg_anomaly.recordings.extract import RecordingBeats, extract_beats
from ecg_anomaly.recordings.io import Recording

#: Percentile of a recording's own scores that decides, for a model trained elsewhere.
OWN_PERCENTILE = 98.0


@dataclass
class RecordingDetection:
    """The beats of one recording, scored and flagged.

    Attributes:
        beats: The cut beats and their timing and annotations.
        evaluation: Scores, flags and metrics (split ``test``; metrics where annotated).
        metrics: What ``metrics.json`` holds: ``n_beats``, ``polarity``, ``beats/...`` (beat
            detection), ``test/...`` (abnormal beats), ``threshold``, ``window``, ...
        signal: The recording's (cleaned) signal, for plots.
    """

    beats: RecordingBeats
    evaluation: Evaluation
    metrics: dict[str, Any]
    signal: np.ndarray = field(repr=False)

    def table(self) -> Any:
        """One row per beat: timing, scores, flag, annotation (``beats.csv``)."""
        s = self.evaluation.scores
        frame = self.beats.to_frame()
        frame.insert(5, "shape_score", s.extras.get("shape", s.scores))
        frame.insert(6, "score", s.scores)
        frame.insert(7, "flag", self.evaluation.deciding_flags)
        return frame


def detect_beats(
    model: Any,
    recording: Recording,
    *,
    window: str = "ecg5000",
    threshold: float | None = None,
    timing_scale: float | str | None = "auto",
    own_percentile: float = OWN_PERCENTILE,
    batch_size: int = 16384,
) -> RecordingDetection:
    """Find, cut, score and flag the beats of a recording.

    Args:
        model: A trained :class:`~ecg_anomaly.models.base.AnomalyModel`.
        recording: From :func:`~ecg_anomaly.recordings.read_recording`.
        window: How beats are cut (the model's training window).
        threshold: A fixed threshold; None: the model's where the score is the one it was
            trained with (a model trained on a recording, ``timing_scale="auto"``), else the
            ``own_percentile``-th percentile of the recording's own scores.
        timing_scale: Prematurity in the score: ``"auto"`` (the model's setting, else 0.1),
            a number, or None (shape only).
        own_percentile: See ``threshold``.
        batch_size: Beats per forward pass.
    """
    seq_len = int(model.normalizer.shift.numel())
    beats = extract_beats(recording, seq_len=seq_len, window=window)
    annotated = recording.annotations is not None
    classes = np.array([AAMI_CODES.get(a, UNKNOWN) for a in beats.aami], dtype=np.int64)
    shape = score_beats(model, torch.from_numpy(beats.x), "test", batch_size)
    split = SplitScores(
        "test",
        shape.scores,
        beats.label if annotated else None,
        classes if annotated else None,
        np.arange(len(beats)),
    )
    as_trained = model.uses_timing and timing_scale == "auto"  # the model's own score
    if as_trained:
        reference, scale = model.timing_reference.cpu().numpy(), float(model.timing_scale)
    else:
        reference = split.scores  # the recording's own beats
        scale = PREMATURITY_SCALE if timing_scale == "auto" else timing_scale
    if scale is not None:
        split = with_timing(split, beats.prematurity, reference, float(scale))
    # the model's threshold fits only the score it was fitted on: the one it was trained with
    if threshold is not None:
        rule = "given"
    elif as_trained:
        threshold, rule = float(model.threshold), "the model's"
    else:
        threshold = float(np.percentile(split.scores, own_percentile))
        rule = f"percentile {own_percentile:g} of this recording's scores"
    evaluation = evaluate(split, {DECIDING: threshold})
    metrics: dict[str, Any] = {
        **beats.metrics(),
        **evaluation.metrics,
        "threshold": threshold,
        "threshold_rule": rule,
        "window": window,
        "timing_scale": scale,
        "fs": recording.fs,
        "channel": recording.channel,
        "positive_class": "abnormal: annotated S, V, F or Q beats",
        "warnings": evaluation.warnings,
    }
    return RecordingDetection(beats, evaluation, metrics, recording.signal)
