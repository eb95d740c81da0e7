"""Beats of real recordings as a data module: ``data=recording`` (train) and ``ecg-anomaly-detect``.

Every model and recipe trains on a recording as on ECG5000: the beats of the first
``train_minutes`` of each record are the training part (patient-specific), the rest is the test
part. Without labels, as for a new patient, the training beats are the dominant beat morphology
of the training span (:func:`~ecg_anomaly.recordings.selection.select_training_beats`): a
patient with frequent ectopic beats does not teach the model that they are normal. Annotations,
where a record has them, label the test beats (AAMI N normal; S, V, F, Q abnormal) and are not
used for training unless ``training_beats="annotated"``. With ``train_minutes=0`` every beat is
a test beat (scoring a recording with a saved model).

Batches carry each beat's ``prematurity``, which the post-processing's timing term adds to the
model's score (:mod:`ecg_anomaly.recordings.timing`). The class codes of the beats are the AAMI
classes: 1 N, 2 S, 3 V, 4 F, 5 Q (-1: no annotation).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ecg_anomaly.data.datamodule import SPLITS, BeatsDataModule, check_settings
from ecg_anomaly.data.labels import UNKNOWN
from ecg_anomaly.errors import ConfigError
from ecg_anomaly.recordings.ec57 import AAMI_CODES, AAMI_NAMES
from ecg_anomaly.recordings.matching import BeatMatch


def clock(seconds: float) -> str:
    """``h:mm:ss`` of a duration (the plots' clock, without importing matplotlib)."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


log = logging.getLogger(__name__)

#: Which beats of the training span train the model.
TRAINING_BEATS = ("dominant", "all", "annotated")
#: Per-beat columns of ``beats.csv`` besides the scores.
TABLE_COLUMNS = ("record", "time", "sample", "rr_prev", "rr_next", "votes", "symbol", "aami")


class RecordingDataModule(BeatsDataModule):
    """The beats of one or more recordings, split by time.

    Args:
        record: A recording (WFDB record path without extension, ``.hea``, CSV, ``.npy``,
            EDF) or a list of them.
        fs: Sampling rate in Hz (needed for CSV and ``.npy``).
        channel: Channel name or 0-based index (default: ``MLII`` if present, else the first).
        window: How beats are cut: ``centred`` (measured best for a model trained on the
            recording) or ``ecg5000``.
        seq_len: Values per beat.
        train_minutes: Minutes from the start of each record that train the model (0: none,
            every beat is a test beat).
        val_minutes: Minutes after those that validate it (0: none).
        val_size: Fraction of the chosen training beats held out for validation instead (as
            ``data.val_size`` of ECG5000: a recipe that validates, early stopping, keeps it).
        split_seed: Seed of that hold-out.
        training_beats: ``dominant`` (the dominant morphology, no labels used), ``all`` (every
            beat of the span) or ``annotated`` (its annotated normal beats).
        timing_scale: Beat timing in the score (:class:`~ecg_anomaly.recordings.timing.
            TimingTerm`): the prematurity worth the range of the training shapes; None: shape
            only.
        **kwargs: Those of :class:`~ecg_anomaly.data.datamodule.BeatsDataModule`.
    """

    #: The per-beat file the results are written to.
    table_name = "beats.csv"

    def __init__(
        self,
        record: str | os.PathLike | Sequence[str | os.PathLike] | None = None,
        fs: float | None = None,
        channel: str | int | None = None,
        window: str = "centred",
        seq_len: int = 140,
        train_minutes: float = 5.0,
        val_minutes: float = 0.0,
        val_size: float = 0.0,
        split_seed: int = 21,
        training_beats: str = "dominant",
        timing_scale: float | None = 0.1,
        **kwargs: Any,
    ) -> None:
        from ecg_anomaly.recordings.segment import WINDOWS

        check_settings(
            record=(record, lambda v: bool(v), "a recording's path (or a list of them)"),
            window=(window, lambda v: v in WINDOWS, tuple(WINDOWS)),
            seq_len=(seq_len, lambda v: isinstance(v, int) and v >= 8, "a whole number >= 8"),
            train_minutes=(train_minutes, lambda v: v >= 0, "minutes >= 0"),
            val_minutes=(val_minutes, lambda v: v >= 0, "minutes >= 0"),
            val_size=(val_size, lambda v: 0 <= v < 1, "a fraction in [0, 1)"),
            training_beats=(training_beats, lambda v: v in TRAINING_BEATS, TRAINING_BEATS),
            timing_scale=(timing_scale, lambda v: v is None or v > 0, "a number > 0, or null"),
        )
        kwargs.setdefault("normal_only", False)  # the training part is already the chosen beats
        super().__init__(**kwargs)
        from ecg_anomaly.recordings.io import Recording

        given = [record] if isinstance(record, str | os.PathLike | Recording) else list(record)
        # recordings in memory (Detector.fit / detect) are kept; paths are read in setup()
        self._in_memory = {i: r for i, r in enumerate(given) if isinstance(r, Recording)}
        self.records = [_record_name(r) for r in given]
        self.fs = fs
        self.channel = channel
        self.window = window
        self.seq_len_wanted = seq_len
        self.train_minutes = train_minutes
        self.val_minutes = val_minutes
        self.val_size = val_size
        self.split_seed = split_seed
        self.training_beats = training_beats
        self.timing_scale = timing_scale
        self.class_names = dict(AAMI_NAMES)
        # without labels, the training beats are presumed normal (thresholds use them all)
        self.train_labels_known = training_beats == "annotated"
        #: What the recordings say that the results should too (noise, mismatched annotations).
        self.warnings: list[str] = []
        self.table: Any = None
        self.detection: dict[str, float] = {}
        self.polarity = 1
        #: Seconds of the set-up's stages, over every record: read, detect (find beats), cut.
        self.seconds: dict[str, float] = {}
        self._view: dict[str, Any] = {}

    def setup(self, stage: str | None = None) -> None:
        """Read each record, find and cut its beats, split them by time."""
        if self.table is not None:
            return
        import pandas as pd

        from ecg_anomaly.recordings import extract_beats, read_recording

        parts, xs, detection = [], [], []
        started, read, detect = time.perf_counter(), 0.0, 0.0
        for i, path in enumerate(self.records):
            reading = time.perf_counter()
            recording = self._in_memory.get(i) or read_recording(
                path, fs=self.fs, channel=self.channel
            )
            took = time.perf_counter() - reading
            read += took
            beats = extract_beats(recording, seq_len=self.seq_len_wanted, window=self.window)
            detect += beats.detect_seconds
            log.info(
                "%s: read %s of %s at %g Hz in %.1f s; found and cut %d beats in %.1f s",
                Path(path).name, clock(recording.duration_s), recording.channel, recording.fs,
                took, len(beats), time.perf_counter() - reading - took,
            )  # fmt: skip
            frame = beats.to_frame().assign(record=Path(path).name)
            frame["part"] = self._parts(beats)
            parts.append(frame)
            xs.append(beats.x)
            self.warnings += [f"{Path(path).name}: {w}" for w in beats.warnings]
            if beats.detection is not None:
                detection.append(beats.detection)
            if not self._view:
                self._view = {
                    "signal": recording.signal,
                    "fs": recording.fs,
                    "units": recording.units,
                    "name": Path(path).name,
                }
            self.polarity = beats.polarity
        table = pd.concat(parts, ignore_index=True)
        rows = {k: np.flatnonzero(table["part"].to_numpy() == k) for k in SPLITS}
        if self.val_size > 0:
            from ecg_anomaly.data.splits import train_test_split_indices

            keep, held = train_test_split_indices(
                len(rows["train"]), self.val_size, self.split_seed
            )
            rows["val"] = np.sort(np.concatenate([rows["val"], rows["train"][held]]))
            rows["train"] = rows["train"][np.sort(keep)]
        self._check_sizes(rows)
        classes = table["aami"].map(AAMI_CODES).fillna(UNKNOWN).astype(np.int64).to_numpy()
        self.table = table
        self.detection = _detection(detection)
        features = {"prematurity": table["prematurity"].to_numpy()}
        labels = table["label"].to_numpy().copy()
        if not self.train_labels_known:  # no labels used: training and validation beats are
            labels[np.concatenate([rows["train"], rows["val"]])] = 0  # presumed normal
        self.set_beats(
            np.concatenate(xs),
            labels,
            classes,
            rows,
            Path(self.records[0]),
            features,
            scorable=table["whole"].to_numpy(),
        )
        # the rest of the set-up (cutting, features, annotations, training beats, normalising)
        cut = time.perf_counter() - started - read - detect
        self.seconds = {"read": read, "detect": detect, "cut": cut}

    def _check_sizes(self, rows: dict[str, np.ndarray]) -> None:
        if self.train_minutes > 0 and len(rows["train"]) < 10:
            msg = (
                f"{', '.join(self.records)}: data.train_minutes={self.train_minutes} leaves "
                f"{len(rows['train'])} training beats; the training span needs at least 10 "
                "beats (give more minutes)"
            )
            raise ConfigError(msg)
        if len(rows["test"]) == 0:
            msg = (
                f"{', '.join(self.records)}: data.train_minutes={self.train_minutes} leaves no "
                "test beats after the training span; give fewer minutes or a longer recording"
            )
            raise ConfigError(msg)

    def _parts(self, beats: Any) -> np.ndarray:
        """``train``, ``val``, ``test`` or ``""`` (training span, not chosen) per beat."""
        from ecg_anomaly.recordings import select_training_beats

        t = beats.time
        train_end = 60.0 * self.train_minutes
        val_end = train_end + 60.0 * self.val_minutes
        part = np.where(t < train_end, "span", np.where(t < val_end, "val", "test")).astype(object)
        part[~beats.whole] = ""  # at the recording's very ends: listed, not scored
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

    def unscored_rows(self, split: str) -> np.ndarray:
        """The beats of a split's time span that are listed but not scored (at the ends)."""
        table = self.table
        edge = ~table["whole"].to_numpy()
        if split == "test":
            start = 60.0 * (self.train_minutes + self.val_minutes)
            edge &= table["time"].to_numpy() >= start
        elif split != "all":
            edge &= False
        return np.flatnonzero(edge)

    def score_terms(self) -> list[Any]:
        """The timing term of the post-processing (none with ``timing_scale=None``)."""
        from ecg_anomaly.recordings.timing import TimingTerm

        return [] if self.timing_scale is None else [TimingTerm(self.timing_scale)]

    def beat_table(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Per-beat columns of ``beats.csv`` for the given rows (time, RR, annotation...)."""
        table = self.table.iloc[np.asarray(rows)]
        return {k: table[k].to_numpy() for k in TABLE_COLUMNS}

    def recording_view(self, rows: np.ndarray) -> Any:
        """The first recording and where the given beats lie on it (strips, scores over time)."""
        from ecg_anomaly.plots.figure_data import RecordingView

        table = self.table.iloc[np.asarray(rows)]
        first = table["record"].to_numpy() == self._view["name"]
        return RecordingView(
            signal=self._view["signal"],
            fs=self._view["fs"],
            units=self._view["units"],
            time=np.where(first, table["time"].to_numpy(), np.nan),
            symbols=table["symbol"].to_numpy(),
            name=self._view["name"],
        )

    def export_flags(self, out_dir: Path, beats: Any) -> dict[str, Path]:
        """The flagged beats as a WFDB annotation file beside the results (one record only)."""
        from ecg_anomaly.recordings.interop import write_flag_annotations

        if len(self.records) != 1:
            return {}
        written = write_flag_annotations(
            out_dir, Path(self._view["name"]).stem, beats, self._view["fs"]
        )
        return {} if written is None else {"annotations": written}

    def settings(self) -> dict[str, Any]:
        """How the beats were read and cut (saved in checkpoints: ``detect`` cuts the same way)."""
        return {
            "record": list(self.records),
            "fs": self.fs,
            "channel": None if self.channel is None else str(self.channel),
            "window": self.window,
            "seq_len": self.seq_len_wanted,
            "train_minutes": float(self.train_minutes),
            "val_minutes": float(self.val_minutes),
            "val_size": float(self.val_size),
            "split_seed": int(self.split_seed),
            "training_beats": self.training_beats,
            "timing_scale": self.timing_scale,
            "normalization": self.normalization,
        }

    def describe(self) -> dict[str, Any]:
        """Beat counts per split, the beat detection against the annotations, the records."""
        return (
            super().describe()
            | self.detection
            | {
                "record": self.records[0] if len(self.records) == 1 else list(self.records),
                "fs": self._view.get("fs"),
                "polarity": int(self.polarity),
                "n_beats": len(self.table),
                "positive_class": "abnormal: annotated S, V, F or Q beats",
            }
        )


def _record_name(record: Any) -> str:
    """A record's path as given (``~`` expanded), or ``signal`` for samples in memory."""
    from ecg_anomaly.recordings.io import Recording

    if isinstance(record, Recording):
        return "signal" if record.path is None else str(record.path)
    return str(Path(record).expanduser())


def _detection(matches: list[Any]) -> dict[str, float]:
    """Se and +P over every record's beats (EC57: sums of TP, FP, FN)."""
    if not matches:
        return {}
    tp, fp, fn = (sum(getattr(m, k) for m in matches) for k in ("tp", "fp", "fn"))
    return BeatMatch(tp, fp, fn, np.empty((0, 2), dtype=np.int64)).as_dict()
