"""One reader per recording format (WFDB, CSV, ``.npy``), each returning one channel's samples.

The checks every format shares (sampling rate, length, missing samples) live in
:mod:`ecg_anomaly.recordings.io`; here are only the format's own failures, each named with the
file and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_anomaly.errors import DataFormatError, DataNotFoundError
from ecg_anomaly.errors import ConfigError
from ecg_anomaly.recordings.annotations import Annotations

#: The channel read by default when a file has it (MIT-BIH's modified lead II).
PREFERRED_CHANNEL = "MLII"
#: CSV column names never taken as the default ECG channel.
_NOT_SIGNAL = frozenset({"time", "t", "timestamp", "seconds", "sec", "s", "ms", "sample", "index"})


@dataclass(frozen=True)
class RawChannel:
    """One channel as read from a file, before the shared checks."""

    signal: np.ndarray
    fs: float
    channel: str
    channels: tuple[str, ...]
    path: Path
    fs_given: bool
    annotations: Annotations | None = None
    units: str = ""


def pick_channel(
    channels: tuple[str, ...], channel: str | int | None, source: str, default: int = 0
) -> int:
    """Index of the requested channel among ``channels``.

    Args:
        channels: Channel names in file order.
        channel: A name, a 0-based index (int or digits), or None for the default.
        source: The file, for the message.
        default: Index used when ``channel`` is None and the file has no ``MLII``.

    Raises:
        ConfigError: The file has no such channel (the message lists the available ones).
    """
    if channel is None:
        return channels.index(PREFERRED_CHANNEL) if PREFERRED_CHANNEL in channels else default
    if isinstance(channel, str) and channel in channels:
        return channels.index(channel)
    text = str(channel).strip()
    if text.lstrip("-").isdigit() and 0 <= int(text) < len(channels):
        return int(text)
    listed = ", ".join(f"{i}: {name!r}" for i, name in enumerate(channels))
    msg = (
        f"{source}: no channel {channel!r}; the file has {len(channels)} channel(s) "
        f"({listed}). Set channel= to one of these names or 0-based indices."
    )
    raise ConfigError(msg)


def read_wfdb(base: Path, channel: str | int | None, annotator: str | None) -> RawChannel:
    """One channel of the WFDB record ``base`` (``.hea``, its ``.dat`` files, annotations)."""
    import wfdb

    header_path = base.with_name(base.name + ".hea")
    if not header_path.is_file():
        msg = f"WFDB header not found: {header_path} (relative paths start from {Path.cwd()})"
        raise DataNotFoundError(msg)
    try:
        header = wfdb.rdheader(str(base))
    except Exception as err:  # wfdb raises bare ValueError/IndexError on malformed headers
        msg = f"{header_path}: not a readable WFDB header ({type(err).__name__}: {err})"
        raise DataFormatError(msg) from None
    data_files = sorted({f for f in (getattr(header, "file_name", None) or []) if f})
    missing = [f for f in data_files if not (base.parent / f).is_file()]
    if missing:
        msg = (
            f"{header_path}: the signal file(s) {', '.join(missing)} it refers to are missing "
            f"from {base.parent}. Put them beside the .hea file (a WFDB record is the .hea plus "
            "its .dat files)."
        )
        raise DataNotFoundError(msg)
    channels = tuple(str(s) for s in header.sig_name)
    index = pick_channel(channels, channel, str(header_path))
    try:
        record = wfdb.rdrecord(str(base), channels=[index])
    except Exception as err:
        msg = f"{base}: the WFDB signal could not be read ({type(err).__name__}: {err})"
        raise DataFormatError(msg) from None
    annotations = None
    if annotator and base.with_name(f"{base.name}.{annotator}").is_file():
        try:
            ann = wfdb.rdann(str(base), annotator)
        except Exception as err:
            msg = f"{base}.{annotator}: unreadable annotation file ({type(err).__name__}: {err})"
            raise DataFormatError(msg) from None
        annotations = Annotations(np.asarray(ann.sample), np.asarray(ann.symbol, dtype=str))
    units = (record.units or [""])[0] or ""
    return RawChannel(
        signal=np.asarray(record.p_signal[:, 0], dtype=np.float64),
        fs=float(record.fs),
        channel=channels[index],
        channels=channels,
        path=base,
        fs_given=False,
        annotations=annotations,
        units=units,
    )


def read_csv(path: Path, fs: float, channel: str | int | None) -> RawChannel:
    """One column of a CSV file (comma-separated, optional header row of names)."""
    import pandas as pd

    with path.open() as fh:
        first = fh.readline()
    if not first.strip():
        msg = f"{path}: the file is empty (or its first line is blank)"
        raise DataFormatError(msg)
    cells = [c.strip().strip('"') for c in first.split(",")]
    has_header = any(c and not _is_number(c) for c in cells)
    channels = tuple(cells) if has_header else tuple(str(i) for i in range(len(cells)))
    default = next((i for i, c in enumerate(channels) if c.lower() not in _NOT_SIGNAL), 0)
    index = pick_channel(channels, channel, str(path), default=default)
    try:
        column = pd.read_csv(
            path,
            header=0 if has_header else None,
            usecols=[index],
            dtype=str,
            keep_default_na=False,
        ).iloc[:, 0]
    except Exception as err:
        msg = f"{path}: not a readable CSV file ({type(err).__name__}: {err})"
        raise DataFormatError(msg) from None
    text = column.str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    # Empty cells and NaN are missing samples (handled with the gaps); any other text is an error.
    wrong = np.isnan(values) & ~text.str.lower().isin(["", "nan", "na"]).to_numpy()
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        line = row + 1 + int(has_header)
        msg = (
            f"{path}, line {line}, column {index + 1} ({channels[index]!r}): "
            f"{text.iloc[row]!r} is not a number ({int(wrong.sum())} such cell(s) in the column)."
        )
        raise DataFormatError(msg)
    return RawChannel(values, fs, channels[index], channels, path, fs_given=True)


def read_npy(path: Path, fs: float, channel: str | int | None) -> RawChannel:
    """One column of a ``.npy`` array (1-D, or 2-D samples x channels)."""
    try:
        arr = np.load(path, allow_pickle=False)
    except Exception as err:
        msg = f"{path}: not a readable .npy array ({type(err).__name__}: {err})"
        raise DataFormatError(msg) from None
    if arr.dtype.kind not in "iuf" or arr.ndim not in (1, 2) or arr.size == 0:
        msg = (
            f"{path}: expected a non-empty 1-D or 2-D (samples x channels) numeric array, got "
            f"shape {arr.shape} of dtype {arr.dtype}"
        )
        raise DataFormatError(msg)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[1] > arr.shape[0]:
        msg = (
            f"{path}: shape {arr.shape} has more columns than rows; the layout is samples x "
            f"channels, so this looks transposed: save arr.T instead."
        )
        raise DataFormatError(msg)
    channels = tuple(str(i) for i in range(arr.shape[1]))
    index = pick_channel(channels, channel, str(path))
    return RawChannel(
        np.asarray(arr[:, index], dtype=np.float64), fs, channels[index], channels, path, True
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
