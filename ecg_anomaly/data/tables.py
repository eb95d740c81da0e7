"""Read a table of numbers from a text file: pandas parses, a check pass names what is wrong.

One reader serves the beat files (:mod:`ecg_anomaly.data.beatfiles`) and the recordings' text
files (:mod:`ecg_anomaly.recordings.formats`), in three steps:

1. :func:`read_raw` unpacks ``.gz``, ``.bz2``, ``.xz`` and one-file ``.zip`` archives; the name
   left without the compression suffix (``ecg.csv.gz`` -> ``ecg.csv``), or the zip member's,
   is what tells the layout.
2. :func:`sniff` decodes the text (UTF-8, or UTF-16 with a byte-order mark; bytes that are not
   UTF-8 are kept as lone surrogates so that a message can name them) and reads the first lines,
   guessing nothing: the separator (``,``, ``;``, a tab, or runs of spaces) must be the same on
   each of them (decimal commas between ``;`` are refused, saying so), and line 1 is a header
   only when every cell is a name, or when it is the column numbers ``0, 1, 2, ...`` (pandas'
   names for unnamed columns, with at most one ``label``/``class``/``target`` at either end)
   above a data line of the same width.
3. :func:`parse` reads the numbers with :func:`pandas.read_csv`. Only where that fails, or gives
   a value that is not finite, does a pure-Python pass read the lines concerned, to name the
   first bad line and column (1-based, as an editor counts them), what is there and the fix.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import math
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import numpy as np

from ecg_anomaly.errors import DataFormatError, DataNotFoundError

#: Compression suffixes read transparently, and the format each one means.
COMPRESSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip"}
#: Suffixes of the data files themselves (before any compression suffix).
DATA_SUFFIXES = (".csv", ".txt", ".tsv", ".npy")
#: The separator value meaning "runs of spaces or tabs".
WHITESPACE = " "
SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tabs", WHITESPACE: "spaces"}
#: Names a header may give the label column beside the column numbers ``0, 1, 2, ...``.
LABEL_NAMES = frozenset({"label", "labels", "class", "target", "y"})
_MAGIC = {"gzip": b"\x1f\x8b", "bzip2": b"BZh", "xz": b"\xfd7zXZ\x00", "zip": b"PK\x03\x04"}
_UNPACK = {"gzip": gzip.decompress, "bzip2": bz2.decompress, "xz": lzma.decompress}
# What the decompressors raise on damaged or cut-short data.
_DAMAGED = (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error, zipfile.BadZipFile)
# ASCII digits only: float() also reads other scripts' digits, pandas' C reader does not.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d+,\d+(?:[eE][+-]?\d+)?\s*", re.ASCII)


class RawFile(NamedTuple):
    """A data file's bytes, unpacked: ``name`` tells the layout, ``where`` names it in messages."""

    data: bytes
    name: str
    where: str

    @property
    def suffix(self) -> str:
        """The lower-case data suffix (``.csv``, ``.txt``, ...), or "" if there is none."""
        return PurePosixPath(self.name).suffix.lower()


class LabelColumn(NamedTuple):
    """Where a layout keeps its label (first column, else last) and the labels allowed, in words."""

    first: bool
    allowed: str


@dataclass(frozen=True, eq=False)
class Head:
    """What the first lines of a text file say about the rest (found by :func:`sniff`).

    Attributes:
        where: How messages name the file.
        text: The whole text, with newline line endings.
        separator: ``","``, ``";"``, a tab, or :data:`WHITESPACE` for runs of spaces.
        names: The header's cells (spaces and quotes stripped), or None without a header.
        header_line: The 1-based line number of the header, or None.
        first_line: The 1-based line number of the first data line.
        first_cells: The cells of the first data line (a separator at its end dropped).
        trailing: The first data line ends with a separator.
    """

    where: str
    text: str = field(repr=False)
    separator: str
    names: tuple[str, ...] | None
    header_line: int | None
    first_line: int
    first_cells: list[str] = field(repr=False)
    trailing: bool

    def data_lines(self) -> Iterator[tuple[int, str]]:
        """``(1-based line number, line)`` of each non-blank line from the first data line on."""
        for lineno, line in enumerate(self.text.split("\n"), 1):
            if lineno >= self.first_line and line.strip():
                yield lineno, line

    def line_of(self, row: int) -> int:
        """The 1-based line number in the file of data row ``row`` (0-based)."""
        return next(islice(self.data_lines(), row, None))[0]


def read_raw(path: Path) -> RawFile:
    """Read a file's bytes, unpacking a ``.gz``, ``.bz2``, ``.xz`` or one-member ``.zip``.

    Raises:
        DataNotFoundError: The path does not exist, is a directory or cannot be read.
        DataFormatError: The file is empty, damaged, or compressed under a plain name.
    """
    data = _read_bytes(path)
    kind = COMPRESSIONS.get(path.suffix.lower())
    if kind is None:
        for other, magic in _MAGIC.items():
            if data.startswith(magic) and (other != "bzip2" or data[4:10] == b"1AY&SY"):
                ext = next(s for s, k in COMPRESSIONS.items() if k == other)
                msg = (
                    f"{path} is {other}-compressed data, but its name does not end in {ext}. "
                    f"Rename it to {path.name}{ext} (it is then unpacked when read), or unpack it."
                )
                raise DataFormatError(msg)
        return RawFile(data, path.name, str(path))
    try:
        name, unpacked = _unzip(data, path) if kind == "zip" else (path.stem, _UNPACK[kind](data))
    except DataFormatError:
        raise
    except (RuntimeError, NotImplementedError) as err:  # an encrypted zip, an unknown method
        msg = f"{path}: cannot unpack it here ({err}). Unpack it yourself and pass the file."
        raise DataFormatError(msg) from None
    except _DAMAGED as err:
        msg = (
            f"{path} is not a complete {kind} file ({err}): it is damaged, cut short, or not "
            f"{kind}-compressed despite its name. Download or compress it again."
        )
        raise DataFormatError(msg) from None
    where = f"{path} (member {name})" if kind == "zip" else str(path)
    if not unpacked:
        msg = f"{where} unpacks to nothing: it holds no data. Compress the data file again."
        raise DataFormatError(msg)
    return RawFile(unpacked, name, where)


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        found = sorted(p.name for p in path.iterdir() if _is_data_name(p.name))
        hint = f" (it holds: {', '.join(found[:5])})" if found else ""
        msg = f"{path} is a directory, not a file; pass a data file inside it{hint}."
        raise DataNotFoundError(msg)
    if not path.is_file():
        msg = (
            f"data file not found: {path} (relative paths start from {Path.cwd()}). Check the "
            "path, or give an absolute one."
        )
        raise DataNotFoundError(msg)
    try:
        data = path.read_bytes()
    except OSError as err:
        msg = (
            f"cannot read {path}: {err.strerror or err}. Check that you may read it "
            f"(ls -l {path}) and that it is a regular file."
        )
        raise DataNotFoundError(msg) from None
    if not data:
        msg = f"{path} is empty: it holds no data. Download it again or use another file."
        raise DataFormatError(msg)
    return data


def _is_data_name(name: str) -> bool:
    path = PurePosixPath(name.lower())
    inner = PurePosixPath(path.stem).suffix if path.suffix in COMPRESSIONS else path.suffix
    return path.suffix == ".zip" or inner in DATA_SUFFIXES


def _unzip(data: bytes, path: Path) -> tuple[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = [i.filename for i in zf.infolist() if not i.is_dir()]
        # what archivers add beside the data: macOS resource forks, .DS_Store
        members = [f for f in files if not f.startswith("__MACOSX/")]
        members = [f for f in members if not PurePosixPath(f).name.startswith(".")]
        if len(members) == 1:
            return members[0], zf.read(members[0])
    more = f" and {len(files) - 10} more" if len(files) > 10 else ""
    msg = (
        f"{path} holds {len(members)} data files ({', '.join(files[:10]) or 'nothing'}{more}), "
        "but exactly one is needed to read it directly. Unpack it (unzip) and pass the one "
        "file to use."
    )
    raise DataFormatError(msg)


def decode(raw: RawFile) -> str:
    """The text, with every line ending made a newline; non-UTF-8 bytes kept as surrogates.

    Raises:
        DataFormatError: The bytes are binary (NUL bytes) or broken UTF-16, naming the line.
    """
    data = raw.data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as err:
            line = data.count(b"\n", 0, err.start) + 1
            msg = (
                f"{raw.where}, line {line}: broken UTF-16 text ({err.reason} at byte "
                f"{err.start}). Save the file again, preferably as UTF-8 CSV."
            )
            raise DataFormatError(msg) from None
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            line, column = data.count(b"\n", 0, nul) + 1, nul - data.rfind(b"\n", 0, nul)
            msg = (
                f"{raw.where}, line {line}, character {column}: a NUL byte. This is not a text "
                "file (binary "
                "data, or UTF-16 text without a byte-order mark). Save the data as UTF-8 text "
                "(CSV), or as a .npy array with numpy.save."
            )
            raise DataFormatError(msg)
        text = data.decode("utf-8-sig", errors="surrogateescape")
    if "\r" not in text:  # the common case; str.replace is slow even with nothing to replace
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_npy(raw: RawFile) -> np.ndarray:
    """The array of a ``.npy`` file's bytes: numbers (int or float) of any shape.

    Raises:
        DataFormatError: Not a ``.npy`` array (an ``.npz`` archive, pickled objects, other
            bytes), or not numbers.
    """
    try:
        arr = np.load(io.BytesIO(raw.data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        msg = (
            f"{raw.where} is not a readable .npy array ({err}). Save the data with "
            "numpy.save(path, array) as one float array."
        )
        raise DataFormatError(msg) from None
    if not isinstance(arr, np.ndarray):  # an .npz archive
        arr.close()
        msg = f"{raw.where} is an .npz archive; save a single array with numpy.save instead."
        raise DataFormatError(msg)
    if arr.dtype.kind not in "iuf":
        msg = f"{raw.where} holds an array of dtype {arr.dtype}; expected numbers (float or int)."
        raise DataFormatError(msg)
    return arr


def sniff(raw: RawFile) -> Head:
    """Decode the text and find its separator and whether line 1 is a header.

    Raises:
        DataFormatError: Not text, no data lines, separators that differ or mix, comment lines,
            a pandas row index, or a header only.
    """
    text, where = decode(raw), raw.where
    sample = _first_lines(text, 5)
    if not sample:
        msg = f"{where} is empty (only blank lines): it holds no data."
        raise DataFormatError(msg)
    comment = next((n for n, line in sample if line.lstrip().startswith("#")), 0)
    if comment:
        msg = (
            f"{where}, line {comment}, column 1 starts with '#': comment lines are not read. "
            "Remove them first, e.g. grep -v '^#' in.csv > out.csv."
        )
        raise DataFormatError(msg)
    sep = _separator(sample, where)
    (lineno, line), rows = sample[0], [split_cells(s, sep) for _, s in sample[:2]]
    cells = rows[0]
    if len(cells) > 2 and not cells[0].strip() and _is_column_numbers(cells[1:]):
        msg = (
            f"{where}, line {lineno}, column 1 is empty and the other cells are the column "
            "numbers 0, 1, 2, ...: this looks like a table saved by pandas with its row index. "
            "Save it again with DataFrame.to_csv(path, index=False), or delete line "
            f"{lineno} and the first column."
        )
        raise DataFormatError(msg)
    is_header = all(c.strip() and not is_value(c) for c in cells) or (
        _is_column_numbers(cells)
        and len(rows) > 1
        and len(rows[1]) == len(cells)
        and not _is_column_numbers(rows[1])
    )
    if not is_header:
        return Head(where, text, sep, None, None, lineno, cells, _ends_with(line, sep))
    if len(sample) == 1:
        msg = f"{where} has only a header row (line {lineno}) and no data."
        raise DataFormatError(msg)
    names = tuple(c.strip().strip("'\"").strip() for c in cells)
    first, data = sample[1]
    return Head(where, text, sep, names, lineno, first, rows[1], _ends_with(data, sep))


def split_cells(line: str, sep: str) -> list[str]:
    """The cells of one line; one separator at the end of the line is dropped."""
    if sep == WHITESPACE:
        return line.split()
    cells = line.split(sep)
    if len(cells) > 1 and not cells[-1].strip():
        cells.pop()
    return cells


def is_value(cell: str) -> bool:
    """Whether ``cell`` is a number (ASCII decimal, as pandas reads it), NaN or infinity."""
    text = cell.strip()
    return bool(_NUMBER.fullmatch(text) or _NONFINITE.fullmatch(text))


def _ends_with(line: str, sep: str) -> bool:
    return sep != WHITESPACE and line.rstrip().endswith(sep)


def _first_lines(text: str, n: int) -> list[tuple[int, str]]:
    """The first ``n`` non-blank lines as ``(1-based line number, text)``."""
    found: list[tuple[int, str]] = []
    pos, lineno = 0, 0
    while pos <= len(text) and len(found) < n:
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        lineno += 1
        if text[pos:end].strip():
            found.append((lineno, text[pos:end]))
        pos = end + 1
    return found


def _is_column_numbers(cells: list[str]) -> bool:
    """``0,1,2,...``, optionally with one label name (``label``, ``class``...) at either end."""
    names = [c.strip() for c in cells]
    if names and names[0].lower() in LABEL_NAMES:
        names = names[1:]
    elif names and names[-1].lower() in LABEL_NAMES:
        names = names[:-1]
    return len(names) >= 2 and names == [str(i) for i in range(len(names))]


def _separator(sample: list[tuple[int, str]], where: str) -> str:
    seen = [(lineno, line, [c for c in (",", ";", "\t") if c in line]) for lineno, line in sample]
    used = {c for *_, s in seen for c in s}
    if len(used) > 1:
        raise _mixed(seen, where)
    if not used:
        return WHITESPACE
    sep = used.pop()
    first = next(lineno for lineno, _, s in seen if s)
    for lineno, line, s in seen:
        if not s and len(line.split()) > 1:
            msg = (
                f"{where}, line {lineno}: the values are separated by spaces, but line {first} "
                f"separates them by {SEPARATOR_NAMES[sep]}. Use one separator in the whole file."
            )
            raise DataFormatError(msg)
    return sep


def _mixed(seen: list[tuple[int, str, list[str]]], where: str) -> DataFormatError:
    for lineno, line, s in seen:
        for outer in (o for o in (";", "\t") if o in s and "," in s):
            cells = line.split(outer)
            col = next((i for i, c in enumerate(cells, 1) if _DECIMAL_COMMA.fullmatch(c)), 0)
            if col:
                cell = cells[col - 1].strip()
                return DataFormatError(
                    f"{where}, line {lineno}, column {col}: {cell!r} looks like a number with a "
                    f"decimal comma ({cell.replace(',', '.')}), between values separated by "
                    f"{SEPARATOR_NAMES[outer]}. Only '.' is read as the decimal point: convert "
                    "the file, e.g. sed 's/,/./g' in.csv > out.csv, or export it again with '.' "
                    "as the decimal separator."
                )
    for lineno, line, s in (x for x in seen if len(x[2]) > 1):
        names = " and ".join(SEPARATOR_NAMES[c] for c in s)
        each = ", ".join(f"{SEPARATOR_NAMES[c]} first at character {line.index(c) + 1}" for c in s)
        return DataFormatError(
            f"{where}, line {lineno} holds both {names} ({each}). A file must separate its "
            "values by one of ',', ';', tabs or spaces; use one of them throughout."
        )
    lines = "; ".join(
        f"line {lineno} by {SEPARATOR_NAMES[s[0]]} (first at character {line.index(s[0]) + 1})"
        for lineno, line, s in seen
        if s
    )
    return DataFormatError(
        f"{where}: the first lines separate their values by different separators ({lines}). "
        "Use one separator (',', ';', tabs or spaces) throughout the file."
    )


def parse(
    head: Head,
    *,
    columns: list[int] | None = None,
    label: LabelColumn | None = None,
    missing_ok: bool = False,
) -> np.ndarray:
    """Read the data lines into numbers.

    Args:
        head: What :func:`sniff` found.
        columns: The 0-based columns to read (the others may hold anything); None: all.
        label: Where the layout keeps its label, for messages; None if it has none.
        missing_ok: Empty cells and NaN are missing values (NaN in the result), not errors.

    Returns:
        float64 of shape ``(rows, columns)``, finite except for missing values.

    Raises:
        DataFormatError: Naming the first bad line and column: a cell that is empty, not a
            number, NaN or infinite, or a line with another number of values than the first.
    """
    check = _Check(head, label, missing_ok, columns)
    values = _fast(head, columns)
    if values is None:
        return np.array([check.row(*line) for line in head.data_lines()], dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
    if len(bad):
        lines = list(head.data_lines())
        if len(lines) != len(values):  # pandas kept a line the check pass skips, or vice versa
            return np.array([check.row(*line) for line in lines], dtype=np.float64)
        values = np.array(values)  # pandas' array may be read-only
        for row in bad:
            values[row] = check.row(*lines[row])
    return values


def _fast(head: Head, columns: list[int] | None) -> np.ndarray | None:
    """The numbers as pandas' C reader reads them; None when anything is off."""
    import pandas as pd

    sep, body = head.separator, head.text
    if head.first_line > 1:
        body = body[_offset(body, head.first_line) :]
    if head.trailing:
        # One separator at the end of each line is dropped. A line of only a separator is an
        # empty cell, which the check pass names.
        if body.startswith(sep + "\n") or f"\n{sep}\n" in body or body.endswith("\n" + sep):
            return None
        body = body.replace(sep + "\n", "\n").removesuffix(sep)
    try:
        values = pd.read_csv(
            io.StringIO(body),
            sep=r"\s+" if sep == WHITESPACE else sep,
            header=None,
            usecols=columns,
            dtype=np.float64,
            quoting=csv.QUOTE_NONE,  # a quoted number is an error the check pass explains
            skipinitialspace=True,
            engine="c",
        ).to_numpy()
    except Exception:  # whatever pandas objects to, the check pass names it
        return None
    width = len(head.first_cells) if columns is None else len(columns)
    return values if values.shape[1] == width else None


def _offset(text: str, lineno: int) -> int:
    """Where 1-based line ``lineno`` starts in ``text``."""
    pos = 0
    for _ in range(lineno - 1):
        pos = text.index("\n", pos) + 1
    return pos


class _Check:
    """The pure-Python pass over one line: its numbers, or an error naming the bad cell."""

    def __init__(
        self, head: Head, label: LabelColumn | None, missing_ok: bool, columns: list[int] | None
    ) -> None:
        self.head, self.label, self.missing_ok = head, label, missing_ok
        self.ncols = len(head.first_cells)
        self.columns = list(range(self.ncols)) if columns is None else columns
        self.sep_name = SEPARATOR_NAMES[head.separator]

    def row(self, lineno: int, line: str) -> list[float]:
        cells = split_cells(line, self.head.separator)
        if len(cells) != self.ncols:
            raise self._ragged(lineno, line, len(cells))
        return [self._cell(cells[i], lineno, i + 1) for i in self.columns]

    def _ragged(self, lineno: int, line: str, n: int) -> DataFormatError:
        col, what = (n + 1, "missing") if n < self.ncols else (self.ncols + 1, "one too many")
        hint = ""
        if n == 1 and self.head.separator != WHITESPACE and len(line.split()) > 1:
            hint = f" Line {lineno} separates its values by spaces, not {self.sep_name}."
        return DataFormatError(
            f"{self.head.where}, line {lineno}: {n} values, but line {self.head.first_line} (the "
            f"first data line) has {self.ncols}; column {col} is {what}.{hint} Every line must have "
            f"the same number of values; fix or remove line {lineno}."
        )

    def _is_label(self, col: int) -> bool:
        return self.label is not None and col == (1 if self.label.first else self.ncols)

    def _cell(self, cell: str, lineno: int, col: int) -> float:
        at = f"{self.head.where}, line {lineno}, column {col}"
        at += " (the label)" if self._is_label(col) else ""
        text = cell.strip()
        if self.missing_ok and (not text or _NONFINITE.fullmatch(text) or text.lower() == "na"):
            return math.nan
        if not text:
            why = "a separator at the start of the line" if col == 1 else "two separators in a row"
            msg = f"{at} is empty ({why}). Fill in the value or remove line {lineno}."
            raise DataFormatError(msg)
        # float() also reads "1_0" and other scripts' digits, pandas does not; with those
        # excluded it accepts exactly what is_value does.
        value = float(text) if text.isascii() and "_" not in text and is_value(text) else None
        if value is None:
            raw = _bad_bytes(text)
            shown = repr(text[:40].encode(errors="surrogateescape"))[1:] if raw else ""
            why = self._why_not(text, lineno, col)
            msg = f"{at}: {shown or repr(text[:40])} is not a number. {why}"
            raise DataFormatError(msg)
        if not math.isfinite(value):
            what = "NaN or infinite" if _NONFINITE.fullmatch(text) else "too large for a float"
            msg = (
                f"{at}: the value is {text!r} ({what}). Replace it with a number or remove "
                f"line {lineno}."
            )
            raise DataFormatError(msg)
        return value

    def _why_not(self, text: str, lineno: int, col: int) -> str:
        raw = _bad_bytes(text)
        if raw:
            return (
                f"It holds the byte(s) {raw.hex(' ')} (hex), which are not UTF-8: the file is "
                "probably Latin-1 or Windows-1252 text. Save it as UTF-8, e.g. iconv -f latin1 "
                "-t utf-8 in.csv > out.csv."
            )
        hints = []
        if text[0] in "'\"" and text[-1] == text[0] and is_value(text[1:-1]):
            hints.append("Numbers must not be quoted; save the file without quotes.")
        if text.startswith("#"):
            hints.append("Comment lines are not read; remove them.")
        if self._is_label(col) and self.label is not None:
            hints.append(f"Labels must be numbers: {self.label.allowed}.")
        others = [n for s, n in SEPARATOR_NAMES.items() if s in text and s != WHITESPACE]
        if others or (self.head.separator != WHITESPACE and len(text.split()) > 1):
            found = " and ".join(others) or "spaces"
            hints.append(
                f"It holds {found}, but this file separates its values by {self.sep_name}."
            )
        cells = self.head.first_cells
        num = next((i for i, c in enumerate(cells, 1) if is_value(c)), 0)
        if lineno == self.head.first_line and self.head.header_line is None and num:
            hints.append(
                f"Line {lineno} is read as data, not as a header, because it also holds numbers "
                f"(column {num}: {cells[num - 1].strip()!r}); a header holds only names (or the "
                "column numbers 0, 1, 2, ...). If it is a header, make every cell a name."
            )
        return " ".join([*hints, f"Fix or remove line {lineno}."])


def _bad_bytes(cell: str) -> bytes:
    """The bytes of ``cell`` that were not UTF-8 (kept as surrogates by :func:`decode`)."""
    return bytes(ord(c) - 0xDC00 for c in cell if "\udc80" <= c <= "\udcff")
