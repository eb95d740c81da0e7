"""Read the first lines of a text table: its separator, and whether line 1 is a header.

Nothing is guessed. The separator (``,``, ``;``, a tab, or runs of spaces) is the one found on
the first lines, and must be the same on each of them (a file mixing them, such as decimal commas
between ``;``, is refused with a message saying so). The first line is a header only when it
clearly is one: every cell a name, or the column numbers ``0, 1, 2, ...`` (pandas' names for
unnamed columns, with at most one ``label``/``class``/``target`` name at either end) above a data
line of the same width. Anything else on line 1 is data, and a bad cell there is an error that
names line 1.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from ecg_anomaly.data.files import RawFile, decode
from ecg_anomaly.errors import DataFormatError

#: The separator value meaning "runs of spaces or tabs".
WHITESPACE = " "
SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tabs", WHITESPACE: "spaces"}
#: Names a header may give the label column beside the column numbers ``0, 1, 2, ...``.
LABEL_NAMES = frozenset({"label", "labels", "class", "target", "y"})
# ASCII digits only: float() also reads other scripts' digits, pandas' C reader does not.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
#: NaN and infinity, spelt as float() reads them.
NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d+,\d+(?:[eE][+-]?\d+)?\s*", re.ASCII)


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
    rows = [split_cells(line, sep) for _, line in sample[:2]]
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
    data = split_cells(line, sep, width)  # with a header, "1.5," is 1.5 and a missing value
    return Head(where, text, sep, names, lineno, first, data, _trailing(line, sep, data))


def is_value(cell: str) -> bool:
    """Whether ``cell`` is a number (ASCII decimal, as pandas reads it), NaN or infinity."""
    text = cell.strip()
    return bool(_NUMBER.fullmatch(text) or NONFINITE.fullmatch(text))


def split_cells(line: str, sep: str, width: int | None = None) -> list[str]:
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
