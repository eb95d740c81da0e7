"""Beats held in memory as a data module: what ``Detector.fit(x)`` trains on.

Every beat given is a training beat (a validation part is carved off when the recipe validates:
early stopping, the best weights). Without labels (PyOD's ``fit(X)``), every beat is presumed
normal, as a new patient's beats are; with labels (``fit(X, y)``, 0 normal / 1 abnormal) an
autoencoder trains on the normal ones and a classifier on all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ecg_anomaly.data.datamodule import BeatsDataModule
from ecg_anomaly.data.labels import ABNORMAL, NORMAL
from ecg_anomaly.data.splits import cut_rows
from ecg_anomaly.errors import ConfigError, DataFormatError

#: What a checkpoint says its beats were: nothing a later run could read again.
SOURCE = "<arrays>"


def as_beats(x: Any, source: str = "the beats") -> np.ndarray:
    """Beats as float32 ``(n, seq_len)`` (one beat may be 1-D), checked for numbers.

    Raises:
        DataFormatError: Not numbers, not 1-D or 2-D, empty, or NaN / infinite values.
    """
    from ecg_anomaly.data.beatfiles import check_finite

    arr = np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)
    if arr.dtype.kind not in "iuf":
        msg = f"{source}: expected numbers, got an array of dtype {arr.dtype}"
        raise DataFormatError(msg)
    arr = arr.reshape(1, -1) if arr.ndim == 1 else arr
    if arr.ndim != 2 or arr.size == 0:
        msg = f"{source}: expected beats of shape (n, samples), got shape {arr.shape}"
        raise DataFormatError(msg)
    check_finite(arr, source)
    return np.ascontiguousarray(arr, dtype=np.float32)


class ArrayDataModule(BeatsDataModule):
    """Beats (and optional labels) given as arrays, all for training.

    Args:
        x: Raw beats ``(n, seq_len)``.
        y: Labels, 0 normal / 1 abnormal (None: every beat presumed normal).
        val_size: Fraction held out for validation (0: none).
        split_seed: Seed of that split.
        **kwargs: Those of :class:`~ecg_anomaly.data.datamodule.BeatsDataModule`.
    """

    def __init__(
        self,
        x: Any = None,
        y: Any = None,
        val_size: float = 0.0,
        split_seed: int = 21,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.x = None if x is None else as_beats(x, "x")
        self.y = None if y is None else np.asarray(y).astype(np.int64).ravel()
        self.val_size = val_size
        self.split_seed = split_seed
        self.train_labels_known = y is not None

    def setup(self, stage: str | None = None) -> None:
        """Check the arrays and cut the validation part."""
        if self._x is not None:
            return
        if self.x is None:
            msg = (
                "this model was fitted from arrays, which a checkpoint does not keep: give the "
                "data to score (data.path=... for eval, or Detector.decision_function(x))"
            )
            raise ConfigError(msg)
        y = self.y
        if y is not None and (len(y) != len(self.x) or not np.isin(y, [NORMAL, ABNORMAL]).all()):
            msg = f"y: expected {len(self.x)} labels, each 0 (normal) or 1 (abnormal)"
            raise DataFormatError(msg)
        rows = cut_rows(len(self.x), 0.0, self.val_size, self.split_seed, "x")
        labels = np.zeros(len(self.x), np.int64) if y is None else y  # presumed normal
        self.set_beats(self.x, labels, None, rows, Path(SOURCE))

    def settings(self) -> dict[str, Any]:
        """How the arrays were split (the arrays themselves are not kept)."""
        return {
            "val_size": float(self.val_size),
            "split_seed": int(self.split_seed),
            "normalization": self.normalization,
        }
