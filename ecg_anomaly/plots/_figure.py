"""Headless figures: matplotlib's object API on the Agg canvas, no pyplot, no display.

Figures are made with :class:`matplotlib.figure.Figure` directly rather than through pyplot, so
plotting never changes the user's global backend and never needs a display.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

#: Colours of the two classes in every plot.
NORMAL_COLOR = "tab:blue"
ABNORMAL_COLOR = "tab:red"
DPI = 100


def new_figure(ncols: int = 1, width: float = 6.4, height: float = 4.0) -> tuple[Any, Any]:
    """A figure with ``ncols`` side-by-side axes (one axes object when ``ncols`` is 1)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols if ncols > 1 else width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=True)
    return fig, axes


def save(fig: Any, path: str | os.PathLike) -> Path:
    """Save a figure as PNG (creating the folder) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, format="png")
    return path
