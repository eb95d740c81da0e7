"""Parse the data lines of a text file into numbers, naming the first bad line and column.

The separator and header come from :func:`ecg_anomaly.data.sniff.sniff`. One separator at the
end of a line is dropped. The values are parsed by NumPy's C reader; only if that fails, or finds
NaN or infinite values, does a slow pure-Python pass run to name the first bad line and column.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ecg_anomaly.data.errors import DataFormatError
from ecg_anomaly.data.sniff import (
    SEPARATOR_NAMES,
    WHITESPACE,
    Head,
    is_nonfinite_word,
    is_value,
    split_cells,
)
from ecg_anomaly.data.textfile import bad_bytes


@dataclass(frozen=True)
class LabelColumn:
    """Where a layout keeps its label, for messages about the label column.

    Attributes:
        first: The label is the first column (UCR); else the last (TensorFlow).
        allowed: The allowed labels in words, e.g. ``"1 (normal) or 0 (abnormal)"``.
    """

    first: bool
    allowed: str


@dataclass(frozen=True, eq=False)
class Table:
    """The numbers of a text file, with what is needed to point back into it.

    Attributes:
        values: float64 of shape ``(rows, columns)``, all finite.
        head: The separator and header found.
        text: The whole text (to find a row's line number).
    """

    values: np.ndarray = field(repr=False)
    head: Head
    text: str = field(repr=False)

    def line_of(self, row: int) -> int:
        """The 1-based line number in the file of data row ``row`` (0-based)."""
        for i, (lineno, _) in enumerate(data_lines(self.text, self.head)):
            if i == row:
                return lineno
        raise IndexError(row)


def data_lines(text: str, head: Head) -> Iterator[tuple[int, str]]:
    """``(1-based line number, line)`` of each non-blank line after the header."""
    first = text.count("\n", 0, head.body) + 1
    for lineno, line in enumerate(text[head.body :].split("\n"), first):
        if line.strip():
            yield lineno, line


def parse(text: str, head: Head, where: str, label: LabelColumn | None = None) -> Table:
    """Parse the data lines into numbers.

    Args:
        text: The file's text, with newline line endings.
        head: What :func:`sniff` found.
        where: How messages name the file.
        label: Where the layout keeps its label, for messages; None if it has none.

    Returns:
        The table of finite float64 values.

    Raises:
        DataFormatError: Naming the first bad line and column: a cell that is empty, not a
            number, NaN or infinite, or a line with another number of values than the first.
    """
    values = _fast(text[head.body :] if head.body else text, head.separator, head.trailing)
    if values is None:
        values = _Slow(text, head, where, label).table()
    return Table(values, head, text)


def _fast(body: str, sep: str, trailing: bool) -> np.ndarray | None:
    """Parse with NumPy's C reader; None when anything is off (the slow pass then explains)."""
    if trailing:
        # One separator at the end of each line is dropped (the first line has one; the slow
        # pass is lenient about the others). A line of only a separator is an empty cell.
        if body.startswith(sep + "\n") or f"\n{sep}\n" in body or body.endswith("\n" + sep):
            return None
        body = body.replace(sep + "\n", "\n").removesuffix(sep)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data"
            table = np.loadtxt(
                io.StringIO(body),
                dtype=np.float64,
                delimiter=None if sep == WHITESPACE else sep,
                comments=None,
                ndmin=2,
            )
    except Exception:  # whatever NumPy objects to, the slow pass names it
        return None
    if table.size == 0 or not np.isfinite(table).all():
        return None
    return table


class _Slow:
    """The pure-Python pass: raise at the first bad line, column or cell, else the table."""

    def __init__(self, text: str, head: Head, where: str, label: LabelColumn | None) -> None:
        self.text, self.head, self.where, self.label = text, head, where, label
        self.sep_name = SEPARATOR_NAMES[head.separator]
        self.ncols = len(head.first_cells)

    def table(self) -> np.ndarray:
        rows: list[list[float]] = []
        for lineno, line in data_lines(self.text, self.head):
            cells = split_cells(line, self.head.separator)
            if len(cells) != self.ncols:
                raise self._ragged(lineno, line, len(cells))
            rows.append([self._cell(cell, lineno, col) for col, cell in enumerate(cells, 1)])
        if not rows:
            msg = f"{self.where} holds no beats after its header row."
            raise DataFormatError(msg)
        return np.asarray(rows, dtype=np.float64)

    def _ragged(self, lineno: int, line: str, n: int) -> DataFormatError:
        col, what = (n + 1, "missing") if n < self.ncols else (self.ncols + 1, "one too many")
        hint = ""
        if n == 1 and self.head.separator != WHITESPACE and len(line.split()) > 1:
            hint = f" Line {lineno} separates its values by spaces, not {self.sep_name}."
        return DataFormatError(
            f"{self.where}, line {lineno}: {n} values, but line {self.head.first_line} (the "
            f"first beat) has {self.ncols}; column {col} is {what}.{hint} Every line must have "
            f"the same number of values; fix or remove line {lineno}."
        )

    def _is_label(self, col: int) -> bool:
        return self.label is not None and col == (1 if self.label.first else self.ncols)

    def _cell(self, cell: str, lineno: int, col: int) -> float:
        at = f"{self.where}, line {lineno}, column {col}"
        at += " (the label)" if self._is_label(col) else ""
        text = cell.strip()
        if not text:
            why = "a separator at the start of the line" if col == 1 else "two separators in a row"
            msg = f"{at} is empty ({why}). Fill in the value or remove line {lineno}."
            raise DataFormatError(msg)
        try:
            # float() also reads "1_0" and other scripts' digits; NumPy's reader does not. With
            # those excluded it accepts exactly what sniff.is_value does, and is much faster.
            if not text.isascii() or "_" in text:
                raise ValueError(text)
            value = float(text)
        except ValueError:
            shown = repr(text[:40].encode(errors="surrogateescape"))[1:] if bad_bytes(text) else ""
            msg = (
                f"{at}: {shown or repr(text[:40])} is not a number. "
                f"{self._why_not(text, lineno, col)}"
            )
            raise DataFormatError(msg) from None
        if not math.isfinite(value):
            what = "NaN or infinite" if is_nonfinite_word(text) else "too large for a float"
            msg = (
                f"{at}: the value is {text!r} ({what}). Replace it with a number or remove "
                f"line {lineno}."
            )
            raise DataFormatError(msg)
        return value

    def _why_not(self, text: str, lineno: int, col: int) -> str:
        raw = bad_bytes(text)
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
        if self._is_label(col):
            assert self.label is not None
            hints.append(f"Labels must be numbers: {self.label.allowed}.")
        others = [n for s, n in SEPARATOR_NAMES.items() if s in text and s != WHITESPACE]
        if others or (self.head.separator != WHITESPACE and len(text.split()) > 1):
            found = " and ".join(others) or "spaces"
            hints.append(
                f"It holds {found}, but this file separates its values by {self.sep_name}."
            )
        if lineno == self.head.first_line and self.head.header_line is None:
            cells = self.head.first_cells
            num = next((i for i, c in enumerate(cells, 1) if is_value(c)), 0)
            if num:
                hints.append(
                    f"Line {lineno} is read as a beat, not as a header, because it also holds "
                    f"numbers (column {num}: {cells[num - 1].strip()!r}); a header holds only "
                    "names (or the column numbers 0, 1, 2, ...). If it is a header, make every "
                    "cell a name."
                )
        hints.append(f"Fix or remove line {lineno}.")
        return " ".join(hints)
