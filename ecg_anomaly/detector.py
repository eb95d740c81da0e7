"""The detector as a Python object, in PyOD's style: ``fit``, ``decision_function``, ``predict``.

:class:`Detector` runs the package's own path: the recipe's config is composed as
``ecg-anomaly-train`` composes it, the data module, model, post-processing and trainer are built
by :mod:`ecg_anomaly.build`, and scoring is the model's own. Only the data differ: NumPy arrays
(or a signal) instead of files.

Examples:
    >>> from ecg_anomaly import Detector, load_detector
    >>> det = Detector("tf_tutorial_dense_ae", overrides=["trainer.max_epochs=5"]).fit(x_normal)
    >>> scores = det.decision_function(x)   # (n,) raw beats in, higher = more abnormal
    >>> flags = det.predict(x)              # (n,) 1 = abnormal, 0 = normal
    >>> det.save("model.ckpt"); same = load_detector("model.ckpt")
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ecg_anomaly.errors import CheckpointError, DataFormatError


@dataclass
class Detection:
    """A recording's beats, scored and flagged by :meth:`Detector.detect`.

    Attributes:
        beats: One row per beat (``beats.csv``): time, sample, RR, scores, flag, type,
            annotation.
        metrics: What ``metrics.json`` would hold: beat detection, abnormal-beat metrics where
            annotated, the threshold, warnings.
    """

    beats: Any = field(repr=False)
    metrics: dict[str, Any] = field(repr=False)

    def table(self) -> Any:
        """The per-beat table (a pandas DataFrame)."""
        return self.beats


class Detector:
    """An ECG beat anomaly detector: a recipe's model, trained and thresholded.

    Args:
        experiment: The recipe (``conf/experiment/<name>.yaml``); None: the defaults.
        overrides: More Hydra overrides, as on the command line (``trainer.max_epochs=5``).
        batch_size: Beats per forward pass when scoring.

    Attributes:
        model: The fitted :class:`~ecg_anomaly.models.base.AnomalyModel` (None before ``fit``).
        threshold_: The deciding threshold.
        decision_scores_: Scores of the training beats (PyOD's name).
        labels_: Flags of the training beats.
    """

    def __init__(
        self,
        experiment: str | None = "tf_tutorial_dense_ae",
        overrides: Sequence[str] = (),
        *,
        batch_size: int = 16384,
    ) -> None:
        self.experiment = experiment
        self.overrides = list(overrides)
        self.batch_size = batch_size
        self.model: Any = None
        self.saved: Any = None
        self.decision_scores_: np.ndarray | None = None
        self.labels_: np.ndarray | None = None

    @classmethod
    def from_model(cls, model: Any, batch_size: int = 16384) -> Detector:
        """A detector of a model already trained (or built by hand), put in eval mode."""
        detector = cls(experiment=None, batch_size=batch_size)
        detector.model = model.eval()
        return detector

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, x: Any, y: Any = None, *, fs: float | None = None, annotations: Any = None):
        """Train the recipe's model on beats (or on a recording) and fit its threshold.

        Args:
            x: Raw beats ``(n, seq_len)``; or, with ``fs``, one ECG signal (1-D samples, or a
                ``wfdb.Record``) trained on as ``data=recording`` does (its first minutes).
            y: Labels of the beats, 0 normal / 1 abnormal (None: all presumed normal; needed by
                supervised recipes).
            fs: The signal's sampling rate (Hz): ``x`` is a recording.
            annotations: The recording's reference annotations (wfdb's or ours), optional.

        Returns:
            ``self``, fitted.
        """
        import lightning as L

        from ecg_anomaly.build import array_datamodule, build_model, build_trainer, compose_config
        from ecg_anomaly.checkpoints import saved_data

        recording = fs is not None or hasattr(x, "p_signal")
        data = ["data=recording"] if recording else []
        cfg = compose_config([f"experiment={self.experiment}"] if self.experiment else [],
                             data, self.overrides)  # fmt: skip
        datamodule = array_datamodule(cfg, x, y, fs=fs, annotations=annotations)
        L.seed_everything(cfg.seed, workers=True, verbose=False)
        datamodule.setup("fit")
        model = build_model(cfg, datamodule)
        trainer = build_trainer(cfg, datamodule, files=False)
        trainer.fit(model, datamodule=datamodule)
        self.model = model.eval()
        self.saved = saved_data({"datamodule": datamodule.state_dict()})
        train = model.post.scored.get("train")
        if train is not None:
            self.decision_scores_ = train.scores
            self.labels_ = np.asarray(model.post.flag(train.scores))
        return self

    # -- scoring ---------------------------------------------------------------------------

    def _fitted(self) -> Any:
        if self.model is None:
            msg = "this Detector is not fitted yet: call fit(x) (or load_detector(path)) first"
            raise CheckpointError(msg)
        return self.model

    @property
    def threshold_(self) -> float:
        """The deciding threshold (NaN when none was fitted)."""
        return float(self._fitted().post.value)

    @property
    def seq_len(self) -> int:
        """Samples per beat the model expects."""
        return int(self._fitted().normalizer.shift.numel())

    def decision_function(self, x: Any, source: str = "the beats") -> np.ndarray:
        """Anomaly score of each raw beat (``(n, seq_len)``, or one beat), higher = more abnormal.

        Raises:
            DataFormatError: Wrong beat length, NaN values, or a model whose score needs the
                beats' timing (trained on a recording: use :meth:`detect`).
        """
        from ecg_anomaly.anomaly.scoring import score_beats
        from ecg_anomaly.data.arrays import as_beats

        model = self._fitted()
        beats = as_beats(x, source)
        if beats.shape[1] != self.seq_len:
            msg = (
                f"{source}: beats of shape {beats.shape}, but the model expects (n, "
                f"{self.seq_len}). Resample the beats to {self.seq_len} values, or use a model "
                "trained on beats of this length."
            )
            raise DataFormatError(msg)
        if any(t.fitted and t.features for t in model.post.terms.values()):
            msg = (
                f"{source}: this model scores beats with their timing (trained on a recording); "
                "score a whole signal with detect(signal, fs) instead"
            )
            raise DataFormatError(msg)
        raw = score_beats(model, torch.from_numpy(beats), "beats", batch_size=self.batch_size)
        return model.post.apply_split(raw).scores

    def score(self, x: Any, source: str = "the beats") -> np.ndarray:
        """The same as :meth:`decision_function`."""
        return self.decision_function(x, source)

    def predict(self, x: Any, source: str = "the beats") -> np.ndarray:
        """1 (abnormal) where a beat's score is at or above the threshold, else 0.

        Raises:
            CheckpointError: The model has no fitted threshold (give one with
                :meth:`set_threshold`).
        """
        post = self._fitted().post
        if not post.fitted:
            msg = (
                "this model has no fitted threshold, so it cannot flag beats: set one with "
                "set_threshold(value) (ecg-anomaly-predict: threshold=manual threshold.value=...)"
            )
            raise CheckpointError(msg)
        return np.asarray(post.flag(self.decision_function(x, source)))

    def set_threshold(self, value: float) -> None:
        """Replace the deciding threshold by a fixed value (extra thresholds stay)."""
        self._fitted().post.set_thresholds(float(value))

    def fit_predict(self, x: Any, y: Any = None) -> np.ndarray:
        """Fit, then flag the training beats."""
        return self.fit(x, y).predict(x)

    def detect(
        self,
        signal: Any,
        fs: float | None = None,
        *,
        annotations: Any = None,
        window: str | None = None,
        threshold: Any = None,
    ) -> Detection:
        """Find, cut, score and flag the beats of an ECG signal (the recordings extra).

        Args:
            signal: One channel's samples (1-D), or a ``wfdb.Record`` (``wfdb.rdrecord``).
            fs: Sampling rate in Hz (not needed with a ``wfdb.Record``).
            annotations: Reference beats: a ``wfdb.Annotation`` (``wfdb.rdann``) or ours (the
                metrics then measure the detection).
            window: How beats are cut; None: the model's (``ecg5000`` for ECG5000 models).
            threshold: A number fixes the threshold; a threshold rule is fitted on this
                signal's beats; None: the model's where it applies (see ``ecg-anomaly-detect``).
        """
        from ecg_anomaly.anomaly.thresholds import ManualThreshold, Threshold
        from ecg_anomaly.detect import score_recording
        from ecg_anomaly.outputs import beat_table, run_results
        from ecg_anomaly.recordings.interop import annotations_from, recording_from_wfdb
        from ecg_anomaly.recordings.io import recording_from_array

        model = self._fitted()
        if hasattr(signal, "p_signal"):
            recording = recording_from_wfdb(signal, annotations)
        else:
            if fs is None:
                msg = "detect(signal, fs): give the sampling rate fs (Hz) of the signal"
                raise DataFormatError(msg)
            recording = recording_from_array(signal, fs, annotations_from(annotations))
        rule = threshold if isinstance(threshold, Threshold | None) else ManualThreshold(threshold)
        datamodule, info, warnings = score_recording(
            model, recording, self.saved, window=window, rule=rule, batch_size=self.batch_size
        )
        main = next(iter(model.evaluations.values()))
        metrics = run_results(model, datamodule, info)
        metrics["warnings"] = [*warnings, *metrics["warnings"]]
        return Detection(beat_table(main, datamodule, model.post.columns(main)), metrics)

    # -- saving ----------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> Path:
        """Write the detector as an ecg-anomaly checkpoint (``load_detector`` reads it back)."""
        from ecg_anomaly.utils.results import atomic_path

        model = self._fitted()
        ckpt: dict[str, Any] = {
            "state_dict": model.state_dict(),
            "hyper_parameters": dict(model.hparams),
        }
        model.on_save_checkpoint(ckpt)
        if self.saved is not None:
            ckpt["datamodule"] = self.saved.state
        path = Path(path).expanduser()
        with atomic_path(path) as tmp:
            torch.save(ckpt, tmp)
        return path

    def export(self, path: str | os.PathLike, format: str = "onnx") -> Path:
        """Write the detector as one graph for other runtimes (``onnx`` or ``torch``).

        See :func:`ecg_anomaly.exported.files.export_detector` and ``docs/export.md``.
        """
        from ecg_anomaly.exported.files import export_detector

        return export_detector(self._fitted(), path, format).path

    def __repr__(self) -> str:
        if self.model is None:
            return f"Detector(experiment={self.experiment!r}, not fitted)"
        rule = self.model.post.describe().get("threshold_rule", "set by hand")
        return (
            f"Detector(experiment={self.experiment!r}, model={type(self.model).__name__}, "
            f"seq_len={self.seq_len}, threshold={self.threshold_:.6g} ({rule}))"
        )


def load_detector(
    path: str | os.PathLike, map_location: str | torch.device = "cpu", batch_size: int = 16384
) -> Detector:
    """Load a trained detector from an ecg-anomaly checkpoint, safely.

    Args:
        path: A checkpoint written by ``ecg-anomaly-train`` or :meth:`Detector.save`.
        map_location: Device to score on.
        batch_size: Beats per forward pass.

    Raises:
        CheckpointError: The file is missing, holds arbitrary Python objects, or names a model
            class outside ``ecg_anomaly.models``.
    """
    from ecg_anomaly.checkpoints import load_model, saved_data

    model, ckpt = load_model(path, map_location)
    detector = Detector.from_model(model, batch_size)
    detector.saved = saved_data(ckpt)
    return detector
