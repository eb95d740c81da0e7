"""The ECG5000 data module: find the file, read it, cut the tutorial's splits."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ecg_anomaly.data.beatfiles import LAYOUTS, Beats, read_beats
from ecg_anomaly.data.datamodule import BeatsDataModule, check_settings
from ecg_anomaly.data.labels import NORMAL, UCR_CLASS_NAMES
from ecg_anomaly.data.sources import SOURCES, resolve_data_path
from ecg_anomaly.data.splits import cut_rows
from ecg_anomaly.errors import ConfigError, DataFormatError, DataNotFoundError

__all__ = ["PROTOCOLS", "ECG5000DataModule"]

#: How the test part is made: cut from the one file, or the UCR archive's TEST file.
PROTOCOLS = ("split", "ucr")


def _sibling(train: Path) -> Path:
    """``ECG5000_TEST.txt`` beside ``ECG5000_TRAIN.txt`` (any name with TRAIN in it)."""
    name = train.name
    if "TRAIN" not in name:
        msg = (
            f"data.protocol=ucr needs the test file: {train} has no 'TRAIN' in its name to find "
            "its TEST sibling; give it with data.test_path=/path/to/ECG5000_TEST.txt"
        )
        raise ConfigError(msg)
    return train.with_name(name.replace("TRAIN", "TEST"))


class ECG5000DataModule(BeatsDataModule):
    """ECG5000 beats split into train / validation / test, kept as tensors.

    The test part is split off first, exactly as the TensorFlow tutorial does
    (``train_test_split(test_size=0.2, random_state=21)``); the validation part is then carved
    from the training part with the same seed (the CNN notebook used 25 %). The normaliser is
    fitted on the training part only (all its beats, normal and abnormal, as in the tutorial).
    The settings that cut the splits travel in every checkpoint, with a fingerprint of each
    training beat, so a saved model can re-cut its own splits and tell when it is shown its
    training beats.

    Args:
        path: A local data file. ``None`` looks at ``$ECG_ANOMALY_DATA``, then the cache, then
            downloads ``source``.
        source: ``"tensorflow"`` (the tutorial's ``ecg.csv``) or ``"ucr"`` (the UCR archive).
        layout: File layout for :func:`~ecg_anomaly.data.beatfiles.read_beats` (``"auto"``).
        cache_dir: Download cache folder (default: the user cache folder).
        download: Allow downloading when no local file is found.
        timeout: Download timeout in seconds.
        test_size: Fraction of all beats held out for testing (``protocol="split"``).
        val_size: Fraction of the training part held out for validation (``0`` = none).
        split_seed: Seed of both splits (the tutorial's ``random_state=21``).
        protocol: ``"split"`` cuts the test part from the one file (the tutorial);
            ``"ucr"`` is the UCR archive's own protocol: train on ``ECG5000_TRAIN``, test on
            ``ECG5000_TEST`` (``test_path``, by default the TRAIN file's sibling), validation
            carved from TRAIN. Rows of the TEST file are numbered after those of TRAIN.
        test_path: The test file of the ``ucr`` protocol (None: the sibling of ``path`` with
            ``TEST`` for ``TRAIN`` in its name).
        seq_len: The beat length expected (a saved model's): it tells a ``.csv`` of beats with a
            label column from one without; None takes the length from the file.
        **kwargs: Those of :class:`~ecg_anomaly.data.datamodule.BeatsDataModule`
            (``normalization``, ``normal_only``, ``batch_size``, ``eval_batch_size``,
            ``shuffle``, ``seed``, ``test_split``).
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
        protocol: str = "split",
        test_path: str | os.PathLike | None = None,
        seq_len: int | None = None,
        **kwargs: Any,
    ) -> None:
        fraction = (lambda v: 0 <= v < 1, "a fraction in [0, 1)")
        check_settings(
            test_size=(test_size, *fraction),
            val_size=(val_size, *fraction),
            source=(source, lambda v: v in SOURCES, SOURCES),
            layout=(layout, lambda v: v in LAYOUTS, LAYOUTS),
            timeout=(timeout, lambda v: v > 0, "a number of seconds > 0"),
            protocol=(protocol, lambda v: v in PROTOCOLS, PROTOCOLS),
        )
        super().__init__(**kwargs)
        self.path = path
        self.source = source
        self.layout = layout
        self.cache_dir = cache_dir
        self.download = download
        self.timeout = timeout
        self.test_size = test_size
        self.val_size = val_size
        self.split_seed = split_seed
        self.protocol = protocol
        self.test_path = test_path
        self.seq_len_wanted = seq_len
        self.beats: Beats | None = None
        self._test_file: Path | None = None

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
            self._resolve(download=False),
            self.layout,
            seq_len=self.seq_len_wanted,
            require_labels=not whole_file,
        )
        if self.protocol == "ucr":
            beats, rows = self._ucr_protocol(beats)
        else:
            rows = cut_rows(
                len(beats), self.test_size, self.val_size, self.split_seed, beats.path,
                not whole_file,
            )  # fmt: skip
        if not whole_file and not (beats.y[rows["train"]] == NORMAL).any():
            msg = (
                f"the training split of {beats.path} holds no normal beats, so an autoencoder has "
                "nothing to learn from and no threshold can be fitted; check the label column "
                "(tensorflow layout: 1 = normal, 0 = abnormal; UCR layout: class 1 = normal)"
            )
            raise DataFormatError(msg)
        self.set_beats(beats.x, beats.y, beats.classes, rows, beats.path)
        self.class_names = UCR_CLASS_NAMES if beats.classes is not None else None
        self.beats = beats

    def _ucr_protocol(self, train: Beats) -> tuple[Beats, dict[str, np.ndarray]]:
        """TRAIN and TEST files as one table; the validation part carved from TRAIN."""
        test_path = Path(self.test_path).expanduser() if self.test_path else _sibling(train.path)
        if not test_path.is_file():
            msg = (
                f"data.protocol=ucr tests on the archive's TEST file, but {test_path} does not "
                "exist; give it with data.test_path=/path/to/ECG5000_TEST.txt (the download of "
                "data.source=ucr puts it beside ECG5000_TRAIN.txt)"
            )
            raise DataNotFoundError(msg)
        test = read_beats(test_path, self.layout, seq_len=train.seq_len, require_labels=True)
        inner = cut_rows(len(train), 0.0, self.val_size, self.split_seed, train.path)
        rows = {**inner, "test": np.arange(len(train), len(train) + len(test))}
        classes = None
        if train.classes is not None and test.classes is not None:
            classes = np.concatenate([train.classes, test.classes])
        both = Beats(
            x=np.concatenate([train.x, test.x]),
            y=np.concatenate([train.y, test.y]),
            classes=classes,
            path=train.path,
            layout=train.layout,
        )
        self._test_file = test.path
        return both, rows

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
            "protocol": self.protocol,
            "test_path": str(self._test_file) if self._test_file else None,
            "normalization": self.normalization,
        }

    @classmethod
    def from_settings(
        cls, saved: dict[str, Any], given: dict[str, Any], **kwargs: Any
    ) -> ECG5000DataModule:
        """Saved settings with the given ones; another file (``path``) has its layout detected."""
        saved = dict(saved)
        saved.pop("beats", None), saved.pop("seq_len", None)  # written by earlier versions
        if "path" in given and "layout" not in given:
            saved.pop("layout", None)
        return cls(**(saved | given), **kwargs)

    def describe(self) -> dict[str, Any]:
        """Beat counts per split, and the file read."""
        return super().describe() | {"path": str(self.beats.path), "beats": len(self.beats)}
