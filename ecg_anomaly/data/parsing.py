"""Read heartbeat files into arrays, with errors that point at the exact bad cell.

Four layouts are understood (see :data:`LAYOUTS`): the TensorFlow tutorial's ``ecg.csv``
(values, then a ``1``/``0`` label), the UCR archive's ``ECG5000_TRAIN.txt``/``.tsv`` (class
1-5, then values), label-less ``.csv`` beats and ``.npy`` arrays. The good case is parsed by
NumPy's C reader; only when that fails, or finds NaN or infinite values, does a slow pure-Python
pass run to name the first bad line and column.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecg_anomaly.data import labels
from ecg_anomaly.data.errors import DataFormatError, DataNotFoundError

LAYOUTS = ("auto", "tensorflow", "ucr", "csv", "npy")
_SUFFIXES = (".csv", ".txt", ".tsv", ".npy")

_TF_ALLOWED = "1 (normal) or 0 (abnormal)"
_UCR_ALLOWED = "1 (normal), 2, 3, 4 or 5 (abnormal)"


@dataclass(frozen=True, eq=False)
class Beats:
    """Beats read from one file, with labels in the package convention.

    Attributes:
        x: The beats, float32 of shape ``(n, seq_len)``.
        y: ``labels.NORMAL``/``labels.ABNORMAL`` per beat (int64), or None if the file has none.
        classes: The original UCR class codes 1-5 (int64) where the file has them, else None.
        path: The file the beats were read from.
        layout: The layout actually used (never ``"auto"``).
    """

    x: np.ndarray = field(repr=False)
    y: np.ndarray | None = field(repr=False)
    classes: np.ndarray | None = field(repr=False)
    path: Path
    layout: str

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
        path: The file (``~`` is expanded).
        layout: One of :data:`LAYOUTS`. ``"auto"`` picks by extension: ``.npy`` -> npy,
            ``.txt``/``.tsv`` -> ucr, ``.csv`` -> tensorflow, or csv when the file has exactly
            ``seq_len`` columns. A header row (any non-numeric cell in the first line) is skipped.
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
    path = _check_file(Path(path).expanduser())
    if layout == "auto":
        layout = _detect_layout(path, seq_len)
    if layout == "npy":
        x, y, classes = _read_npy(path), None, None
    else:
        x, y, classes = _read_text(path, layout)
    if require_labels and y is None:
        msg = (
            f"{path} has no labels (read as layout {layout!r}), but labels are needed here. Use a "
            "file in the TensorFlow layout (values, then the label 1 = normal / 0 = abnormal) or "
            "the UCR layout (the class 1-5 first, then the values)."
        )
        raise DataFormatError(msg)
    if seq_len is not None and x.shape[1] != seq_len:
        msg = (
            f"beats in {path} have {x.shape[1]} values but the model expects {seq_len}. Use a file "
            f"whose beats have {seq_len} values, or a model made for {x.shape[1]}-value beats."
        )
        raise DataFormatError(msg)
    return Beats(x=x, y=y, classes=classes, path=path, layout=layout)


def _check_file(path: Path) -> Path:
    if path.is_dir():
        found = sorted(p.name for p in path.iterdir() if p.suffix in _SUFFIXES)
        hint = f" (it holds: {', '.join(found[:5])})" if found else ""
        msg = f"{path} is a directory, not a file; pass a data file inside it{hint}."
        raise DataNotFoundError(msg)
    if not path.is_file():
        msg = (
            f"data file not found: {path} (relative paths start from {Path.cwd()}). Check the "
            "path, or give an absolute one."
        )
        raise DataNotFoundError(msg)
    if path.stat().st_size == 0:
        msg = f"{path} is empty: it holds no beats. Download it again or use another file."
        raise DataFormatError(msg)
    return path


def _peek(path: Path, n: int) -> list[tuple[int, str]]:
    """The first ``n`` non-blank lines as ``(1-based line number, text)``."""
    found: list[tuple[int, str]] = []
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    found.append((lineno, line.rstrip("\n")))
                    if len(found) == n:
                        break
    except OSError as err:
        msg = f"cannot read {path}: {err.strerror or err}"
        raise DataNotFoundError(msg) from err
    return found


def _is_number(cell: str) -> bool:
    if "_" in cell:  # float() accepts "1_0"; NumPy's reader does not
        return False
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _split(text: str, sep: str | None) -> list[str]:
    return text.split() if sep is None else text.split(sep)


def _head(path: Path) -> tuple[str | None, int, list[tuple[int, str]]]:
    """The separator, the lines to skip (a header), and the first data lines."""
    lines = _peek(path, 3)
    if not lines:
        msg = f"{path} is empty (only blank lines): it holds no beats."
        raise DataFormatError(msg)
    sep = "," if "," in lines[0][1] else "\t" if path.suffix.lower() == ".tsv" else None
    first = [c.strip() for c in _split(lines[0][1], sep)]
    header = not all(_is_number(c) for c in first) or first == [str(i) for i in range(len(first))]
    if not header:
        return sep, 0, lines
    if len(lines) == 1:
        msg = f"{path} has only a header row (line {lines[0][0]}) and no beats."
        raise DataFormatError(msg)
    return sep, lines[0][0], lines[1:]


def _detect_layout(path: Path, seq_len: int | None) -> str:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return "npy"
    if suffix in (".txt", ".tsv"):
        return "ucr"
    if suffix != ".csv":
        msg = (
            f"cannot tell the layout of {path} from its extension {suffix!r}; pass the layout "
            f"explicitly, one of {', '.join(LAYOUTS[1:])}."
        )
        raise DataFormatError(msg)
    if seq_len is None:
        return "tensorflow"
    sep, _, lines = _head(path)
    lineno, text = lines[0]
    ncols = len(_split(text, sep))
    if ncols == seq_len + 1:
        return "tensorflow"
    if ncols == seq_len:
        return "csv"
    msg = (
        f"{path}, line {lineno}: {ncols} columns, but beats of {seq_len} values need "
        f"{seq_len + 1} (TensorFlow layout: the values, then the label) or {seq_len} (values "
        "only). Use a file made for this model, or set the sequence length to match the file."
    )
    raise DataFormatError(msg)


def _read_text(path: Path, layout: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    sep, skip, _ = _head(path)
    table = _fast_table(path, sep, skip)
    if table is None:
        table = _slow_table(path, sep, skip)
    if layout == "csv":
        return _to_float32(table, path), None, None
    if table.shape[1] < 2:
        msg = (
            f"{path} has one column per line, but the {layout} layout needs a label and at least "
            "one value. For beats without labels use layout 'csv'."
        )
        raise DataFormatError(msg)
    if layout == "tensorflow":
        codes, values, col, allowed = table[:, -1], table[:, :-1], table.shape[1], _TF_ALLOWED
        ok = (codes == labels.TF_NORMAL_CODE) | (codes == labels.TF_ABNORMAL_CODE)
        hint = "If this file has no label column use layout 'csv'; if the class is first, 'ucr'."
    else:
        codes, values, col, allowed = table[:, 0], table[:, 1:], 1, _UCR_ALLOWED
        ok = np.isin(codes, labels.UCR_CLASSES)
        hint = "If the label is the last column use layout 'tensorflow'."
    if not ok.all():
        row = int(np.argmin(ok))
        lineno = _data_line_numbers(path, skip)[row]
        msg = (
            f"{path}, line {lineno}, column {col} (the label): {codes[row]:g} is not a {layout} "
            f"label; allowed are {allowed}. {hint}"
        )
        raise DataFormatError(msg)
    codes = codes.astype(np.int64)
    if layout == "tensorflow":
        y = np.where(codes == labels.TF_NORMAL_CODE, labels.NORMAL, labels.ABNORMAL)
        return _to_float32(values, path), y.astype(np.int64), None
    y = np.where(codes == labels.UCR_NORMAL_CLASS, labels.NORMAL, labels.ABNORMAL)
    return _to_float32(values, path), y.astype(np.int64), codes


def _fast_table(path: Path, sep: str | None, skip: int) -> np.ndarray | None:
    """Parse with NumPy's C reader; None when anything is off (the slow pass then explains)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data"
            table = np.loadtxt(
                path,
                dtype=np.float64,
                delimiter=sep,
                skiprows=skip,
                comments=None,
                ndmin=2,
                encoding="utf-8-sig",
            )
    except (ValueError, UnicodeError, OSError):
        return None
    if table.size == 0 or not np.isfinite(table).all():
        return None
    return table


def _slow_table(path: Path, sep: str | None, skip: int) -> np.ndarray:
    """Parse in pure Python, raising at the first bad line, column or cell."""
    rows: list[list[float]] = []
    ncols, first = 0, 0
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.rstrip("\n")
            if lineno <= skip or not text.strip():
                continue
            cells = _split(text, sep)
            if not rows:
                ncols, first = len(cells), lineno
            elif len(cells) != ncols:
                msg = (
                    f"{path}, line {lineno}: {len(cells)} values, but line {first} (the first "
                    f"beat) has {ncols}. Every line must have the same number of values; fix or "
                    f"remove line {lineno}."
                )
                raise DataFormatError(msg)
            rows.append([_cell(cell, path, lineno, col) for col, cell in enumerate(cells, 1)])
    if not rows:
        msg = f"{path} holds no beats after its header row."
        raise DataFormatError(msg)
    return np.asarray(rows, dtype=np.float64)


def _cell(cell: str, path: Path, lineno: int, col: int) -> float:
    where = f"{path}, line {lineno}, column {col}"
    if not cell.strip():
        msg = (
            f"{where} is empty (two separators in a row, or one at the end of the line). Fill in "
            f"the value or remove line {lineno}."
        )
        raise DataFormatError(msg)
    if not _is_number(cell):
        msg = (
            f"{where}: {cell.strip()[:40]!r} is not a number. Every cell after an optional header "
            f"row must be a number; fix or remove line {lineno}."
        )
        raise DataFormatError(msg)
    value = float(cell)
    if not math.isfinite(value):
        msg = (
            f"{where}: the value is {cell.strip()!r} (NaN or infinite). Replace it with a number "
            f"or remove line {lineno}."
        )
        raise DataFormatError(msg)
    return value


def _data_line_numbers(path: Path, skip: int) -> list[int]:
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        return [n for n, line in enumerate(fh, 1) if n > skip and line.strip()]


def _to_float32(values: np.ndarray, path: Path) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = np.ascontiguousarray(values, dtype=np.float32)
    check_finite(x, f"{path} (as float32)")  # values beyond ±3.4e38 overflow to inf
    return x


def _read_npy(path: Path) -> np.ndarray:
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        msg = (
            f"{path} is not a readable .npy array ({err}). Save the beats with "
            "numpy.save(path, beats) as a float array of shape (n, time steps)."
        )
        raise DataFormatError(msg) from None
    if not isinstance(arr, np.ndarray):  # an .npz archive
        arr.close()
        msg = f"{path} is an .npz archive; save a single array with numpy.save instead."
        raise DataFormatError(msg)
    if arr.dtype.kind not in "iuf":
        msg = f"{path} holds an array of dtype {arr.dtype}; expected numbers (float or int)."
        raise DataFormatError(msg)
    if arr.ndim not in (1, 2) or arr.size == 0:
        msg = (
            f"{path} holds an array of shape {arr.shape}; expected (beats, time steps), or one "
            "beat as a 1-D array, with at least one value."
        )
        raise DataFormatError(msg)
    arr = arr.reshape(1, -1) if arr.ndim == 1 else arr
    check_finite(arr, str(path))
    return _to_float32(arr, path)
