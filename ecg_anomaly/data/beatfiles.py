"""Read heartbeat files into arrays, with errors that point at the exact bad line and column.

Four layouts are understood (see :data:`LAYOUTS`): the TensorFlow tutorial's ``ecg.csv``
(values, then a ``1``/``0`` label), the UCR archive's ``ECG5000_TRAIN.txt``/``.tsv`` (class
1-5, then values), label-less ``.csv`` beats and ``.npy`` arrays. Any of them may be compressed
(``.gz``, ``.bz2``, ``.xz``, or a ``.zip`` holding one file). The text is read by
:mod:`ecg_anomaly.data.sniff` (separator and header, found without guessing) and
:mod:`ecg_anomaly.data.tables` (the numbers, by pandas);
here are the layouts' own checks: labels, the beat length, float32 range.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecg_anomaly.data import labels
from ecg_anomaly.data.files import RawFile, load_npy, read_raw
from ecg_anomaly.data.sniff import Head, sniff
from ecg_anomaly.data.tables import LabelColumn, parse
from ecg_anomaly.errors import DataFormatError

LAYOUTS = ("auto", "tensorflow", "ucr", "csv", "npy")

_TF = LabelColumn(first=False, allowed="1 (normal) or 0 (abnormal)")
_UCR = LabelColumn(first=True, allowed="1 (normal), 2, 3, 4 or 5 (abnormal)")
_FLOAT32_MAX = float(np.finfo(np.float32).max)


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
    layout = _layout_from_name(raw) if layout == "auto" else layout
    head: Head | None = None
    if layout == "npy":
        x, y, classes = _read_npy(raw), None, None
    else:
        head = sniff(raw)
        if layout == "csv?":
            layout = _labelled_or_not(head, seq_len)
        x, y, classes = _read_text(head, layout)
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
    separator, header_line = (head.separator, head.header_line) if head else (None, None)
    return Beats(x, y, classes, path, layout, separator, header_line)


def _layout_from_name(raw: RawFile) -> str:
    """The layout an extension means; ``"csv?"`` where the column count must decide."""
    layout = {".npy": "npy", ".txt": "ucr", ".tsv": "ucr", ".csv": "csv?"}.get(raw.suffix)
    if layout is None:
        shown = f"its name {raw.name!r}" if raw.name != Path(raw.where).name else "its extension"
        msg = (
            f"cannot tell the layout of {raw.where} from {shown} ({raw.suffix or 'no extension'!r}"
            f"); pass the layout explicitly, one of {', '.join(LAYOUTS[1:])}."
        )
        raise DataFormatError(msg)
    return layout


def _labelled_or_not(head: Head, seq_len: int | None) -> str:
    ncols = len(head.first_cells)
    if seq_len is None or ncols == seq_len + 1:
        return "tensorflow"
    if ncols == seq_len:
        return "csv"
    msg = (
        f"{head.where}, line {head.first_line}: {ncols} columns, but beats of {seq_len} values "
        f"need {seq_len + 1} (TensorFlow layout: the values, then the label) or {seq_len} (values "
        "only). Use a file made for this model, or set the sequence length to match the file."
    )
    raise DataFormatError(msg)


def _read_text(head: Head, layout: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    label = {"tensorflow": _TF, "ucr": _UCR}.get(layout)
    values = parse(head, label=label)
    if label is None:
        return _to_float32(values, head, first_col=1), None, None
    if values.shape[1] < 2:
        msg = (
            f"{head.where}, line {head.first_line}: one column per line, but the {layout} layout "
            "needs a label and at least one value. For beats without labels use layout 'csv'."
        )
        raise DataFormatError(msg)
    if label.first:
        codes, values, col = values[:, 0], values[:, 1:], 1
        ok = np.isin(codes, labels.UCR_CLASSES)
        hint = "If the label is the last column use layout 'tensorflow'."
    else:
        codes, values, col = values[:, -1], values[:, :-1], values.shape[1]
        ok = (codes == labels.TF_NORMAL_CODE) | (codes == labels.TF_ABNORMAL_CODE)
        hint = "If this file has no label column use layout 'csv'; if the class is first, 'ucr'."
    if not ok.all():
        row = int(np.argmin(ok))
        msg = (
            f"{head.where}, line {head.line_of(row)}, column {col} (the label): {codes[row]:g} is "
            f"not a {layout} label; allowed are {label.allowed}. {hint}"
        )
        raise DataFormatError(msg)
    codes = codes.astype(np.int64)
    x = _to_float32(values, head, first_col=2 if label.first else 1)
    if label.first:
        y = np.where(codes == labels.UCR_NORMAL_CLASS, labels.NORMAL, labels.ABNORMAL)
        return x, y.astype(np.int64), codes
    y = np.where(codes == labels.TF_NORMAL_CODE, labels.NORMAL, labels.ABNORMAL)
    return x, y.astype(np.int64), None


def _to_float32(values: np.ndarray, head: Head, first_col: int) -> np.ndarray:
    """Cast to float32, naming the file's line and column of a value beyond its range."""
    with np.errstate(over="ignore"):
        x = np.ascontiguousarray(values, dtype=np.float32)
    finite = np.isfinite(x)
    if finite.all():
        return x
    row, step = (int(i) for i in np.argwhere(~finite)[0])
    msg = (
        f"{head.where}, line {head.line_of(row)}, column {first_col + step}: "
        f"{values[row, step]:g} is too large for float32, the type beats are kept in (largest "
        f"±{_FLOAT32_MAX:.1e}); {int((~finite).sum())} value(s) in all are. Rescale the data "
        "(e.g. to millivolts) or fix those values."
    )
    raise DataFormatError(msg)


def _read_npy(raw: RawFile) -> np.ndarray:
    arr = load_npy(raw)
    if arr.ndim not in (1, 2) or arr.size == 0:
        msg = (
            f"{raw.where} holds an array of shape {arr.shape}; expected (beats, time steps), or "
            "one beat as a 1-D array, with at least one value."
        )
        raise DataFormatError(msg)
    arr = arr.reshape(1, -1) if arr.ndim == 1 else arr
    check_finite(arr, raw.where)
    with np.errstate(over="ignore"):
        x = np.ascontiguousarray(arr, dtype=np.float32)
    check_finite(x, f"{raw.where} (as float32)")  # values beyond ±3.4e38 overflow to inf
    return x
