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

from ecg_anomaly.data.errors import DataError, DataFormatError
from ecg_anomaly.data.parsing import check_finite

#: The package whose model classes a checkpoint may name.
MODELS_PACKAGE = "ecg_anomaly.models"
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class CheckpointError(DataError, ValueError):
    """A checkpoint file is missing, unreadable, unsafe, or was not written by ecg-anomaly."""


class Detector:
    """A trained model ready to score raw beats: normalisation and threshold included.

    Args:
        model: A trained :class:`~ecg_anomaly.models.base.AnomalyModel` (put in eval mode).
        batch_size: Beats per forward pass when scoring.
    """

    def __init__(self, model: Any, batch_size: int = 16384) -> None:
        self.model = model.eval()
        self.batch_size = batch_size

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

    @torch.inference_mode()
    def score_tensor(self, x: torch.Tensor) -> torch.Tensor:
        """Scores of raw beats already checked and shaped ``(n, seq_len)`` float32 on the CPU."""
        model = self.model
        device = model.threshold.device
        out = torch.empty(len(x), dtype=torch.float32)
        for start in range(0, len(x), self.batch_size):
            batch = x[start : start + self.batch_size].to(device, non_blocking=True)
            out[start : start + len(batch)] = model.score(batch).float().cpu()
        return out

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
        if isinstance(scores, torch.Tensor):
            return (scores >= self.threshold).long()
        return (np.asarray(scores) >= self.threshold).astype(np.int64)

    def predict(self, x: np.ndarray | torch.Tensor, source: str = "the beats") -> Any:
        """Predicted label of each beat: 1 = abnormal, 0 = normal (same type as :meth:`score`)."""
        return self.flag(self.score(x, source))

    def set_threshold(self, value: float) -> None:
        """Replace the saved threshold (e.g. a manual value)."""
        self.model.threshold.fill_(float(value))


def _read_checkpoint(path: Path) -> dict[str, Any]:
    if not path.is_file():
        msg = f"checkpoint not found: {path} (relative paths start from {Path.cwd()})"
        raise CheckpointError(msg)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        msg = (
            f"{path} holds Python objects other than tensors and plain values, so it was not "
            "loaded: unpickling them could run arbitrary code. ecg-anomaly checkpoints never "
            "contain such objects; only load checkpoints written by ecg-anomaly-train."
        )
        raise CheckpointError(msg) from None
    except Exception as err:  # a truncated or foreign file fails in many ways inside torch.load
        msg = f"{path} is not a readable PyTorch checkpoint ({type(err).__name__}: {err})"
        raise CheckpointError(msg) from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        msg = f"{path} is not a Lightning checkpoint (no state_dict)"
        raise CheckpointError(msg)
    return ckpt


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


def load_model(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> Any:
    """The trained model saved in a checkpoint, in eval mode (see :func:`load_detector`)."""
    from ecg_anomaly.models.base import CHECKPOINT_KEY

    path = Path(path).expanduser()
    ckpt = _read_checkpoint(path)
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
    return Detector(load_model(path, map_location), batch_size=batch_size)


def write_scores_csv(
    path: str | os.PathLike,
    scores: np.ndarray,
    flags: np.ndarray,
    labels: np.ndarray | None = None,
    index: np.ndarray | None = None,
) -> Path:
    """Write one row per beat: ``index[,label],score,flag`` (flag 1 = predicted abnormal).

    Args:
        path: The CSV file (its folder is created).
        scores: Anomaly scores.
        flags: Predicted labels (1 abnormal, 0 normal).
        labels: True labels where known (0 normal, 1 abnormal).
        index: Row of each beat in its source file (default ``0..n-1``).

    Returns:
        The path written.
    """
    import pandas as pd

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(scores)
    columns: dict[str, Any] = {"index": np.arange(n) if index is None else np.asarray(index)}
    if labels is not None:
        columns["label"] = np.asarray(labels, dtype=np.int64)
    columns["score"] = np.asarray(scores, dtype=np.float64)
    columns["flag"] = np.asarray(flags, dtype=np.int64)
    pd.DataFrame(columns).to_csv(path, index=False, float_format="%.8g")
    return path
