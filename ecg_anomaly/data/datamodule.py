"""What every data module of beats shares: in-memory tensors, splits, loaders, checkpoint state.

A source (the ECG5000 files, a recording, arrays in memory) reads its beats and cuts its
splits, then hands them to :meth:`BeatsDataModule.set_beats`; everything after that
(normalisation fitted on the training part, loaders sharded across ranks, the split settings
and training-beat fingerprints saved in checkpoints) is the same for every source.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch

from ecg_anomaly.data.batches import TensorLoader
from ecg_anomaly.data.fingerprints import beat_fingerprints
from ecg_anomaly.data.labels import ABNORMAL, NORMAL, UNKNOWN
from ecg_anomaly.data.normalize import KINDS, Normalizer
from ecg_anomaly.errors import bad_value

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
#: What ``test_split`` may name: a split, or ``all`` (every beat of the source).
TEST_SPLITS = (*SPLITS, "all")
#: Keys of the data settings and of the data module's class inside its checkpoint entry.
SETTINGS_KEY = "ecg_anomaly_data"
CLASS_KEY = "ecg_anomaly_datamodule"


class BeatsDataModule(L.LightningDataModule):
    """Beats of one source, split into train / validation / test, kept as tensors.

    Batches are dicts (:mod:`ecg_anomaly.data.batches`): ``x`` raw beats, ``label`` 0/1 (-1
    unknown), ``class`` the source's class codes (-1 unknown), ``row`` each beat's row in the
    source, and the source's per-beat features (a recording's ``prematurity``).

    Args:
        normalization: One of :data:`ecg_anomaly.data.normalize.KINDS`, fitted on the training
            part.
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
        normalization: str = "global_minmax",
        normal_only: bool | None = None,
        batch_size: int = 512,
        eval_batch_size: int = 4096,
        shuffle: bool = True,
        seed: int = 0,
        test_split: str = "test",
    ) -> None:
        super().__init__()
        check_settings(
            normalization=(normalization, lambda v: v in KINDS, KINDS),
            batch_size=(batch_size, _whole, "a whole number >= 1"),
            eval_batch_size=(eval_batch_size, _whole, "a whole number >= 1"),
            test_split=(test_split, lambda v: v in TEST_SPLITS, TEST_SPLITS),
        )
        self.normalization = normalization
        self.normal_only = normal_only
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.test_split = test_split
        self.normalizer: Normalizer | None = None
        self.source_path: Path | None = None
        #: Names of the source's class codes, for plots (e.g. the UCR archive's five classes).
        self.class_names: dict[int, str] | None = None
        #: False when the training beats' labels are not to be used (a new patient's beats,
        #: presumed normal): thresholds are then fitted on every training beat.
        self.train_labels_known = True
        self._x: np.ndarray | None = None
        self._fingerprints: np.ndarray | None = None
        self._tensors: dict[str, torch.Tensor] = {}
        self._rows: dict[str, np.ndarray] = {}
        self._device = torch.device("cpu")

    # -- what a source provides ----------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """The constructor arguments that read and cut this source (plain values).

        Saved in checkpoints: :func:`~ecg_anomaly.checkpoints.rebuild_datamodule` cuts the
        same splits again from them.
        """
        raise NotImplementedError

    @classmethod
    def from_settings(
        cls, saved: dict[str, Any], given: dict[str, Any], **kwargs: Any
    ) -> BeatsDataModule:
        """The data module of saved settings with the ``given`` ones (command line) applied."""
        return cls(**(saved | given), **kwargs)

    def set_beats(
        self,
        x: np.ndarray,
        labels: np.ndarray | None,
        classes: np.ndarray | None,
        rows: dict[str, np.ndarray],
        source: Path,
        features: dict[str, np.ndarray] | None = None,
        scorable: np.ndarray | None = None,
    ) -> None:
        """Hold the source's beats and splits; fit the normaliser on the training part.

        Args:
            x: Raw beats ``(n, seq_len)``.
            labels: 0 normal / 1 abnormal per beat (None: unknown).
            classes: The source's class codes per beat (None: none).
            rows: Row indices of each of :data:`SPLITS`.
            source: The file the beats come from (for messages and checkpoints).
            features: More per-beat values served in every batch, by name (float).
            scorable: Which beats can be scored (a recording's beats at its very ends cannot):
                the split ``all`` holds these; None: every beat.
        """
        n = len(x)
        unknown = np.full(n, UNKNOWN, dtype=np.int64)
        self._x = np.ascontiguousarray(x, dtype=np.float32)

        def ints(values: np.ndarray | None) -> torch.Tensor:
            return torch.from_numpy(np.array(unknown if values is None else values, np.int64))

        self._tensors = {
            "x": torch.from_numpy(self._x),
            "label": ints(labels),
            "class": ints(classes),
            "row": torch.arange(n),
        }
        for name, values in (features or {}).items():
            self._tensors[name] = torch.from_numpy(np.array(values, dtype=np.float64))
        self._rows = {k: np.asarray(rows[k], dtype=np.int64) for k in SPLITS}
        every = np.arange(n) if scorable is None else np.flatnonzero(scorable)
        self._rows["all"] = every.astype(np.int64)
        self.source_path = Path(source)
        # with no training beats (data only scored by a saved model, which brings its own
        # normaliser) the data module's normaliser is the identity
        train = self._tensors["x"][torch.from_numpy(self._rows["train"])]
        self.normalizer = Normalizer(self.normalization if len(train) else "none", x.shape[1])
        if len(train):
            self.normalizer.fit(train)
        log.info(
            "Loaded %d beats of %d samples from %s: %s",
            n,
            x.shape[1],
            source,
            ", ".join(f"{k} {self.split_sizes[k]}" for k in SPLITS),
        )

    # -- the beats -----------------------------------------------------------------------

    def _require_setup(self) -> None:
        if self._x is None:
            msg = "call setup() before using the data module's data"
            raise RuntimeError(msg)

    @property
    def seq_len(self) -> int:
        """Samples per beat, read from the data."""
        self._require_setup()
        return int(self._x.shape[1])

    @property
    def split_sizes(self) -> dict[str, int]:
        """Number of beats in each split."""
        return {name: len(self._rows.get(name, ())) for name in SPLITS}

    def split_rows(self, name: str) -> np.ndarray:
        """Rows of the source (0-based) that form one split, in the order it is served."""
        self._require_setup()
        if name not in TEST_SPLITS:
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
        batch = self._split_tensors(name, normal_only)
        return batch["x"], batch["label"]

    def raw_beats(self, rows: np.ndarray) -> np.ndarray:
        """Raw beats of the given rows (for plots), float32 ``(len(rows), seq_len)``."""
        self._require_setup()
        return self._x[np.asarray(rows)]

    def _split_tensors(self, name: str, normal_only: bool) -> dict[str, torch.Tensor]:
        rows = torch.from_numpy(self.split_rows(name)).to(self._device)
        if normal_only:
            rows = rows[self._tensors["label"][rows] == NORMAL]
        return {k: t[rows] for k, t in self._tensors.items()}

    def describe(self) -> dict[str, int]:
        """Counts of normal and abnormal beats per split, for logs and reports."""
        out = {}
        labels = self._tensors["label"].cpu()
        for name in SPLITS:
            y = labels[torch.from_numpy(self._rows[name])]
            out[f"{name}/normal"] = int((y == NORMAL).sum())
            out[f"{name}/abnormal"] = int((y == ABNORMAL).sum())
        return out

    def class_counts(self) -> dict[str, dict[str, int]]:
        """Normal and abnormal beats per split: ``{"train": {"normal": n, ...}, ...}``."""
        counts = self.describe()
        return {s: {c: counts[f"{s}/{c}"] for c in ("normal", "abnormal")} for s in SPLITS}

    # -- loaders -------------------------------------------------------------------------

    def _place(self) -> tuple[int, int]:
        """Move the tensors to the training device once; return (rank, world_size)."""
        trainer = self.trainer
        if trainer is None:
            return 0, 1
        device = trainer.strategy.root_device
        if device != self._device:
            self._tensors = {k: t.to(device) for k, t in self._tensors.items()}
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
        """A loader of batches (dicts) over one split, sharded across ranks.

        ``even=True`` gives every rank as many beats (training: DDP steps must match); the
        evaluation loaders keep every beat exactly once.
        """
        rank, world_size = self._place()
        return TensorLoader(
            self._split_tensors(name, normal_only),
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
        """Validation beats (normal and abnormal); an empty list when there are none."""
        if self.split_sizes["val"] == 0:
            return []
        return self.loader("val")

    def test_dataloader(self) -> TensorLoader:
        """The beats ``trainer.test`` evaluates: the ``test_split`` (the test part by default)."""
        return self.loader(self.test_split)

    def predict_dataloader(self) -> TensorLoader:
        """The ``test_split`` beats, for ``trainer.predict``."""
        return self.loader(self.test_split)

    # -- what a checkpoint carries -------------------------------------------------------

    def training_fingerprints(self) -> np.ndarray:
        """One 63-bit fingerprint per training beat (see :func:`beat_fingerprints`)."""
        self._require_setup()
        if self._fingerprints is None:  # computed once: every checkpoint carries them
            self._fingerprints = beat_fingerprints(self._x[self._rows["train"]])
        return self._fingerprints

    def state_dict(self) -> dict[str, Any]:
        """Saved by Lightning in every checkpoint: the split settings and training fingerprints."""
        if self._x is None:
            return {}
        fingerprints = torch.from_numpy(self.training_fingerprints())
        cls = f"{type(self).__module__}.{type(self).__qualname__}"
        return {SETTINGS_KEY: self.settings(), CLASS_KEY: cls, "train_fingerprints": fingerprints}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Nothing to restore: the data are re-read and re-cut from the settings."""


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def check_settings(**checks: tuple[Any, Any, Any]) -> None:
    """Refuse impossible settings before any work, naming the ``data.`` key.

    Args:
        **checks: ``key=(value, predicate, allowed)``.
    """
    for key, (value, ok, allowed) in checks.items():
        try:
            good = bool(ok(value))
        except TypeError:
            good = False
        if not good:
            raise bad_value(f"data.{key}", value, allowed)
