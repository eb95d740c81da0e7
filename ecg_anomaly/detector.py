"""Load a trained model from its checkpoint and score new beats: :func:`load_detector`.

A checkpoint is read with ``torch.load(..., weights_only=True)``, which restores tensors and
plain Python values only and refuses anything else, so a checkpoint from a stranger cannot run
code. The model class named in the checkpoint is instantiated only if it is a subclass of
:class:`~ecg_anomaly.models.base.AnomalyModel` defined inside the ``ecg_anomaly.models`` package.

Examples:
    >>> from ecg_anomaly import load_detector
    >>> det = load_detector("logs/train/runs/.../checkpoints/model.ckpt")
    >>> det.score(beats)     # anomaly score per beat, higher = more abnormal
    >>> det.predict(beats)   # 1 = abnormal (score >= threshold), 0 = normal
"""

from __future__ import annotations

import importlib
import inspect
import os
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ecg_anomaly.anomaly.evaluation import flag
from ecg_anomaly.data.beatfiles import check_finite
from ecg_anomaly.errors import CheckpointError, DataFormatError

#: The package whose model classes a checkpoint may name.
MODELS_PACKAGE = "ecg_anomaly.models"
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class Detector:
    """A trained model ready to score raw beats: normalisation and threshold included.

    Args:
        model: A trained :class:`~ecg_anomaly.models.base.AnomalyModel` (put in eval mode).
        batch_size: Beats per forward pass when scoring.
        window: How :meth:`detect` cuts beats: the model's training window when it was trained
            on recordings; None: ``ecg5000``.
    """

    def __init__(self, model: Any, batch_size: int = 16384, window: str | None = None) -> None:
        self.model = model.eval()
        self.batch_size = batch_size
        #: How :meth:`detect` cuts a recording's beats.
        self.window = window or "ecg5000"

    @property
    def seq_len(self) -> int:
        """Samples per beat the model expects."""
        return int(self.model.normalizer.shift.numel())

    @property
    def threshold(self) -> float:
        """The fitted threshold (NaN when none was fitted)."""
        return float(self.model.threshold)

    def _as_beats(self, x: np.ndarray | torch.Tensor | list, source: str) -> torch.Tensor:
        if isinstance(x, torch.Tensor):
            t = x.detach().to("cpu", torch.float32)
        else:
            arr = np.asarray(x)
            if arr.dtype.kind not in "iuf":
                msg = f"{source}: expected numbers, got an array of dtype {arr.dtype}"
                raise DataFormatError(msg)
            t = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
        if t.ndim == 1:
            t = t.unsqueeze(0)
        if t.ndim != 2 or t.shape[1] != self.seq_len:
            msg = (
                f"{source}: beats of shape {tuple(t.shape)}, but the model expects "
                f"(n, {self.seq_len}) (or one beat of {self.seq_len} values). Resample the beats "
                f"to {self.seq_len} values, or use a model trained on beats of this length."
            )
            raise DataFormatError(msg)
        if not torch.isfinite(t).all():
            check_finite(t.numpy(), source)
        return t

    def score_tensor(self, x: torch.Tensor) -> torch.Tensor:
        """Scores of raw beats already checked and shaped ``(n, seq_len)`` float32 on the CPU."""
        from ecg_anomaly.anomaly.scoring import score_beats

        split = score_beats(self.model, x, "beats", batch_size=self.batch_size)
        return torch.from_numpy(split.scores.astype(np.float32))

    def score(self, x: np.ndarray | torch.Tensor, source: str = "the beats") -> Any:
        """Anomaly score of each beat, higher = more abnormal.

        Args:
            x: Raw beats, shape ``(n, seq_len)``, or one beat of shape ``(seq_len,)``.
            source: What the beats are, for error messages.

        Returns:
            Scores of shape ``(n,)`` (``(1,)`` for one beat): a tensor for tensor input, else a
            float32 NumPy array.

        Raises:
            DataFormatError: Wrong beat length, or NaN / infinite values.
        """
        scores = self.score_tensor(self._as_beats(x, source))
        return scores if isinstance(x, torch.Tensor) else scores.numpy()

    def flag(self, scores: np.ndarray | torch.Tensor) -> Any:
        """Predicted labels from scores: 1 (abnormal) where ``score >= threshold``, else 0."""
        if np.isnan(self.threshold):
            msg = "this checkpoint has no fitted threshold; set one (predict: threshold=<value>)"
            raise CheckpointError(msg)
        return flag(
            scores if isinstance(scores, torch.Tensor) else np.asarray(scores), self.threshold
        )

    def predict(self, x: np.ndarray | torch.Tensor, source: str = "the beats") -> Any:
        """Predicted label of each beat: 1 = abnormal, 0 = normal (same type as :meth:`score`)."""
        return self.flag(self.score(x, source))

    def detect(
        self,
        signal: np.ndarray,
        fs: float,
        *,
        annotations: Any = None,
        window: str | None = None,
        threshold: float | None = None,
    ) -> Any:
        """Find, cut, score and flag the beats of an ECG signal (needs the recordings extra).

        Args:
            signal: One channel's samples (1-D).
            fs: Sampling rate in Hz (100-1000).
            annotations: Reference beats, an :class:`~ecg_anomaly.recordings.Annotations`
                (the metrics then measure the detection).
            window: How beats are cut; None: the model's (``ecg5000`` for ECG5000 models).
            threshold: A fixed threshold; None: the model's (trained on a recording), else a
                percentile of the signal's own scores.

        Returns:
            A :class:`~ecg_anomaly.recordings.detection.RecordingDetection`: ``table()`` gives
            one row per beat (time, RR, scores, flag), ``metrics`` the numbers.
        """
        from ecg_anomaly.recordings import recording_from_array
        from ecg_anomaly.recordings.detection import detect_beats

        recording = recording_from_array(signal, fs, annotations=annotations)
        window = window or self.window
        return detect_beats(
            self.model, recording, window=window, threshold=threshold, batch_size=self.batch_size
        )

    def set_threshold(self, value: float) -> None:
        """Replace the saved deciding threshold (e.g. a manual value)."""
        self.model.set_thresholds(float(value))


def read_checkpoint(path: str | os.PathLike, key: str = "ckpt_path") -> dict[str, Any]:
    """Read a checkpoint safely (tensors and plain values only).

    Args:
        path: The checkpoint file.
        key: The config key it came from, for messages.

    Returns:
        The checkpoint dict (with ``state_dict``).

    Raises:
        CheckpointError: Missing, unreadable, unsafe, or not a Lightning checkpoint.
    """
    path = Path(path).expanduser()
    where = f"{key}={path}"
    if not path.is_file():
        msg = f"{where}: checkpoint not found (relative paths start from {Path.cwd()})"
        raise CheckpointError(msg)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "Unsupported global" not in str(err):  # junk bytes, not a pickled object
            msg = f"{where} is not a readable PyTorch checkpoint ({_first_line(err)})"
            raise CheckpointError(msg) from None
        msg = (
            f"{where} holds Python objects other than tensors and plain values, so it was not "
            "loaded: unpickling them could run arbitrary code. ecg-anomaly checkpoints never "
            "contain such objects; only load checkpoints written by ecg-anomaly-train."
        )
        raise CheckpointError(msg) from None
    except Exception as err:  # a truncated or foreign file fails in many ways inside torch.load
        msg = (
            f"{where} is not a readable PyTorch checkpoint ({_first_line(err)}); "
            "give a checkpoint written by ecg-anomaly-train"
        )
        raise CheckpointError(msg) from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        msg = f"{where} is not a Lightning checkpoint (no state_dict)"
        raise CheckpointError(msg)
    return ckpt


def _first_line(err: BaseException) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def data_settings(ckpt: dict[str, Any]) -> tuple[dict[str, Any] | None, np.ndarray | None]:
    """The data settings that cut a checkpoint's splits, and its training-beat fingerprints.

    Returns:
        ``(settings, fingerprints)``; ``(None, None)`` for a checkpoint saved without a data
        module.
    """
    from ecg_anomaly.data.datamodule import SETTINGS_KEY

    for value in ckpt.values():
        if isinstance(value, dict) and SETTINGS_KEY in value:
            fingerprints = value.get("train_fingerprints")
            fp = None if fingerprints is None else np.asarray(fingerprints.numpy())
            return dict(value[SETTINGS_KEY]), fp
    return None, None


def model_class(class_path: object, source: str = "the checkpoint") -> type:
    """The model class a checkpoint names, if it is allowed.

    Args:
        class_path: ``"ecg_anomaly.models.<module>.<Class>"``.
        source: Where the path comes from, for the message.

    Returns:
        The class, a subclass of ``AnomalyModel`` defined in ``ecg_anomaly.models``.

    Raises:
        CheckpointError: The path names anything else.
    """
    from ecg_anomaly.models.base import AnomalyModel

    refused = (
        f"{source} names the model class {class_path!r}; only subclasses of AnomalyModel in "
        f"the {MODELS_PACKAGE} package are loaded"
    )
    if not isinstance(class_path, str) or not _DOTTED.match(class_path):
        raise CheckpointError(refused)
    module_name, _, name = class_path.rpartition(".")
    if not module_name.startswith(MODELS_PACKAGE + ".") and module_name != MODELS_PACKAGE:
        raise CheckpointError(refused)
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        msg = f"{refused}; {class_path} does not exist in this version of ecg-anomaly"
        raise CheckpointError(msg) from None
    inside = getattr(cls, "__module__", "").startswith(MODELS_PACKAGE)
    if not (inspect.isclass(cls) and issubclass(cls, AnomalyModel) and inside):
        raise CheckpointError(refused)
    return cls


def model_from_checkpoint(
    ckpt: dict[str, Any], path: str, map_location: str | torch.device = "cpu"
) -> Any:
    """The model a checkpoint dict holds (see :func:`read_checkpoint`), in eval mode."""
    from ecg_anomaly.models.base import CHECKPOINT_KEY

    info = ckpt.get(CHECKPOINT_KEY)
    if not isinstance(info, dict) or "class_path" not in info:
        msg = f"{path} was not written by ecg-anomaly-train (no {CHECKPOINT_KEY!r} entry)"
        raise CheckpointError(msg)
    cls = model_class(info["class_path"], str(path))
    hparams = dict(ckpt.get("hyper_parameters") or {})
    try:
        model = cls(**hparams)
        model.on_load_checkpoint(ckpt)
        model.load_state_dict(ckpt["state_dict"])
    except (TypeError, RuntimeError, ValueError) as err:
        msg = f"{path} does not match {cls.__name__} of this ecg-anomaly version: {err}"
        raise CheckpointError(msg) from None
    return model.to(map_location).eval()


def load_detector(
    path: str | os.PathLike, map_location: str | torch.device = "cpu", batch_size: int = 16384
) -> Detector:
    """Load a trained detector from an ecg-anomaly checkpoint, safely.

    Args:
        path: A checkpoint written by ``ecg-anomaly-train`` (``checkpoints/model.ckpt``).
        map_location: Device to score on.
        batch_size: Beats per forward pass.

    Returns:
        A :class:`Detector` whose ``score``/``predict`` take raw beats.

    Raises:
        CheckpointError: The file is missing, holds arbitrary Python objects, or names a model
            class outside ``ecg_anomaly.models``.
    """
    path = Path(path).expanduser()
    ckpt = read_checkpoint(path)
    saved, _ = data_settings(ckpt)
    window = saved.get("window") if saved and saved.get("source") == "recording" else None
    model = model_from_checkpoint(ckpt, str(path), map_location)
    return Detector(model, batch_size=batch_size, window=window)
