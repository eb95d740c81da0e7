"""The figure of a database benchmark: per-record beat detection, VEB/SVEB and ROC-AUC.

Drawn with matplotlib's object API on the Agg canvas, as :mod:`ecg_anomaly.plots` draws (whose
package imports Lightning, which the launching process of a benchmark does without).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ecg_anomaly.utils.results import atomic_path

#: The colours of ecg_anomaly.plots: normal / Se in blue, abnormal / +P in red.
NORMAL_COLOR, ABNORMAL_COLOR = "tab:blue", "tab:red"
#: Legends beside the panels, where no record's point lies.
_LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.0, 1.0), "fontsize": "small"}


def _pct(rows: Any, key: str) -> np.ndarray:
    if key not in rows:
        return np.full(len(rows), np.nan)
    return 100 * rows[key].to_numpy(dtype=float)


def records_figure(rows: Any, title: str = "") -> Any:
    """Three panels, one point per record: detection Se/+P, VEB and SVEB Se/+P, ROC-AUC.

    Args:
        rows: The per-record table (:func:`~ecg_anomaly.records.tally.record_rows`).
        title: The figure's title.

    Returns:
        The figure.
    """
    from matplotlib.figure import Figure

    names = [f"{r}{'*' if p else ''}" for r, p in zip(rows["record"], rows["paced"], strict=True)]
    x = np.arange(len(names))
    fig = Figure(figsize=(max(8.0, 0.24 * len(names) + 2), 9.0), layout="constrained")
    top, mid, low = fig.subplots(3, 1, sharex=True)

    se, ppv = _pct(rows, "detection/sensitivity"), _pct(rows, "detection/ppv")
    top.plot(x, se, "o", color=NORMAL_COLOR, label="Se")
    top.plot(x, ppv, "x", color=ABNORMAL_COLOR, label="+P")
    finite = np.concatenate([se[np.isfinite(se)], ppv[np.isfinite(ppv)]])
    floor = min(95.0, float(finite.min()) - 0.5) if finite.size else 95.0
    top.set_ylim(floor, 100.3)
    top.axhline(99.8, color="gray", lw=0.8, ls="--", label="goal 99.8 %")
    top.set_ylabel("beat detection (%)")
    top.legend(**_LEGEND)

    counted = rows["counted"].to_numpy(bool)
    for key, marker, color in (("veb", "o", ABNORMAL_COLOR), ("sveb", "s", "tab:green")):
        for stat, fill in (("sensitivity", color), ("ppv", "none")):
            values = np.where(counted, _pct(rows, f"{key}/{stat}"), np.nan)
            label = f"{key.upper()} {'Se' if stat == 'sensitivity' else '+P'}"
            mid.plot(x, values, marker, color=color, mfc=fill, label=label, alpha=0.8)
    mid.set_ylim(-3, 103)
    mid.set_ylabel("VEB / SVEB (%)")
    mid.legend(**_LEGEND)

    auroc = np.where(counted, rows["auroc"].to_numpy(float) if "auroc" in rows else np.nan, np.nan)
    colors = np.where(auroc < 0.97, ABNORMAL_COLOR, NORMAL_COLOR)
    low.bar(x, np.nan_to_num(auroc), color=colors)
    low.axhline(0.97, color="gray", lw=0.8, ls="--", label="0.97")
    low.set_ylim(0.0, 1.02)
    low.set_ylabel("ROC-AUC (test part)")
    for i in np.flatnonzero(counted & ~np.isfinite(auroc)):  # one class only in the test part
        low.text(x[i], 0.02, "n/a", rotation=90, ha="center", va="bottom", fontsize="x-small")
    low.legend(**_LEGEND)
    low.set_xticks(x, names, rotation=90, fontsize="small")
    low.set_xlabel("record (* paced)")
    for ax in (top, mid, low):
        ax.grid(axis="y", alpha=0.3)
        ax.set_xlim(-0.7, len(names) - 0.3)
    if title:
        fig.suptitle(title)
    return fig


def save_figure(fig: Any, path: str | os.PathLike) -> Path:
    """Write the figure as a PNG file, atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    return path


def write_figure(rows: Any, path: Path, name: str) -> Path:
    """``records.png``: the per-record panels."""
    return save_figure(records_figure(rows, f"{name}: per record"), path)
