"""Read the first lines of a text file: its separator, and whether line 1 is a header.

Nothing is guessed. The separator (``,``, ``;``, a tab, or runs of spaces) is the one found on
the first lines, and must be the same on each of them (a file mixing them, such as decimal commas
between ``;``, is refused with a message saying so). The first line is a header only when it
clearly is one: every cell a name, or the column numbers ``0, 1, 2, ...`` (pandas' names for
unnamed columns, with at most one ``label``/``class``/``target`` name at either end) above a data
line of the same width. Anything else on line 1 is data, and a bad cell there is an error that
names line 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ecg_anomaly.data.errors import DataFormatError

SEPARATORS = (",", ";", "\t")
#: The separator value meaning "runs of spaces or tabs".
WHITESPACE = " "
SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tabs", WHITESPACE: "spaces"}
#: Names a header may give the label column beside the column numbers ``0, 1, 2, ...``.
LABEL_NAMES = frozenset({"label", "labels", "class", "target", "y"})
_SNIFF_LINES = 5
# ASCII digits only: float() also reads other scripts' digits, NumPy's C reader does not.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"\s*[+-]?\d+,\d+(?:[eE][+-]?\d+)?\s*", re.ASCII)


@dataclass(frozen=True)
class Head:
    """What the first lines of a text file say about the rest.

    Attributes:
        separator: One of :data:`SEPARATORS`, or :data:`WHITESPACE`.
        header_line: The 1-based line number of the header skipped, or None.
        body: Offset in the text where the data lines begin.
        first_line: The 1-based line number of the first data line.
        first_cells: The cells of the first data line.
        trailing: The first data line ends with a separator (dropped from its cells).
    """

    separator: str
    header_line: int | None
    body: int
    first_line: int
    first_cells: list[str]
    trailing: bool


def split_cells(line: str, sep: str) -> list[str]:
    """The cells of one line; one separator at the end of the line is dropped."""
    if sep == WHITESPACE:
        return line.split()
    cells = line.split(sep)
    if len(cells) > 1 and not cells[-1].strip():
        cells.pop()
    return cells


def sniff(text: str, where: str) -> Head:
    """Find the separator and whether the first line is a header.

    Args:
        text: The file's text, with newline line endings.
        where: How messages name the file.

    Returns:
        The separator, the header line (or None) and the first data line.

    Raises:
        DataFormatError: No data lines, separators that differ or mix, or a header only.
    """
    sample = _first_lines(text, _SNIFF_LINES)
    if not sample:
        msg = f"{where} is empty (only blank lines): it holds no beats."
        raise DataFormatError(msg)
    comment = next((n for n, _, line in sample if line.lstrip().startswith("#")), 0)
    if comment:
        msg = (
            f"{where}, line {comment}, column 1 starts with '#': comment lines are not read. "
            "Remove them first, e.g. grep -v '^#' in.csv > out.csv."
        )
        raise DataFormatError(msg)
    sep = _separator(sample, where)
    lineno, _, line = sample[0]
    cells = split_cells(line, sep)
    following = split_cells(sample[1][2], sep) if len(sample) > 1 else None
    if len(cells) > 2 and not cells[0].strip() and _is_column_numbers(cells[1:]):
        msg = (
            f"{where}, line {lineno}, column 1 is empty and the other cells are the column "
            "numbers 0, 1, 2, ...: this looks like a table saved by pandas with its row index. "
            "Save it again with DataFrame.to_csv(path, index=False), or delete line "
            f"{lineno} and the first column."
        )
        raise DataFormatError(msg)
    is_header = all(_is_name(c) for c in cells) or (
        _is_column_numbers(cells)
        and following is not None
        and len(following) == len(cells)
        and not _is_column_numbers(following)
    )
    if not is_header:
        return Head(sep, None, 0, lineno, cells, _ends_with(line, sep))
    if len(sample) == 1:
        msg = f"{where} has only a header row (line {lineno}) and no beats."
        raise DataFormatError(msg)
    data_line, body, data = sample[1]
    return Head(sep, lineno, body, data_line, split_cells(data, sep), _ends_with(data, sep))


def _ends_with(line: str, sep: str) -> bool:
    return sep != WHITESPACE and line.rstrip().endswith(sep)


def _first_lines(text: str, n: int) -> list[tuple[int, int, str]]:
    """The first ``n`` non-blank lines as ``(1-based line number, offset, text)``."""
    found: list[tuple[int, int, str]] = []
    pos, lineno = 0, 0
    while pos <= len(text) and len(found) < n:
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        lineno += 1
        if text[pos:end].strip():
            found.append((lineno, pos, text[pos:end]))
        pos = end + 1
    return found


def _separator(sample: list[tuple[int, int, str]], where: str) -> str:
    seen = [(lineno, line, {c for c in SEPARATORS if c in line}) for lineno, _, line in sample]
    union = set().union(*(s for _, _, s in seen))
    if len(union) > 1:
        raise _mixed(seen, where)
    if not union:
        return WHITESPACE
    sep = union.pop()
    first = next(lineno for lineno, _, s in seen if s)
    for lineno, line, s in seen:
        if not s and len(line.split()) > 1:
            msg = (
                f"{where}, line {lineno}: the values are separated by spaces, but line {first} "
                f"separates them by {SEPARATOR_NAMES[sep]}. Use one separator in the whole file."
            )
            raise DataFormatError(msg)
    return sep


def _mixed(seen: list[tuple[int, str, set[str]]], where: str) -> DataFormatError:
    for lineno, line, s in seen:
        for outer in (";", "\t"):
            if outer not in s or "," not in s:
                continue
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
    names = " and ".join(SEPARATOR_NAMES[c] for c in SEPARATORS if any(c in s for *_, s in seen))
    both = next(((lineno, line, s) for lineno, line, s in seen if len(s) > 1), None)
    if both is not None:
        lineno, line, s = both
        where_each = ", ".join(
            f"{SEPARATOR_NAMES[c]} first at character {line.index(c) + 1}"
            for c in SEPARATORS
            if c in s
        )
        return DataFormatError(
            f"{where}, line {lineno} holds both {names} ({where_each}). A file must separate its "
            "values by one of ',', ';', tabs or spaces; use one of them throughout."
        )
    lines = "; ".join(
        f"line {lineno} by {SEPARATOR_NAMES[c]} (first at character {line.index(c) + 1})"
        for lineno, line, s in seen
        for c in s
    )
    return DataFormatError(
        f"{where}: the first lines separate their values by different separators ({lines}). "
        "Use one separator (',', ';', tabs or spaces) throughout the file."
    )


def is_value(cell: str) -> bool:
    """Whether ``cell`` is a number (ASCII decimal, as NumPy reads it), NaN or infinity."""
    text = cell.strip()
    return bool(_NUMBER.fullmatch(text) or _NONFINITE.fullmatch(text))


def _is_name(cell: str) -> bool:
    return bool(cell.strip()) and not is_value(cell)


def _is_column_numbers(cells: list[str]) -> bool:
    """``0,1,2,...``, optionally with one label name (``label``, ``class``...) at either end."""
    names = [c.strip() for c in cells]
    if names and names[0].lower() in LABEL_NAMES:
        names = names[1:]
    elif names and names[-1].lower() in LABEL_NAMES:
        names = names[:-1]
    return len(names) >= 2 and names == [str(i) for i in range(len(names))]


def is_nonfinite_word(cell: str) -> bool:
    """Whether ``cell`` spells NaN or infinity (``nan``, ``-inf``, ``Infinity``...)."""
    return bool(_NONFINITE.fullmatch(cell.strip()))
