"""Read the numbers of a text table: pandas parses, a check pass names what is wrong.

One reader serves the beat files (:mod:`ecg_anomaly.data.beatfiles`) and the recordings' tables
(:mod:`ecg_anomaly.recordings.formats`): :func:`~ecg_anomaly.data.sniff.sniff` finds the
separator and the header, :func:`parse` reads the numbers with :func:`pandas.read_csv`. Only where
that fails, or gives a value that is not finite, does a pure-Python pass read the lines
concerned, to name the first bad line and column (1-based, as an editor counts them), what is
there and how to fix it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ecg_anomaly.data.files import bad_bytes
from ecg_anomaly.data.sniff import (
    NONFINITE,
    SEPARATOR_NAMES,
    WHITESPACE,
    Head,
    is_value,
    split_cells,
)
from ecg_anomaly.errors import DataFormatError


class LabelColumn(NamedTuple):
    """Where a layout keeps its label (first column, else last) and the labels allowed, in words."""

    first: bool
    allowed: str


def parse(
    head: Head,
    *,
    columns: list[int] | None = None,
    label: LabelColumn | None = None,
    missing_ok: bool = False,
) -> np.ndarray:
    """Read the data lines into numbers.

    Args:
        head: What :func:`~ecg_anomaly.data.sniff.sniff` found.
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
        cells, n = split_cells(line, self.head.separator, self.ncols), self.ncols
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
        if self.missing_ok and (not text or NONFINITE.fullmatch(text) or text.lower() == "na"):
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
            what = "NaN or infinite" if NONFINITE.fullmatch(text) else "too large for a float"
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
