"""The ECG5000 LightningDataModule: load, split, normalise, and serve in-memory batches."""

from __future__ import annotations

import logging
import os

import lightning as L
import numpy as np
import torch

from ecg_anomaly.data.errors import DataFormatError
from ecg_anomaly.data.labels import ABNORMAL, NORMAL
from ecg_anomaly.data.loader import TensorLoader
from ecg_anomaly.data.normalize import Normalizer
from ecg_anomaly.data.parsing import Beats, read_beats
from ecg_anomaly.data.sources import resolve_data_path
from ecg_anomaly.data.splits import train_test_split_indices

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


class ECG5000DataModule(L.LightningDataModule):
    """ECG5000 beats split into train / validation / test, kept as tensors.

    The test part is split off first, exactly as the TensorFlow tutorial does
    (``train_test_split(test_size=0.2, random_state=21)``); the validation part is then carved
    from the training part with the same seed (the CNN notebook used 25 %). The normaliser is
    fitted on the training part only (all its beats, normal and abnormal, as in the tutorial).

    Args:
        path: A local data file. ``None`` looks at ``$ECG_ANOMALY_DATA``, then the cache, then
            downloads ``source``.
        source: ``"tensorflow"`` (the tutorial's ``ecg.csv``) or ``"ucr"`` (the UCR archive).
        layout: File layout for :func:`~ecg_anomaly.data.parsing.read_beats` (``"auto"``).
        cache_dir: Download cache folder (default: the user cache folder).
        download: Allow downloading when no local file is found.
        timeout: Download timeout in seconds.
        test_size: Fraction of all beats held out for testing.
        val_size: Fraction of the training part held out for validation (``0`` = none).
        split_seed: Seed of both splits (the tutorial's ``random_state=21``).
        normalization: One of :data:`ecg_anomaly.data.normalize.KINDS`.
        normal_only: Train on normal beats only (autoencoders) or on all labelled training
            beats (classifiers). ``None`` lets the training script decide from the model.
        batch_size: Training batch size.
        eval_batch_size: Batch size for validation, testing and scoring.
        shuffle: Shuffle the training beats every epoch.
        seed: Seed of the shuffling.
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        source: str = "tensorflow",
        layout: str = "auto",
        cache_dir: str | os.PathLike | None = None,
        download: bool = True,
        timeout: float = 30.0,
        test_size: float = 0.2,
        val_size: float = 0.0,
        split_seed: int = 21,
        normalization: str = "global_minmax",
        normal_only: bool | None = None,
        batch_size: int = 512,
        eval_batch_size: int = 4096,
        shuffle: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.path = path
        self.source = source
        self.layout = layout
        self.cache_dir = cache_dir
        self.download = download
        self.timeout = timeout
        self.test_size = test_size
        self.val_size = val_size
        self.split_seed = split_seed
        self.normalization = normalization
        self.normal_only = normal_only
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.beats: Beats | None = None
        self.normalizer: Normalizer | None = None
        self._splits: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self._rows: dict[str, np.ndarray] = {}
        self._device = torch.device("cpu")

    # -- loading -------------------------------------------------------------------------

    def _resolve(self, download: bool):
        return resolve_data_path(
            self.path,
            source=self.source,
            cache_dir=self.cache_dir,
            download=download,
            timeout=self.timeout,
        )

    def prepare_data(self) -> None:
        """Download the data if no local copy exists (called on one process only)."""
        self._resolve(download=self.download)

    def setup(self, stage: str | None = None) -> None:
        """Read, split and normalise the data; later calls reuse the first result."""
        if self.beats is not None:
            return
        beats = read_beats(self._resolve(download=False), self.layout, require_labels=True)
        x = torch.from_numpy(np.ascontiguousarray(beats.x, dtype=np.float32))
        y = torch.from_numpy(beats.y.astype(np.int64))
        train_idx, test_idx = train_test_split_indices(len(x), self.test_size, self.split_seed)
        inner_train, inner_val = train_test_split_indices(
            len(train_idx), self.val_size, self.split_seed
        )
        train_idx, val_idx = train_idx[inner_train], train_idx[inner_val]
        self._rows = {"train": train_idx, "val": val_idx, "test": test_idx}
        self._splits = {
            name: (x[torch.from_numpy(idx)], y[torch.from_numpy(idx)])
            for name, idx in self._rows.items()
        }
        n_normal = int((self._splits["train"][1] == NORMAL).sum())
        if n_normal == 0:
            msg = (
                f"the training split of {beats.path} holds no normal beats, so an autoencoder has "
                "nothing to learn from and no threshold can be fitted; check the label column "
                "(tensorflow layout: 1 = normal, 0 = abnormal; UCR layout: class 1 = normal)"
            )
            raise DataFormatError(msg)
        self.normalizer = Normalizer(self.normalization, beats.seq_len).fit(
            self._splits["train"][0]
        )
        self.beats = beats
        log.info(
            "Loaded %d beats of %d samples from %s: %s",
            len(x),
            beats.seq_len,
            beats.path,
            ", ".join(f"{k} {self.split_sizes[k]}" for k in SPLITS),
        )

    # -- properties ----------------------------------------------------------------------

    def _require_setup(self) -> None:
        if self.beats is None:
            msg = "call setup() before using the data module's data"
            raise RuntimeError(msg)

    @property
    def seq_len(self) -> int:
        """Samples per beat, read from the data."""
        self._require_setup()
        return self.beats.seq_len

    @property
    def split_sizes(self) -> dict[str, int]:
        """Number of beats in each split."""
        return {name: len(self._splits[name][0]) for name in SPLITS}

    def split_rows(self, name: str) -> np.ndarray:
        """Rows of the data file (0-based) that form one split, in the order it is served."""
        self._require_setup()
        return self._rows[name]

    def split(self, name: str, *, normal_only: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw (un-normalised) beats and labels of one split.

        Args:
            name: ``"train"``, ``"val"`` or ``"test"``.
            normal_only: Keep only normal beats.

        Returns:
            ``(x, y)``: beats ``(n, seq_len)`` float32 and labels ``(n,)`` int64.
        """
        self._require_setup()
        if name not in SPLITS:
            msg = f"unknown split {name!r}; choose one of {', '.join(SPLITS)}"
            raise ValueError(msg)
        x, y = self._splits[name]
        if normal_only:
            keep = y == NORMAL
            x, y = x[keep], y[keep]
        return x.to(self._device), y.to(self._device)

    # -- loaders -------------------------------------------------------------------------

    def _place(self) -> tuple[int, int]:
        """Move the tensors to the training device once; return (rank, world_size)."""
        trainer = self.trainer
        if trainer is None:
            return 0, 1
        device = trainer.strategy.root_device
        if device != self._device:
            self._splits = {k: (x.to(device), y.to(device)) for k, (x, y) in self._splits.items()}
            self._device = device
        return trainer.global_rank, trainer.world_size

    def loader(
        self,
        name: str,
        *,
        normal_only: bool = False,
        shuffle: bool = False,
        batch_size: int | None = None,
        even: bool = False,
    ) -> TensorLoader:
        """A batch loader over one split, sharded across ranks under distributed training.

        ``even=True`` gives every rank as many beats (training: DDP steps must match); the
        evaluation loaders keep every beat exactly once.
        """
        rank, world_size = self._place()
        x, y = self.split(name, normal_only=normal_only)
        return TensorLoader(
            x,
            y,
            batch_size=batch_size or self.eval_batch_size,
            shuffle=shuffle,
            seed=self.seed,
            rank=rank,
            world_size=world_size,
            even=even,
        )

    def train_dataloader(self) -> TensorLoader:
        """Training beats: normal only for autoencoders, all labelled beats for classifiers."""
        normal_only = True if self.normal_only is None else self.normal_only
        return self.loader(
            "train",
            normal_only=normal_only,
            shuffle=self.shuffle,
            batch_size=self.batch_size,
            even=True,
        )

    def val_dataloader(self) -> TensorLoader | list:
        """Validation beats (normal and abnormal); an empty list when ``val_size`` is 0."""
        if self.split_sizes["val"] == 0:
            return []
        return self.loader("val")

    def test_dataloader(self) -> TensorLoader:
        """Test beats with their labels."""
        return self.loader("test")

    def predict_dataloader(self) -> TensorLoader:
        """Test beats, for ``trainer.predict``."""
        return self.loader("test")

    def describe(self) -> dict[str, int]:
        """Counts of normal and abnormal beats per split, for logs and reports."""
        out = {}
        for name in SPLITS:
            y = self._splits[name][1]
            out[f"{name}/normal"] = int((y == NORMAL).sum())
            out[f"{name}/abnormal"] = int((y == ABNORMAL).sum())
        return out
