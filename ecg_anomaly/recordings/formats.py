"""One reader per recording format (WFDB, EDF, text tables, ``.npy``), each giving one channel.

The channel is the one :mod:`ecg_anomaly.recordings.channels` chooses (never a guess). The checks
every format shares (sampling rate, length, missing samples) live in
:mod:`ecg_anomaly.recordings.io`; here are only the format's own failures, each named with the
file and the fix.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ecg_anomaly.data.files import RawFile, load_npy
from ecg_anomaly.data.sniff import is_value, sniff
from ecg_anomaly.data.tables import parse
from ecg_anomaly.errors import DataFormatError, DataNotFoundError
from ecg_anomaly.recordings.annotations import Annotations
from ecg_anomaly.recordings.channels import only_signal, pick_channel


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


def read_wfdb(base: Path, channel: str | int | None, annotator: str | None) -> RawChannel:
    """One channel of the WFDB record ``base`` (one segment or several), and its annotations."""
    import wfdb

    header_path = base.with_name(base.name + ".hea")
    if not header_path.is_file():
        msg = f"WFDB header not found: {header_path} (relative paths start from {Path.cwd()})"
        raise DataNotFoundError(msg)
    header = _wfdb_call(wfdb.rdheader, f"{header_path}: not a readable WFDB header", str(base))
    segments = [s for s in (getattr(header, "seg_name", None) or []) if s != "~"]
    missing = [f"{s}.hea" for s in segments if not (base.parent / f"{s}.hea").is_file()]
    if segments and not missing:  # a multi-segment record: its segments name the signal files
        header = _wfdb_call(
            wfdb.rdheader, f"{header_path}: unreadable segments", str(base), rd_segments=True
        )
    parts = [s for s in header.segments or [] if s is not None] if segments else [header]
    files = {f for part in parts for f in (part.file_name or []) if f}
    missing += sorted(f for f in files if not (base.parent / f).is_file())
    if missing:
        msg = (
            f"{header_path}: the file(s) {', '.join(missing)} it refers to are missing from "
            f"{base.parent}. Put them beside the .hea file (a WFDB record is the .hea plus its "
            ".dat files, and the headers and files of its segments)."
        )
        raise DataNotFoundError(msg)
    channels = tuple(str(s) for s in (header.get_sig_name() if segments else header.sig_name) or [])
    if not channels:
        msg = f"{header_path}: the record has no signals."
        raise DataFormatError(msg)
    index = pick_channel(channels, channel, str(header_path))
    record = _wfdb_call(
        wfdb.rdrecord,
        f"{base}: the WFDB signal could not be read",
        str(base),
        channels=None if index is None else [index],
        m2s=True,  # a multi-segment record as one signal
    )
    signals = np.asarray(record.p_signal, dtype=np.float64)
    column = 0
    if index is None:
        index = column = only_signal(channels, [*range(len(channels))], signals, str(header_path))
    annotations = None
    if annotator and base.with_name(f"{base.name}.{annotator}").is_file():
        ann = _wfdb_call(
            wfdb.rdann, f"{base}.{annotator}: unreadable annotation file", str(base), annotator
        )
        annotations = Annotations(np.asarray(ann.sample), np.asarray(ann.symbol, dtype=str))
    units = (record.units or [""] * (column + 1))[column] or ""
    signal, fs = signals[:, column], float(record.fs)
    return RawChannel(signal, fs, channels[index], channels, base, False, annotations, units)


@contextmanager
def quiet_wfdb() -> Iterator[None]:
    """Silence wfdb's own pandas deprecation warnings, which are not the user's to fix.

    wfdb 4.3 calls ``drop`` and ``set_index`` with ``inplace=True``, deprecated by pandas 3.1.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword", module=r"wfdb\.")
        yield


def _wfdb_call(func: Callable[..., Any], what: str, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``; wfdb's bare exceptions become a DataFormatError on ``what``."""
    try:
        with quiet_wfdb():
            return func(*args, **kwargs)
    except Exception as err:  # wfdb raises bare ValueError/IndexError/TypeError on bad files
        msg = (
            f"{what} ({type(err).__name__}: {err}). Check that the file is complete; get it again."
        )
        raise DataFormatError(msg) from None


def read_edf(path: Path, channel: str | int | None) -> RawChannel:
    """One channel of an EDF file (read by wfdb), whose signals must share one sampling rate."""
    from wfdb.io.convert.edf import read_edf as wfdb_read_edf

    if not path.is_file():
        msg = f"recording not found: {path} (relative paths start from {Path.cwd()})"
        raise DataNotFoundError(msg)
    rates = _wfdb_call(_edf_rates, f"{path}: not a readable EDF file", path)
    if len({rate for _, rate in rates}) > 1:
        listed = ", ".join(f"{name!r} {rate:g} Hz" for name, rate in rates)
        msg = (
            f"{path}: its signals have different sampling rates ({listed}), which the EDF "
            "reader (wfdb) cannot keep apart. Export the ECG signal alone to EDF, WFDB or CSV."
        )
        raise DataFormatError(msg)
    record = _wfdb_call(wfdb_read_edf, f"{path}: not a readable EDF file", str(path))
    channels = tuple(str(s).strip() for s in record.sig_name)
    signals = np.asarray(record.p_signal, dtype=np.float64)
    index = pick_channel(channels, channel, str(path))
    if index is None:
        index = only_signal(channels, [*range(len(channels))], signals, str(path))
    units = record.units[index] if record.units and record.units[index] != "n/a" else ""
    return RawChannel(
        signals[:, index], float(record.fs), channels[index], channels, path, False, None, units
    )


def _edf_rates(path: Path) -> list[tuple[str, float]]:
    """Each signal's label and sampling rate, from the EDF header."""
    with path.open("rb") as fh:
        fixed = fh.read(256)
        n, seconds = int(fixed[252:256]), float(fixed[244:252])
        head = fh.read(256 * n)
    labels = [head[16 * i : 16 * i + 16].decode("latin-1").strip() for i in range(n)]
    counts = [int(head[216 * n + 8 * i : 216 * n + 8 * i + 8]) for i in range(n)]
    return [(label, count / seconds) for label, count in zip(labels, counts, strict=True)]


def read_text(raw: RawFile, path: Path, fs: float, channel: str | int | None) -> RawChannel:
    """One column of a text table (``,``/``;``/tab/space-separated, optional header of names).

    Empty cells and NaN are missing samples (the gaps are checked later); columns of text (a
    clock time, an event) are skipped unless asked for.
    """
    head = sniff(raw)
    channels = head.names or tuple(str(i) for i in range(len(head.first_cells)))
    if len(channels) != len(head.first_cells):
        msg = (
            f"{head.where}: the header (line {head.header_line}) names {len(channels)} columns, "
            f"but line {head.first_line} has {len(head.first_cells)} values. Give every column "
            "one name, or remove the header."
        )
        raise DataFormatError(msg)
    index = pick_channel(channels, channel, head.where)
    columns = [
        i
        for i, cell in enumerate(head.first_cells)
        if i == index or not cell.strip() or is_value(cell)
    ]
    if not columns:
        msg = (
            f"{head.where}, line {head.first_line}: no column holds a number; a table of samples "
            "has one column of numbers per channel (and optionally a clock or index column)."
        )
        raise DataFormatError(msg)
    # every column when all hold numbers, so that a line with one value too many is named
    values = parse(
        head, columns=None if len(columns) == len(channels) else columns, missing_ok=True
    )
    if index is None:
        index = only_signal(channels, columns, values, head.where)
    return RawChannel(values[:, columns.index(index)], fs, channels[index], channels, path, True)


def read_npy(raw: RawFile, path: Path, fs: float, channel: str | int | None) -> RawChannel:
    """One column of a ``.npy`` array (1-D, or 2-D samples x channels)."""
    arr = load_npy(raw)
    if arr.ndim not in (1, 2) or arr.size == 0:
        msg = (
            f"{raw.where}: expected a non-empty 1-D or 2-D (samples x channels) numeric array, got "
            f"shape {arr.shape} of dtype {arr.dtype}"
        )
        raise DataFormatError(msg)
    arr = np.asarray(arr[:, None] if arr.ndim == 1 else arr, dtype=np.float64)
    if arr.shape[1] > arr.shape[0]:
        msg = (
            f"{raw.where}: shape {arr.shape} has more columns than rows; the layout is samples x "
            f"channels, so this looks transposed: save arr.T instead."
        )
        raise DataFormatError(msg)
    channels = tuple(str(i) for i in range(arr.shape[1]))
    index = pick_channel(channels, channel, raw.where)
    if index is None:
        index = only_signal(channels, [*range(len(channels))], arr, raw.where)
    return RawChannel(arr[:, index], fs, channels[index], channels, path, True)
