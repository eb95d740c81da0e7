"""The ECG5000 LightningDataModule: load, split, normalise, and serve in-memory batches."""

from __future__ import annotations

import hashlib
import logging
import os
from typing import Any

import lightning as L
import numpy as np
import torch

from ecg_anomaly.data.labels import ABNORMAL, NORMAL
from ecg_anomaly.data.loader import TensorLoader
from ecg_anomaly.data.normalize import KINDS, Normalizer
from ecg_anomaly.data.parsing import LAYOUTS, Beats, read_beats
from ecg_anomaly.data.sources import SOURCES, resolve_data_path
from ecg_anomaly.data.splits import train_test_split_indices
from ecg_anomaly.errors import ConfigError, DataFormatError, bad_value

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
#: What ``test_split`` may name: a split, or ``all`` (every beat of the file).
TEST_SPLITS = (*SPLITS, "all")
#: Key of the data settings inside the data module's checkpoint entry.
SETTINGS_KEY = "ecg_anomaly_data"


class ECG5000DataModule(L.LightningDataModule):
    """ECG5000 beats split into train / validation / test, kept as tensors.

    The test part is split off first, exactly as the TensorFlow tutorial does
    (``train_test_split(test_size=0.2, random_state=21)``); the validation part is then carved
    from the training part with the same seed (the CNN notebook used 25 %). The normaliser is
    fitted on the training part only (all its beats, normal and abnormal, as in the tutorial).

    Batches are ``(beats, labels, classes, rows)``: raw beats, 0/1 labels, the source's class
    codes (UCR 1-5, or -1) and each beat's row in the file. The settings that cut the splits
    travel in every checkpoint (:meth:`state_dict`), with a fingerprint of each training beat,
    so a saved model can re-cut its own splits and tell when it is shown its training beats.

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
        test_split: The split ``trainer.test`` evaluates: ``test`` (default), ``val``,
            ``train`` or ``all``.
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
        test_split: str = "test",
    ) -> None:
        super().__init__()
        _check_settings(locals())
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
        self.test_split = test_split
        self.beats: Beats | None = None
        self.normalizer: Normalizer | None = None
        self._tensors: tuple[torch.Tensor, ...] = ()
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
        # Scoring every beat of a file (test_split="all") needs no labels; training does.
        whole_file = self.test_split == "all"
        beats = read_beats(
            self._resolve(download=False), self.layout, require_labels=not whole_file
        )
        self._rows = _cut(
            len(beats), self.test_size, self.val_size, self.split_seed, beats, not whole_file
        )
        unknown = np.full(len(beats), -1, dtype=np.int64)
        labels = beats.y if beats.y is not None else unknown
        classes = beats.classes if beats.classes is not None else unknown
        self._tensors = (
            torch.from_numpy(np.ascontiguousarray(beats.x, dtype=np.float32)),
            torch.from_numpy(np.asarray(labels, dtype=np.int64)),
            torch.from_numpy(np.asarray(classes, dtype=np.int64)),
            torch.arange(len(beats)),
        )
        train_y = labels[self._rows["train"]]
        if not whole_file and not (train_y == NORMAL).any():
            msg = (
                f"the training split of {beats.path} holds no normal beats, so an autoencoder has "
                "nothing to learn from and no threshold can be fitted; check the label column "
                "(tensorflow layout: 1 = normal, 0 = abnormal; UCR layout: class 1 = normal)"
            )
            raise DataFormatError(msg)
        self.beats = beats
        self.normalizer = Normalizer(self.normalization, beats.seq_len).fit(
            self._tensors[0][self._rows["train"]]
        )
        log.info(
            "Loaded %d beats of %d samples from %s: %s",
            len(beats),
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
        return {name: len(self._rows.get(name, ())) for name in SPLITS}

    def split_rows(self, name: str) -> np.ndarray:
        """Rows of the data file (0-based) that form one split, in the order it is served."""
        self._require_setup()
        if name == "all":
            return np.arange(len(self.beats))
        if name not in SPLITS:
            msg = f"unknown split {name!r}; choose one of {', '.join(TEST_SPLITS)}"
            raise ValueError(msg)
        return self._rows[name]

    def split(self, name: str, *, normal_only: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw (un-normalised) beats and labels of one split, on the data module's device.

        Args:
            name: ``"train"``, ``"val"``, ``"test"`` or ``"all"``.
            normal_only: Keep only normal beats.

        Returns:
            ``(x, y)``: beats ``(n, seq_len)`` float32 and labels ``(n,)`` int64.
        """
        x, y, _, _ = self._split_tensors(name, normal_only)
        return x, y

    def raw_beats(self, rows: np.ndarray) -> np.ndarray:
        """Raw beats of the given file rows (for plots), float32 ``(len(rows), seq_len)``."""
        self._require_setup()
        return self.beats.x[np.asarray(rows)]

    def class_counts(self) -> dict[str, dict[str, int]]:
        """Normal and abnormal beats per split: ``{"train": {"normal": n, ...}, ...}``."""
        counts = self.describe()
        return {s: {c: counts[f"{s}/{c}"] for c in ("normal", "abnormal")} for s in SPLITS}

    def _split_tensors(self, name: str, normal_only: bool) -> tuple[torch.Tensor, ...]:
        rows = torch.from_numpy(self.split_rows(name)).to(self._device)
        if normal_only:
            rows = rows[self._tensors[1][rows] == NORMAL]
        return tuple(t[rows] for t in self._tensors)

    # -- loaders -------------------------------------------------------------------------

    def _place(self) -> tuple[int, int]:
        """Move the tensors to the training device once; return (rank, world_size)."""
        trainer = self.trainer
        if trainer is None:
            return 0, 1
        device = trainer.strategy.root_device
        if device != self._device:
            self._tensors = tuple(t.to(device) for t in self._tensors)
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
        """A loader of ``(beats, labels, classes, rows)`` over one split, sharded across ranks.

        ``even=True`` gives every rank as many beats (training: DDP steps must match); the
        evaluation loaders keep every beat exactly once.
        """
        rank, world_size = self._place()
        return TensorLoader(
            *self._split_tensors(name, normal_only),
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
        """The beats ``trainer.test`` evaluates: the ``test_split`` (the test part by default)."""
        return self.loader(self.test_split)

    def predict_dataloader(self) -> TensorLoader:
        """The ``test_split`` beats, for ``trainer.predict``."""
        return self.loader(self.test_split)

    def describe(self) -> dict[str, int]:
        """Counts of normal and abnormal beats per split, for logs and reports."""
        out = {}
        labels = self._tensors[1].cpu()
        for name in SPLITS:
            y = labels[torch.from_numpy(self._rows[name])]
            out[f"{name}/normal"] = int((y == NORMAL).sum())
            out[f"{name}/abnormal"] = int((y == ABNORMAL).sum())
        return out

    # -- what a checkpoint carries -------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """The settings that cut the splits and normalise the beats (plain values)."""
        self._require_setup()
        return {
            "path": str(self.beats.path),
            "source": self.source,
            "layout": self.beats.layout,
            "test_size": float(self.test_size),
            "val_size": float(self.val_size),
            "split_seed": int(self.split_seed),
            "normalization": self.normalization,
            "beats": len(self.beats),
            "seq_len": self.beats.seq_len,
        }

    def training_fingerprints(self) -> np.ndarray:
        """One 63-bit fingerprint per training beat (see :func:`beat_fingerprints`)."""
        self._require_setup()
        return beat_fingerprints(self.beats.x[self._rows["train"]])

    def state_dict(self) -> dict[str, Any]:
        """Saved by Lightning in every checkpoint: the split settings and training fingerprints."""
        if self.beats is None:
            return {}
        fingerprints = torch.from_numpy(self.training_fingerprints())
        return {SETTINGS_KEY: self.settings(), "train_fingerprints": fingerprints}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Nothing to restore: the data are re-read and re-cut from the settings."""


def beat_fingerprints(x: np.ndarray) -> np.ndarray:
    """A 63-bit hash of each beat's float32 values: equal beats, equal fingerprints.

    Args:
        x: Beats ``(n, seq_len)``.

    Returns:
        int64 fingerprints ``(n,)``.
    """
    rows = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        digest = hashlib.blake2b(row.tobytes(), digest_size=8).digest()
        out[i] = int.from_bytes(digest, "little") >> 1
    return out


def _cut(
    n: int, test_size: float, val_size: float, split_seed: int, beats: Beats, strict: bool = True
) -> dict[str, np.ndarray]:
    """Row indices of train, val and test; refuses a cut that leaves a wanted part empty."""
    try:
        train, test = train_test_split_indices(n, test_size, split_seed)
        inner_train, inner_val = train_test_split_indices(len(train), val_size, split_seed)
        rows = {"train": train[inner_train], "val": train[inner_val], "test": test}
    except ValueError:
        rows = {"train": np.arange(n), "val": np.empty(0, np.int64), "test": np.empty(0, np.int64)}
    needed = [("train", True), ("test", test_size > 0), ("val", val_size > 0)]
    empty = [name for name, wanted in needed if wanted and len(rows[name]) == 0]
    if strict and empty:
        msg = (
            f"{beats.path} holds {n} beat(s); data.test_size={test_size} and "
            f"data.val_size={val_size} leave the {' and '.join(empty)} split(s) empty. Use a file "
            "with more beats (at least 3 for train, validation and test), or change the sizes."
        )
        raise ConfigError(msg)
    return rows


def _check_settings(given: dict[str, Any]) -> None:
    """Refuse impossible settings before any work, naming the ``data.`` key."""
    checks = [
        ("test_size", lambda v: 0 <= v < 1, "a fraction in [0, 1)"),
        ("val_size", lambda v: 0 <= v < 1, "a fraction in [0, 1)"),
        ("batch_size", lambda v: isinstance(v, int) and v >= 1, "a whole number >= 1"),
        ("eval_batch_size", lambda v: isinstance(v, int) and v >= 1, "a whole number >= 1"),
        ("normalization", lambda v: v in KINDS, KINDS),
        ("source", lambda v: v in SOURCES, SOURCES),
        ("layout", lambda v: v in LAYOUTS, LAYOUTS),
        ("test_split", lambda v: v in TEST_SPLITS, TEST_SPLITS),
        ("timeout", lambda v: v > 0, "a number of seconds > 0"),
    ]
    for key, ok, allowed in checks:
        value = given[key]
        try:
            good = bool(ok(value))
        except TypeError:
            good = False
        if not good:
            raise bad_value(f"data.{key}", value, allowed)
