"""Read an ECG recording (WFDB record, EDF, CSV/TSV or ``.npy`` samples) into a :class:`Recording`.

:func:`read_recording` picks the format from the path, reads one channel (the one whose name or
content says it is the ECG, see :mod:`~ecg_anomaly.recordings.formats`), and checks what a
beat detector needs: a sampling rate between :data:`MIN_FS` and :data:`MAX_FS` Hz, at least
:data:`MIN_DURATION_S` seconds of signal, and no long runs of missing samples (short ones are
interpolated, see :func:`~ecg_anomaly.recordings.gaps.fill_gaps`).

Examples:
    >>> rec = read_recording("mitdb/100")                # WFDB: 100.hea + 100.dat (+ 100.atr)
    >>> rec = read_recording("holter.csv.gz", fs=250, channel="ecg")
    >>> rec = read_recording("night.edf", channel="ECG")
    >>> rec = read_recording("strip.npy", fs=500, channel=1)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecg_anomaly.data.files import COMPRESSIONS, read_raw
from ecg_anomaly.errors import ConfigError, DataFormatError, DataNotFoundError, bad_value
from ecg_anomaly.recordings import formats
from ecg_anomaly.recordings.annotations import Annotations
from ecg_anomaly.recordings.gaps import fill_gaps

#: Sampling rates accepted, in Hz (the detectors are validated over this range).
MIN_FS, MAX_FS = 100.0, 1000.0
#: Shortest signal accepted, in seconds: a few beats even at 40 beats per minute.
MIN_DURATION_S = 5.0
#: Text tables of samples (each may also be compressed, like ``.csv.gz``, or in a ``.zip``).
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
#: File types :func:`read_recording` understands, besides a WFDB record path without extension.
SUFFIXES = (".hea", ".dat", ".edf", ".npy", *TEXT_SUFFIXES)
_FS_ALLOWED = "the sampling rate in Hz, a number > 0 (e.g. fs=250)"


@dataclass(frozen=True, eq=False)
class Recording:
    """One channel of an ECG recording.

    Attributes:
        signal: The samples, float64 1-D, in the file's units (mV for WFDB records).
        fs: Sampling rate in Hz.
        channel: Name of the channel read (a CSV header name, a WFDB signal name, or the
            0-based column index as text).
        channels: Names of all channels the file has.
        path: The file (or WFDB record path without extension) read.
        annotations: Reference annotations (WFDB ``.atr`` beside the record), or None.
        units: Units of the samples (``""`` when the file does not say).
        filled: Number of missing samples that were interpolated.
    """

    signal: np.ndarray = field(repr=False)
    fs: float
    channel: str
    channels: tuple[str, ...]
    path: Path | None = None
    annotations: Annotations | None = field(default=None, repr=False)
    units: str = ""
    filled: int = 0

    @property
    def duration_s(self) -> float:
        """Length of the signal in seconds."""
        return len(self.signal) / self.fs

    def __len__(self) -> int:
        return len(self.signal)


def read_recording(
    path: str | os.PathLike,
    fs: float | str | None = None,
    channel: str | int | None = None,
    annotator: str | None = "atr",
) -> Recording:
    """Read one channel of a recording and check it can be analysed.

    Args:
        path: A WFDB record (path without extension, or its ``.hea``; one segment or several),
            an ``.edf`` file, a text table (``.csv``, ``.tsv``, ``.txt``: one column per channel,
            separated by ``,``, ``;``, tabs or spaces, an optional header row of names) or a
            ``.npy`` file (1-D, or 2-D samples x channels); tables and ``.npy`` may be
            compressed (``.gz``, ``.bz2``, ``.xz``, ``.zip``).
        fs: Sampling rate in Hz; required for tables and ``.npy``, optional for WFDB and EDF
            (then it must agree with the header).
        channel: Channel name or 0-based index. Default: ``MLII`` when the file has it, else
            the first channel whose name says ECG, else the one channel that is not a time or
            sample index; when none of these tells, the error lists the channels to choose from.
        annotator: Extension of the WFDB annotation file read when present (None: none).

    Returns:
        The :class:`Recording`.

    Raises:
        DataNotFoundError: The file, or a file a WFDB record refers to, does not exist.
        DataFormatError: Unknown file type, unreadable content, a signal shorter than
            :data:`MIN_DURATION_S`, or a run of missing samples too long to interpolate.
        ConfigError: ``fs`` not a positive number, missing for a table or ``.npy``, out of
            range or contradicting a header; a channel the file does not have, or no channel
            that says it is the ECG (the message lists the available ones).
    """
    fs = sampling_rate(fs)
    given = Path(path).expanduser()
    suffix = given.suffix.lower()
    inner = Path(given.stem).suffix.lower() if suffix in COMPRESSIONS else suffix
    if suffix in (".hea", ".dat") or (
        suffix not in (*SUFFIXES, *COMPRESSIONS) and given.with_name(given.name + ".hea").is_file()
    ):
        base = given.with_suffix("") if suffix in (".hea", ".dat") else given
        raw = formats.read_wfdb(base, channel, annotator)
    elif suffix == ".edf":
        raw = formats.read_edf(given, channel)
    elif inner in (".npy", *TEXT_SUFFIXES) or suffix == ".zip":
        if not given.exists():
            msg = f"recording not found: {given} (relative paths start from {Path.cwd()})"
            raise DataNotFoundError(msg)
        if fs is None:
            msg = (
                f"{given}: a {inner or suffix} file does not say its sampling rate; give it "
                "(fs=<Hz>, e.g. fs=250)."
            )
            raise ConfigError(msg)
        data = read_raw(given)
        if data.suffix not in (".npy", *TEXT_SUFFIXES):
            raise _unknown_type(data.where, data.suffix)
        reader = formats.read_npy if data.suffix == ".npy" else formats.read_text
        raw = reader(data, given, fs, channel)
    elif given.suffix:
        raise _unknown_type(str(given), given.suffix)
    else:
        msg = (
            f"recording not found: neither {given}.hea (a WFDB record) nor a file {given} "
            f"exists (relative paths start from {Path.cwd()})"
        )
        raise DataNotFoundError(msg)
    if fs is not None and not raw.fs_given and not np.isclose(fs, raw.fs):
        msg = (
            f"{raw.path}: the file gives a sampling rate of {raw.fs:g} Hz but fs={fs:g} was "
            "set; leave fs unset for WFDB and EDF files (their header is authoritative)."
        )
        raise ConfigError(msg)
    return _checked(raw)


def sampling_rate(fs: float | str | None) -> float | None:
    """``fs`` as a number of Hz (None stays None).

    Raises:
        ConfigError: ``fs`` is not a number, or not finite and > 0 (``fs=abc``, ``fs=0``).
    """
    if fs is None:
        return None
    try:
        value = float(fs)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(fs, bool) or not math.isfinite(value) or value <= 0:
        raise bad_value("fs", fs, _FS_ALLOWED)
    return value


def _unknown_type(where: str, suffix: str) -> DataFormatError:
    return DataFormatError(
        f"{where}: unknown recording type {suffix!r}. Give a WFDB record (the path without "
        "extension, or its .hea file), an .edf file, a table of samples (.csv, .tsv or .txt, "
        "optionally .gz/.bz2/.xz/.zip-compressed) or a .npy file."
    )


def _checked(raw: formats.RawChannel) -> Recording:
    where = str(raw.path)
    if not MIN_FS <= raw.fs <= MAX_FS:
        msg = (
            f"{where}: sampling rate {raw.fs:g} Hz is outside the supported {MIN_FS:g}-"
            f"{MAX_FS:g} Hz; resample the signal into that range"
            + (" (or correct fs=)" if raw.fs_given else "")
            + "."
        )
        raise (ConfigError if raw.fs_given else DataFormatError)(msg)
    signal = np.asarray(raw.signal, dtype=np.float64)
    duration = len(signal) / raw.fs
    if duration < MIN_DURATION_S:
        msg = (
            f"{where}, channel {raw.channel!r}: the signal is {len(signal)} samples long "
            f"({duration:.2f} s at {raw.fs:g} Hz), shorter than the {MIN_DURATION_S:g} s needed "
            "to find a few beats. Give a longer recording (or check fs)."
        )
        raise DataFormatError(msg)
    signal, filled = fill_gaps(signal, raw.fs, f"{where}, channel {raw.channel!r}")
    return Recording(
        signal=signal,
        fs=raw.fs,
        channel=raw.channel,
        channels=raw.channels,
        path=raw.path,
        annotations=raw.annotations,
        units=raw.units,
        filled=filled,
    )


def recording_from_array(
    signal: np.ndarray,
    fs: float | str,
    annotations: Annotations | None = None,
    channel: str = "0",
    source: str = "the signal",
    units: str = "",
) -> Recording:
    """A :class:`Recording` from samples in memory, with the checks :func:`read_recording` makes.

    Args:
        signal: 1-D samples.
        fs: Sampling rate in Hz.
        annotations: Reference annotations, if any.
        channel: A name for the channel.
        source: What the samples are, for error messages.
        units: Units of the samples (``mV``), if known.

    Raises:
        DataFormatError: Not 1-D numbers, too short, or a run of missing samples too long.
        ConfigError: ``fs`` not a positive number, or out of range.
    """
    arr = np.asarray(signal)
    if arr.ndim != 1 or arr.dtype.kind not in "iuf":
        msg = (
            f"{source}: expected a 1-D array of numbers, got shape {arr.shape} of dtype {arr.dtype}"
        )
        raise DataFormatError(msg)
    rate = sampling_rate(fs)
    if rate is None:
        raise bad_value("fs", fs, _FS_ALLOWED)
    raw = formats.RawChannel(
        arr.astype(np.float64),
        rate,
        channel,
        (channel,),
        Path(source),
        True,
        annotations,
        units,
    )
    rec = _checked(raw)
    return Recording(
        rec.signal, rec.fs, rec.channel, rec.channels, None, annotations, rec.units, rec.filled
    )
