"""Headless figures: matplotlib's object API on the Agg canvas, no pyplot, no display.

Figures are made with :class:`matplotlib.figure.Figure` directly rather than through pyplot, so
plotting never changes the user's global backend and never needs a display. Plot functions
return a figure; :func:`save` writes it in one or more formats (PNG, PDF, SVG).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ecg_anomaly.data.labels import ABNORMAL, NORMAL
from ecg_anomaly.errors import bad_value
from ecg_anomaly.utils.results import atomic_path

#: Colours of the two classes in every plot.
NORMAL_COLOR = "tab:blue"
ABNORMAL_COLOR = "tab:red"
#: The two classes as plots draw them: (label, name, colour).
CLASSES = ((NORMAL, "normal", NORMAL_COLOR), (ABNORMAL, "abnormal", ABNORMAL_COLOR))
DPI = 100
#: File formats a figure can be saved in.
FORMATS = ("png", "pdf", "svg")


def new_figure(ncols: int = 1, width: float = 6.4, height: float = 4.0) -> tuple[Any, Any]:
    """A figure with ``ncols`` side-by-side axes (one axes object when ``ncols`` is 1)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols if ncols > 1 else width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=True)
    return fig, axes


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """The formats, validated (``report.formats`` in the config)."""
    formats = tuple(formats)
    if not formats or any(f not in FORMATS for f in formats):
        raise bad_value("report.formats", list(formats), f"a list of {FORMATS}")
    return formats


def save(
    fig: Any, path: str | os.PathLike, formats: Sequence[str] = ("png",), title: str = ""
) -> Path:
    """Save a figure once per format (``path`` with each suffix); return the first file.

    Args:
        fig: The figure.
        path: The file, its suffix replaced by each format (folders are created).
        formats: Any of :data:`FORMATS`.
        title: Shown above the figure's own title (experiment, model, seed).
    """
    if title:
        fig.suptitle(title, fontsize="small", color="dimgray")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in check_formats(formats):
        out = path.with_suffix(f".{fmt}")
        with atomic_path(out) as tmp:
            fig.savefig(tmp, dpi=DPI, format=fmt)
        written.append(out)
    return written[0]
