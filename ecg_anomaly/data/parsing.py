"""Read heartbeat files into arrays, with errors that point at the exact bad line and column.

Four layouts are understood (see :data:`LAYOUTS`): the TensorFlow tutorial's ``ecg.csv``
(values, then a ``1``/``0`` label), the UCR archive's ``ECG5000_TRAIN.txt``/``.tsv`` (class
1-5, then values), label-less ``.csv`` beats and ``.npy`` arrays. Any of them may be compressed
(``.gz``, ``.bz2``, ``.xz``, or a ``.zip`` holding one file; see
:mod:`ecg_anomaly.data.textfile`). Separators and header rows are detected without guessing
(see :mod:`ecg_anomaly.data.table`); the good case is parsed by NumPy's C reader.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import numpy as np

from ecg_anomaly.data import labels
from ecg_anomaly.data.errors import DataFormatError
from ecg_anomaly.data.sniff import Head, sniff
from ecg_anomaly.data.table import LabelColumn, Table, parse
from ecg_anomaly.data.textfile import RawFile, decode, read_raw

LAYOUTS = ("auto", "tensorflow", "ucr", "csv", "npy")

_TF_ALLOWED = "1 (normal) or 0 (abnormal)"
_UCR_ALLOWED = "1 (normal), 2, 3, 4 or 5 (abnormal)"
_FLOAT32_MAX = float(np.finfo(np.float32).max)
# What ``auto`` means for a .csv: labelled or not, decided by the column count and ``seq_len``.
_BY_COLUMNS = "csv?"


@dataclass(frozen=True, eq=False)
class Beats:
    """Beats read from one file, with labels in the package convention.

    Attributes:
        x: The beats, float32 of shape ``(n, seq_len)``.
        y: ``labels.NORMAL``/``labels.ABNORMAL`` per beat (int64), or None if the file has none.
        classes: The original UCR class codes 1-5 (int64) where the file has them, else None.
        path: The file the beats were read from.
        layout: The layout actually used (never ``"auto"``).
        separator: The separator of a text file (``","``, ``";"``, a tab, or ``" "`` for
            runs of spaces); None for ``.npy``.
        header_line: The 1-based line number of the header row skipped, or None.
    """

    x: np.ndarray = field(repr=False)
    y: np.ndarray | None = field(repr=False)
    classes: np.ndarray | None = field(repr=False)
    path: Path
    layout: str
    separator: str | None = None
    header_line: int | None = None

    @property
    def seq_len(self) -> int:
        """Number of values per beat."""
        return int(self.x.shape[1])

    def __len__(self) -> int:
        return int(self.x.shape[0])


def check_finite(x: np.ndarray, source: str) -> None:
    """Raise if an array of beats holds NaN or infinite values.

    Args:
        x: Beats of shape ``(n, seq_len)`` (a 1-D array is read as one beat).
        source: What the array is (a file name, "the beats passed to predict"), for the message.

    Raises:
        DataFormatError: Naming the first bad beat and time step (0-based) and how many are bad.
    """
    finite = np.isfinite(x)
    if finite.all():
        return
    bad = np.argwhere(~finite)[0]
    where = f"value {bad[0]}" if x.ndim == 1 else f"beat {bad[0]}, time step {bad[1]}"
    msg = (
        f"{source}: {where} (0-based) is {x[tuple(bad)]}; {int((~finite).sum())} value(s) in all "
        "are NaN or infinite. Remove those beats or repair them (e.g. interpolate the missing "
        "samples) first."
    )
    raise DataFormatError(msg)


def read_beats(
    path: str | os.PathLike,
    layout: str = "auto",
    *,
    seq_len: int | None = None,
    require_labels: bool = False,
) -> Beats:
    """Read a file of heartbeats.

    Args:
        path: The file (``~`` is expanded); ``.gz``, ``.bz2``, ``.xz`` and one-file ``.zip``
            archives are unpacked on the fly.
        layout: One of :data:`LAYOUTS`. ``"auto"`` picks by the data file's extension (inside
            any compression suffix): ``.npy`` -> npy, ``.txt``/``.tsv`` -> ucr, ``.csv`` ->
            tensorflow, or csv when the file has exactly ``seq_len`` columns. The first line is
            skipped as a header only when every cell is a name, or when it is the column numbers
            ``0,1,2,...`` above a line of the same width; anything else is data.
        seq_len: The number of values per beat the caller expects; None takes it from the file.
        require_labels: Raise if the file has no labels (csv and npy layouts).

    Returns:
        The beats, their labels (``labels.NORMAL``/``ABNORMAL``) and the layout used.

    Raises:
        DataNotFoundError: The file does not exist, is a directory or cannot be read.
        DataFormatError: The content is unusable; the message names the line and column.
    """
    if layout not in LAYOUTS:
        msg = f"unknown layout {layout!r} for {path}; use one of {', '.join(LAYOUTS)}"
        raise ValueError(msg)
    path = Path(path).expanduser()
    raw = read_raw(path)
    if layout == "auto":
        layout = _layout_from_name(raw)
    head: Head | None = None
    if layout == "npy":
        x, y, classes = _read_npy(raw), None, None
    else:
        text = decode(raw)
        head = sniff(text, raw.where)
        if layout == _BY_COLUMNS:
            layout = _labelled_or_not(raw, head, seq_len)
        x, y, classes = _read_table(text, head, raw.where, layout)
    if require_labels and y is None:
        msg = (
            f"{raw.where} has no labels (read as layout {layout!r}), but labels are needed here. "
            "Use a file in the TensorFlow layout (values, then the label 1 = normal / 0 = "
            "abnormal) or the UCR layout (the class 1-5 first, then the values)."
        )
        raise DataFormatError(msg)
    if seq_len is not None and x.shape[1] != seq_len:
        line = f" (line {head.first_line}, the first beat)" if head else ""
        msg = (
            f"beats in {raw.where} have {x.shape[1]} values but the model expects {seq_len}"
            f"{line}. Use a file whose beats have {seq_len} values, or a model made for "
            f"{x.shape[1]}-value beats."
        )
        raise DataFormatError(msg)
    return Beats(
        x=x,
        y=y,
        classes=classes,
        path=path,
        layout=layout,
        separator=head.separator if head else None,
        header_line=head.header_line if head else None,
    )


def _layout_from_name(raw: RawFile) -> str:
    """The layout an extension means; ``_BY_COLUMNS`` where the column count must decide."""
    suffix = raw.suffix
    if suffix == ".npy":
        return "npy"
    if suffix in (".txt", ".tsv"):
        return "ucr"
    if suffix == ".csv":
        return _BY_COLUMNS
    shown = f"its name {raw.name!r}" if raw.name != Path(raw.where).name else "its extension"
    msg = (
        f"cannot tell the layout of {raw.where} from {shown} ({suffix or 'no extension'!r}); "
        f"pass the layout explicitly, one of {', '.join(LAYOUTS[1:])}."
    )
    raise DataFormatError(msg)


def _labelled_or_not(raw: RawFile, head: Head, seq_len: int | None) -> str:
    if seq_len is None:
        return "tensorflow"
    ncols = len(head.first_cells)
    if ncols == seq_len + 1:
        return "tensorflow"
    if ncols == seq_len:
        return "csv"
    msg = (
        f"{raw.where}, line {head.first_line}: {ncols} columns, but beats of {seq_len} values "
        f"need {seq_len + 1} (TensorFlow layout: the values, then the label) or {seq_len} (values "
        "only). Use a file made for this model, or set the sequence length to match the file."
    )
    raise DataFormatError(msg)


def _read_table(
    text: str, head: Head, where: str, layout: str
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    label = None
    if layout != "csv":
        ucr = layout == "ucr"
        label = LabelColumn(first=ucr, allowed=_UCR_ALLOWED if ucr else _TF_ALLOWED)
    table = parse(text, head, where, label)
    values = table.values
    if layout == "csv":
        return _to_float32(values, table, where, first_col=1), None, None
    if values.shape[1] < 2:
        msg = (
            f"{where}, line {head.first_line}: one column per line, but the {layout} layout needs "
            "a label and at least one value. For beats without labels use layout 'csv'."
        )
        raise DataFormatError(msg)
    if layout == "tensorflow":
        codes, values, col, allowed = values[:, -1], values[:, :-1], values.shape[1], _TF_ALLOWED
        ok = (codes == labels.TF_NORMAL_CODE) | (codes == labels.TF_ABNORMAL_CODE)
        hint = "If this file has no label column use layout 'csv'; if the class is first, 'ucr'."
    else:
        codes, values, col, allowed = values[:, 0], values[:, 1:], 1, _UCR_ALLOWED
        ok = np.isin(codes, labels.UCR_CLASSES)
        hint = "If the label is the last column use layout 'tensorflow'."
    if not ok.all():
        row = int(np.argmin(ok))
        msg = (
            f"{where}, line {table.line_of(row)}, column {col} (the label): {codes[row]:g} is not "
            f"a {layout} label; allowed are {allowed}. {hint}"
        )
        raise DataFormatError(msg)
    codes = codes.astype(np.int64)
    first_col = 1 if layout == "tensorflow" else 2
    x = _to_float32(values, table, where, first_col)
    if layout == "tensorflow":
        y = np.where(codes == labels.TF_NORMAL_CODE, labels.NORMAL, labels.ABNORMAL)
        return x, y.astype(np.int64), None
    y = np.where(codes == labels.UCR_NORMAL_CLASS, labels.NORMAL, labels.ABNORMAL)
    return x, y.astype(np.int64), codes


def _to_float32(values: np.ndarray, table: Table, where: str, first_col: int) -> np.ndarray:
    """Cast to float32, naming the file's line and column of a value beyond its range."""
    with np.errstate(over="ignore"):
        x = np.ascontiguousarray(values, dtype=np.float32)
    finite = np.isfinite(x)
    if finite.all():
        return x
    row, step = (int(i) for i in np.argwhere(~finite)[0])
    msg = (
        f"{where}, line {table.line_of(row)}, column {first_col + step}: {values[row, step]:g} is "
        f"too large for float32, the type beats are kept in (largest ±{_FLOAT32_MAX:.1e}); "
        f"{int((~finite).sum())} value(s) in all are. Rescale the data (e.g. to millivolts) or "
        "fix those values."
    )
    raise DataFormatError(msg)


def _read_npy(raw: RawFile) -> np.ndarray:
    where = raw.where
    try:
        arr = np.load(BytesIO(raw.data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        msg = (
            f"{where} is not a readable .npy array ({err}). Save the beats with "
            "numpy.save(path, beats) as a float array of shape (n, time steps)."
        )
        raise DataFormatError(msg) from None
    if not isinstance(arr, np.ndarray):  # an .npz archive
        arr.close()
        msg = f"{where} is an .npz archive; save a single array with numpy.save instead."
        raise DataFormatError(msg)
    if arr.dtype.kind not in "iuf":
        msg = f"{where} holds an array of dtype {arr.dtype}; expected numbers (float or int)."
        raise DataFormatError(msg)
    if arr.ndim not in (1, 2) or arr.size == 0:
        msg = (
            f"{where} holds an array of shape {arr.shape}; expected (beats, time steps), or one "
            "beat as a 1-D array, with at least one value."
        )
        raise DataFormatError(msg)
    arr = arr.reshape(1, -1) if arr.ndim == 1 else arr
    check_finite(arr, where)
    with np.errstate(over="ignore"):
        x = np.ascontiguousarray(arr, dtype=np.float32)
    check_finite(x, f"{where} (as float32)")  # values beyond ±3.4e38 overflow to inf
    return x
