"""Result files: JSON written atomically and readable by the group, and a console table.

Floats in the JSON files are written at float32 precision: the shortest decimal that reads back
to the same float32 (``0.9490000009536743`` becomes ``0.949``). Models and torchmetrics compute
in float32, so nothing they produced is lost. Thresholds are the exception: they are kept in
float64 in the checkpoint (a threshold equal to the largest training score must flag that
beat), and written at full precision (every key starting with ``threshold``). Integers are
written as they are, and the full-precision scores stay in ``scores.csv``.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

#: The magnitudes a float32 holds without overflow or loss to subnormals.
_F32 = np.finfo(np.float32)


def round_float(value: float) -> float:
    """``value`` as the shortest decimal that reads back to the same float32.

    Floats outside float32's normal range (overflow, subnormal) are returned unchanged, as
    rounding would turn them into infinity or lose most of their digits.

    Args:
        value: A finite float.

    Returns:
        The rounded float, e.g. ``0.949`` for ``0.9490000009536743``.
    """
    magnitude = abs(value)
    if value == 0.0 or not (float(_F32.smallest_normal) <= magnitude <= float(_F32.max)):
        return value
    return float(str(np.float32(value)))


#: Keys whose floats keep every digit (thresholds decide: see the module docstring).
EXACT_KEYS = ("threshold",)


def _jsonable(value: Any, round_floats: bool) -> Any:
    if isinstance(value, np.generic):
        value = value.item()  # numpy scalars: json cannot write them
    if isinstance(value, float):
        if not math.isfinite(value):
            return None  # JSON has no NaN; null is what every reader understands
        return round_float(value) if round_floats else value
    if isinstance(value, Mapping):
        return {
            str(k): _jsonable(v, round_floats and not str(k).startswith(EXACT_KEYS))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_jsonable(v, round_floats) for v in value]
    return value


def write_json(
    path: str | os.PathLike, data: Mapping[str, Any], *, round_floats: bool = True
) -> Path:
    """Write ``data`` as indented JSON, atomically (a reader never sees half a file).

    NaN and infinite floats are written as ``null``. The file gets the permissions of any new
    file (``0o666`` less the umask: 644 under umask 022), so the group can read it where the
    umask allows; a temporary file from :func:`tempfile.mkstemp` would stay at 600.

    Args:
        path: The file to write; its folder is created if needed.
        data: The values to write.
        round_floats: Write floats at float32 precision (see the module docstring); False
            keeps every float64 digit.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_jsonable(data, round_floats), indent=2) + "\n"
    tmp, fd = _create_temp(path)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed to ``path`` when the block ends without error.

    Whatever writes to it (pandas, matplotlib, numpy) leaves either the previous complete file
    or the new one: an interrupted write is removed, never left under the final name.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp, fd = _create_temp(path)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _create_temp(path: Path) -> tuple[Path, int]:
    """A new hidden file beside ``path``, created with mode 0o666 so the kernel applies the umask.

    Returns:
        The temporary path and its open file descriptor.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:
            continue  # another writer chose the same name: draw again


def format_table(metrics: Mapping[str, Any], title: str = "metrics") -> str:
    """A two-column text table of metric names and values, for the console."""
    rows = [(str(k), f"{v:.4f}" if isinstance(v, float) else str(v)) for k, v in metrics.items()]
    width = max([len(title), *(len(k) for k, _ in rows)])
    value_width = max([5, *(len(v) for _, v in rows)])
    rule = f"+-{'-' * width}-+-{'-' * value_width}-+"
    lines = [rule, f"| {title:<{width}} | {'value':>{value_width}} |", rule]
    lines += [f"| {k:<{width}} | {v:>{value_width}} |" for k, v in rows]
    lines.append(rule)
    return "\n".join(lines)
