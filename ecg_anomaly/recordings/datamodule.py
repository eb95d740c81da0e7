"""Beats of real recordings as a data module: ``ecg-anomaly-train data=recording``.

Every model and recipe trains on a recording as on ECG5000: the beats of the first
``train_minutes`` of each record are the training part (patient-specific), the rest is the test
part. Without labels, as for a new patient, the training beats are the dominant beat morphology
of the training span (:func:`~ecg_anomaly.recordings.selection.select_training_beats`): a
patient with frequent ectopic beats does not teach the model that they are normal. Annotations,
where a record has them, label the test beats (AAMI N normal; S, V, F, Q abnormal) and are not
used for training unless ``training_beats="annotated"``.

The class codes of the beats are the AAMI classes: 1 N, 2 S, 3 V, 4 F, 5 Q (-1: no annotation).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ecg_anomaly.data.beats_module import SPLITS, BeatsDataModule, check_settings
from ecg_anomaly.data.labels import UNKNOWN
from ecg_anomaly.errors import ConfigError
from ecg_anomaly.recordings.matching import BeatMatch

#: AAMI class codes of the beats (``classes``), in the order of the UCR archive's: 1 = normal.
AAMI_CODES = {"N": 1, "S": 2, "V": 3, "F": 4, "Q": 5}
AAMI_NAMES = {code: name for name, code in AAMI_CODES.items()}
#: Which beats of the training span train the model.
TRAINING_BEATS = ("dominant", "all", "annotated")


class RecordingDataModule(BeatsDataModule):
    """The beats of one or more recordings, split by time.

    Args:
        record: A recording (WFDB record path without extension, ``.hea``, CSV or ``.npy``) or
            a list of them.
        fs: Sampling rate in Hz (needed for CSV and ``.npy``).
        channel: Channel name or 0-based index (default: ``MLII`` if present, else the first).
        window: How beats are cut: ``centred`` (measured best for a model trained on the
            recording) or ``ecg5000``.
        seq_len: Values per beat.
        train_minutes: Minutes from the start of each record that train the model.
        val_minutes: Minutes after those that validate it (0: none).
        training_beats: ``dominant`` (the dominant morphology, no labels used), ``all`` (every
            beat of the span) or ``annotated`` (its annotated normal beats).
        **kwargs: Those of :class:`~ecg_anomaly.data.beats_module.BeatsDataModule`.
    """

    def __init__(
        self,
        record: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
        fs: float | None = None,
        channel: str | int | None = None,
        window: str = "centred",
        seq_len: int = 140,
        train_minutes: float = 5.0,
        val_minutes: float = 0.0,
        training_beats: str = "dominant",
        **kwargs: Any,
    ) -> None:
        from ecg_anomaly.recordings.segment import WINDOWS

        check_settings(
            record=(record, lambda v: bool(v), "a recording's path (or a list of them)"),
            window=(window, lambda v: v in WINDOWS, tuple(WINDOWS)),
            seq_len=(seq_len, lambda v: isinstance(v, int) and v >= 8, "a whole number >= 8"),
            train_minutes=(train_minutes, lambda v: v > 0, "minutes > 0"),
            val_minutes=(val_minutes, lambda v: v >= 0, "minutes >= 0"),
            training_beats=(training_beats, lambda v: v in TRAINING_BEATS, TRAINING_BEATS),
        )
        kwargs.setdefault("normal_only", False)  # the training part is already the chosen beats
        super().__init__(**kwargs)
        records = [record] if isinstance(record, str | os.PathLike) else list(record)
        self.records = [str(Path(r).expanduser()) for r in records]
        self.fs = fs
        self.channel = channel
        self.window = window
        self.seq_len_wanted = seq_len
        self.train_minutes = train_minutes
        self.val_minutes = val_minutes
        self.training_beats = training_beats
        self.class_names = AAMI_NAMES
        # without labels, the training beats are presumed normal (thresholds use them all)
        self.train_labels_known = training_beats == "annotated"
        self.table: Any = None
        self.detection: dict[str, float] = {}

    def setup(self, stage: str | None = None) -> None:
        """Read each record, find and cut its beats, split them by time."""
        if self.table is not None:
            return
        import pandas as pd

        from ecg_anomaly.recordings import extract_beats, read_recording

        parts, xs, detection = [], [], []
        for path in self.records:
            recording = read_recording(path, fs=self.fs, channel=self.channel)
            beats = extract_beats(recording, seq_len=self.seq_len_wanted, window=self.window)
            frame = beats.to_frame().assign(record=path)
            frame["part"] = self._parts(beats)
            parts.append(frame)
            xs.append(beats.x)
            if beats.detection is not None:
                detection.append(beats.detection)
            self.polarity = beats.polarity
        table = pd.concat(parts, ignore_index=True)
        rows = {k: np.flatnonzero(table["part"].to_numpy() == k) for k in SPLITS}
        if len(rows["train"]) < 10 or len(rows["test"]) == 0:
            msg = (
                f"{', '.join(self.records)}: data.train_minutes={self.train_minutes} leaves "
                f"{len(rows['train'])} training and {len(rows['test'])} test beats; the training "
                "span needs at least 10 beats and the rest of the record at least one"
            )
            raise ConfigError(msg)
        classes = table["aami"].map(AAMI_CODES).fillna(UNKNOWN).astype(np.int64).to_numpy()
        self.table = table
        self.detection = _detection(detection)
        self.set_beats(np.concatenate(xs), table["label"].to_numpy(), classes, rows,
                       Path(self.records[0]))  # fmt: skip

    def _parts(self, beats: Any) -> np.ndarray:
        """``train``, ``val``, ``test`` or ``""`` (training span, not chosen) per beat."""
        from ecg_anomaly.recordings import select_training_beats

        t = beats.time
        train_end = 60.0 * self.train_minutes
        val_end = train_end + 60.0 * self.val_minutes
        part = np.where(t < train_end, "span", np.where(t < val_end, "val", "test")).astype(object)
        span = part == "span"
        if self.training_beats == "dominant":
            chosen = select_training_beats(
                beats.qrs[span], rr_prev=beats.rr_prev[span], rr_next=beats.rr_next[span]
            )
        elif self.training_beats == "annotated":
            chosen = beats.label[span] == 0
        else:
            chosen = np.ones(int(span.sum()), dtype=bool)
        part[np.flatnonzero(span)] = np.where(chosen, "train", "")
        return part.astype(str)

    def beat_features(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Per-beat timing of the given rows: ``prematurity``, ``time``, ``rr_prev``, ..."""
        table = self.table.iloc[np.asarray(rows)]
        return {
            k: table[k].to_numpy()
            for k in ("prematurity", "time", "sample", "rr_prev", "rr_next", "symbol", "aami")
        }

    def settings(self) -> dict[str, Any]:
        """How the beats were read and cut (saved in checkpoints: ``detect`` cuts the same way)."""
        return {
            "source": "recording",
            "record": list(self.records),
            "path": self.records[0],
            "fs": self.fs,
            "channel": None if self.channel is None else str(self.channel),
            "window": self.window,
            "seq_len": self.seq_len_wanted,
            "train_minutes": float(self.train_minutes),
            "val_minutes": float(self.val_minutes),
            "training_beats": self.training_beats,
            "normalization": self.normalization,
            "beats": len(self.table),
        }

    def describe(self) -> dict[str, Any]:
        """Beat counts per split, and the beat detection against the annotations."""
        return super().describe() | self.detection | {"polarity": int(self.polarity)}


def _detection(matches: list[Any]) -> dict[str, float]:
    """Se and +P over every record's beats (EC57: sums of TP, FP, FN)."""
    if not matches:
        return {}
    tp, fp, fn = (sum(getattr(m, k) for m in matches) for k in ("tp", "fp", "fn"))
    return BeatMatch(tp, fp, fn, np.empty((0, 2), dtype=np.int64)).as_dict()
