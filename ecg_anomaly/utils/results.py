"""Result files: JSON written atomically, and a console table of metrics."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN; null is what every reader understands
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def write_json(path: str | os.PathLike, data: Mapping[str, Any]) -> Path:
    """Write ``data`` as indented JSON, atomically (a reader never sees half a file).

    NaN and infinite floats are written as ``null``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(_jsonable(data), f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
