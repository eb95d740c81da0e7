"""The ECG5000 data module: find the file, read it, cut the tutorial's splits."""

from __future__ import annotations

import os
from typing import Any

from ecg_anomaly.data.beats_module import (
    SETTINGS_KEY,
    SPLITS,
    TEST_SPLITS,
    BeatsDataModule,
    check_settings,
)
from ecg_anomaly.data.labels import NORMAL
from ecg_anomaly.data.parsing import LAYOUTS, Beats, read_beats
from ecg_anomaly.data.sources import SOURCES, resolve_data_path
from ecg_anomaly.data.splits import cut_rows
from ecg_anomaly.errors import DataFormatError

__all__ = ["SETTINGS_KEY", "SPLITS", "TEST_SPLITS", "ECG5000DataModule"]


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
        layout: File layout for :func:`~ecg_anomaly.data.parsing.read_beats` (``"auto"``).
        cache_dir: Download cache folder (default: the user cache folder).
        download: Allow downloading when no local file is found.
        timeout: Download timeout in seconds.
        test_size: Fraction of all beats held out for testing.
        val_size: Fraction of the training part held out for validation (``0`` = none).
        split_seed: Seed of both splits (the tutorial's ``random_state=21``).
        **kwargs: Those of :class:`~ecg_anomaly.data.beats_module.BeatsDataModule`
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
        **kwargs: Any,
    ) -> None:
        fraction = (lambda v: 0 <= v < 1, "a fraction in [0, 1)")
        check_settings(
            test_size=(test_size, *fraction),
            val_size=(val_size, *fraction),
            source=(source, lambda v: v in SOURCES, SOURCES),
            layout=(layout, lambda v: v in LAYOUTS, LAYOUTS),
            timeout=(timeout, lambda v: v > 0, "a number of seconds > 0"),
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
        self.beats: Beats | None = None

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
        rows = cut_rows(
            len(beats), self.test_size, self.val_size, self.split_seed, beats.path, not whole_file
        )
        if not whole_file and not (beats.y[rows["train"]] == NORMAL).any():
            msg = (
                f"the training split of {beats.path} holds no normal beats, so an autoencoder has "
                "nothing to learn from and no threshold can be fitted; check the label column "
                "(tensorflow layout: 1 = normal, 0 = abnormal; UCR layout: class 1 = normal)"
            )
            raise DataFormatError(msg)
        self.set_beats(beats.x, beats.y, beats.classes, rows, beats.path)
        self.beats = beats

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
