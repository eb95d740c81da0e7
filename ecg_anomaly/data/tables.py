"""Read a table of numbers from text: pandas parses, a check pass names what is wrong.

One reader serves the beat files (:mod:`ecg_anomaly.data.beatfiles`) and the recordings' tables
(:mod:`ecg_anomaly.recordings.formats`). :func:`sniff` reads the first lines and guesses nothing:
the separator (``,``, ``;``, a tab, or runs of spaces) must be the same on each of them (decimal
commas between ``;`` are refused, saying so), and line 1 is a header only when every cell is a
name, or when it is the column numbers ``0, 1, 2, ...`` (pandas' names for unnamed columns, with
at most one ``label``/``class``/``target`` at either end) above a data line of the same width.
:func:`parse` reads the numbers with :func:`pandas.read_csv`; only where that fails, or gives a
value that is not finite, does a pure-Python pass read the lines concerned, to name the first bad
line and column (1-based, as an editor counts them), what is there and how to fix it.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import NamedTuple

import numpy as np

from ecg_anomaly.data.files import RawFile, bad_bytes, decode
from ecg_anomaly.errors import DataFormatError

#: The separator value meaning "runs of spaces or tabs".
WHITESPACE = " "
SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tabs", WHITESPACE: "spaces"}
#: Names a header may give the label column beside the column numbers ``0, 1, 2, ...``.
LABEL_NAMES = frozenset({"label", "labels", "class", "target", "y"})
# ASCII digits only: float() also reads other scripts' digits, pandas' C reader does not.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d+,\d+(?:[eE][+-]?\d+)?\s*", re.ASCII)


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
        trailing: The first data line ends with a separator (then each line may).
    """

    where: str
    text: str = field(repr=False)
    separator: str
    names: tuple[str, ...] | None
    header_line: int | None
    first_line: int
    first_cells: list[str] = field(repr=False)
    trailing: bool = False

    def data_lines(self) -> Iterator[tuple[int, str]]:
        """``(1-based line number, line)`` of each non-blank line from the first data line on."""
        lines = enumerate(self.text.split("\n")[self.first_line - 1 :], self.first_line)
        return ((n, line) for n, line in lines if line.strip())

    def line_of(self, row: int) -> int:
        """The 1-based line number in the file of data row ``row`` (0-based)."""
        return next(islice(self.data_lines(), row, None))[0]


def sniff(raw: RawFile) -> Head:
    """Decode the text and find its separator and whether line 1 is a header.

    Raises:
        DataFormatError: Not text, no data lines, separators that differ or mix, comment lines,
            a pandas row index, or a header only.
    """
    text, where = decode(raw), raw.where
    lines = ((n, line.rstrip("\n")) for n, line in enumerate(io.StringIO(text), 1))
    sample = list(islice(((n, line) for n, line in lines if line.strip()), 5))
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
    rows = [_cells(line, sep) for _, line in sample[:2]]
    lineno, cells, below = sample[0][0], rows[0], rows[1:]
    if len(cells) > 2 and not cells[0].strip() and _is_column_numbers(cells[1:]):
        msg = (
            f"{where}, line {lineno}, column 1 is empty and the other cells are the column "
            "numbers 0, 1, 2, ...: this looks like a table saved by pandas with its row index. "
            "Save it again with DataFrame.to_csv(path, index=False), or delete line "
            f"{lineno} and the first column."
        )
        raise DataFormatError(msg)
    numbered = _is_column_numbers(cells) and any(
        len(b) == len(cells) and not _is_column_numbers(b) for b in below
    )
    if not numbered and not all(c.strip() and not is_value(c) for c in cells):
        return Head(
            where, text, sep, None, None, lineno, cells, _trailing(sample[0][1], sep, cells)
        )
    if not below:
        msg = f"{where} has only a header row (line {lineno}) and no data."
        raise DataFormatError(msg)
    # bytes that are not UTF-8 (a Latin-1 "µV") become U+FFFD: a name must print and save
    raw = (c.strip().strip("'\"").strip().encode(errors="surrogateescape") for c in cells)
    names = tuple(name.decode(errors="replace") for name in raw)
    (first, line), width = sample[1], len(names)
    data = _cells(line, sep, width)  # with a header, "1.5," is 1.5 and a missing value
    return Head(where, text, sep, names, lineno, first, data, _trailing(line, sep, data))


def is_value(cell: str) -> bool:
    """Whether ``cell`` is a number (ASCII decimal, as pandas reads it), NaN or infinity."""
    text = cell.strip()
    return bool(_NUMBER.fullmatch(text) or _NONFINITE.fullmatch(text))


def _cells(line: str, sep: str, width: int | None = None) -> list[str]:
    """The cells of one line; one separator ending it is dropped (if it makes more than width)."""
    if sep == WHITESPACE:
        return line.split()
    cells = line.split(sep)
    if len(cells) > max(1, width or 0) and not cells[-1].strip():
        return cells[:-1]
    return cells


def _trailing(line: str, sep: str, cells: list[str]) -> bool:
    """Whether ``cells`` were read from ``line`` with a separator at its end dropped."""
    return sep != WHITESPACE and line.count(sep) == len(cells)


def _is_column_numbers(cells: list[str]) -> bool:
    """``0,1,2,...``, optionally with one label name (``label``, ``class``...) at either end."""
    names = [c.strip() for c in cells]
    if names and names[0].lower() in LABEL_NAMES:
        names = names[1:]
    elif names and names[-1].lower() in LABEL_NAMES:
        names = names[:-1]
    return len(names) >= 2 and names == [str(i) for i in range(len(names))]


def _separator(sample: list[tuple[int, str]], where: str) -> str:
    seen = [(n, line, [c for c in (",", ";", "\t") if c in line]) for n, line in sample]
    used = {c for *_, s in seen for c in s}
    if not used:
        return WHITESPACE
    if len(used) == 1:
        sep, first = used.pop(), next(n for n, _, s in seen if s)
        for n, line, s in seen:
            if not s and len(line.split()) > 1:
                msg = (
                    f"{where}, line {n}: the values are separated by spaces, but line {first} "
                    f"separates them by {SEPARATOR_NAMES[sep]}. Use one separator in the whole "
                    "file."
                )
                raise DataFormatError(msg)
        return sep
    for n, line, s in seen:
        for outer in (o for o in (";", "\t") if o in s and "," in s):
            cells = line.split(outer)
            col = next((i for i, c in enumerate(cells, 1) if _DECIMAL_COMMA.fullmatch(c)), 0)
            if col:
                cell = cells[col - 1].strip()
                msg = (
                    f"{where}, line {n}, column {col}: {cell!r} looks like a number with a "
                    f"decimal comma ({cell.replace(',', '.')}), between values separated by "
                    f"{SEPARATOR_NAMES[outer]}. Only '.' is read as the decimal point: convert "
                    "the file, e.g. sed 's/,/./g' in.csv > out.csv, or export it again with '.' "
                    "as the decimal separator."
                )
                raise DataFormatError(msg)
    lines = "; ".join(
        (f"line {n} holds both " if len(s) > 1 else f"line {n} by ")
        + " and ".join(SEPARATOR_NAMES[c] for c in s)
        + " ("
        + ", ".join(f"{SEPARATOR_NAMES[c]} first at character {line.index(c) + 1}" for c in s)
        + ")"
        for n, line, s in seen
        if s
    )
    msg = (
        f"{where}: the first lines mix separators ({lines}). A file must separate its values by "
        "one of ',', ';', tabs or spaces; use one of them throughout."
    )
    raise DataFormatError(msg)


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
        first, lines = head.first_line, head.text.rstrip().split("\n")[head.first_line - 1 :]
        numbers: Sequence[int] = range(first, first + len(lines))  # without blank lines
        if len(lines) != len(values):
            pairs = list(head.data_lines())
            numbers, lines = [n for n, _ in pairs], [line for _, line in pairs]
        if len(lines) != len(values):  # pandas kept a line the check pass skips, or vice versa
            rows = [check.row(n, line) for n, line in zip(numbers, lines, strict=True)]
            return np.array(rows, dtype=np.float64)
        values = np.array(values)  # pandas' array may be read-only
        for row in bad:
            values[row] = check.row(numbers[row], lines[row])
    return values


def _fast(head: Head, columns: list[int] | None) -> np.ndarray | None:
    """The numbers as pandas' C reader reads them; None when anything is off."""
    import pandas as pd

    sep, text = head.separator, head.text
    if head.trailing:  # one separator ending each line
        # A line of only a separator is an empty cell, which the check pass names.
        if text.startswith(sep + "\n") or f"\n{sep}\n" in text or text.endswith("\n" + sep):
            return None
        text = text.replace(sep + "\n", "\n").removesuffix(sep)
    try:
        values = pd.read_csv(
            io.StringIO(text),
            sep=r"\s+" if sep == WHITESPACE else sep,
            header=None,
            skiprows=head.first_line - 1,
            usecols=columns,
            dtype=np.float64,
            quoting=csv.QUOTE_NONE,  # a quoted number is an error the check pass explains
            engine="c",
        ).to_numpy()
    except Exception:  # whatever pandas objects to, the check pass names it
        return None
    width = len(head.first_cells) if columns is None else len(columns)
    return values if values.shape[1] == width else None


class _Check:
    """The pure-Python pass over one line: its numbers, or an error naming the bad cell."""

    def __init__(
        self, head: Head, label: LabelColumn | None, missing_ok: bool, columns: list[int] | None
    ) -> None:
        self.head, self.label, self.missing_ok = head, label, missing_ok
        self.ncols = len(head.first_cells)
        self.columns = range(self.ncols) if columns is None else columns
        self.label_col = 0 if label is None else 1 if label.first else self.ncols
        self.sep_name = SEPARATOR_NAMES[head.separator]

    def row(self, lineno: int, line: str) -> list[float]:
        cells, n = _cells(line, self.head.separator, self.ncols), self.ncols
        if len(cells) != n:
            col, what = (len(cells) + 1, "missing") if len(cells) < n else (n + 1, "one too many")
            hint = ""
            if len(cells) == 1 and self.head.separator != WHITESPACE and len(line.split()) > 1:
                hint = f" Line {lineno} separates its values by spaces, not {self.sep_name}."
            msg = (
                f"{self.head.where}, line {lineno}: {len(cells)} values, but line "
                f"{self.head.first_line} (the first data line) has {n}; column {col} is {what}."
                f"{hint} Every line must have the same number of values; fix or remove line "
                f"{lineno}."
            )
            raise DataFormatError(msg)
        return [self._cell(cells[i].strip(), lineno, i + 1) for i in self.columns]

    def _cell(self, text: str, lineno: int, col: int) -> float:
        at = f"{self.head.where}, line {lineno}, column {col}"
        at += " (the label)" if col == self.label_col else ""
        if self.missing_ok and (not text or _NONFINITE.fullmatch(text) or text.lower() == "na"):
            return math.nan
        if not text:
            why = "a separator at the start of the line" if col == 1 else "two separators in a row"
            msg = f"{at} is empty ({why}). Fill in the value or remove line {lineno}."
            raise DataFormatError(msg)
        if not is_value(text):
            raw = bad_bytes(text)
            shown = repr(text[:40].encode(errors="surrogateescape"))[1:] if raw else repr(text[:40])
            msg = f"{at}: {shown} is not a number. {self._why_not(text, raw, lineno, col)}"
            raise DataFormatError(msg)
        value = float(text)
        if not math.isfinite(value):
            what = "NaN or infinite" if _NONFINITE.fullmatch(text) else "too large for a float"
            msg = (
                f"{at}: the value is {text!r} ({what}). Replace it with a number or remove "
                f"line {lineno}."
            )
            raise DataFormatError(msg)
        return value

    def _why_not(self, text: str, raw: bytes, lineno: int, col: int) -> str:
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
        if col == self.label_col and self.label is not None:
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
