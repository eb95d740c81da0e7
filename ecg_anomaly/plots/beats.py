"""Plots of beats: the first traces of each class, and an autoencoder's reconstructions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ecg_anomaly.plots._figure import CLASSES, new_figure


def plot_traces(x: np.ndarray, labels: np.ndarray, n: int = 10) -> Any | None:
    """The first ``n`` normal and abnormal beats, one panel per class (as the notebooks do).

    Args:
        x: Raw beats, shape ``(n_beats, seq_len)``, in file order.
        labels: 0 normal, 1 abnormal.
        n: Beats per class.

    Returns:
        The figure, or None when ``labels`` holds neither class.
    """
    fig, axes = new_figure(2, width=5.0)
    drawn = False
    for ax, (cls, name, color) in zip(axes, CLASSES, strict=True):
        rows = np.flatnonzero(labels == cls)[:n]
        for row in rows:
            ax.plot(x[row], color=color, alpha=0.7, lw=1)
        drawn |= len(rows) > 0
        ax.set_title(f"first {len(rows)} {name} beats")
        ax.set_xlabel("time step")
        ax.set_ylabel("amplitude")
        ax.grid(alpha=0.3)
    return fig if drawn else None


def example_rows(scores: np.ndarray, labels: np.ndarray) -> dict[int, int]:
    """The beat of median score of each class present: ``{class: position}``."""
    out = {}
    for cls, _, _ in CLASSES:
        members = np.flatnonzero(labels == cls)
        if len(members):
            out[cls] = int(members[np.argsort(scores[members], kind="stable")[len(members) // 2]])
    return out


def plot_reconstructions(
    x: np.ndarray, recon: np.ndarray, classes: np.ndarray, scores: np.ndarray, rows: np.ndarray
) -> Any | None:
    """Input against reconstruction, error shaded, one panel per beat given.

    Args:
        x: Normalised beats (what the autoencoder sees), ``(k, seq_len)``.
        recon: Their reconstructions, same shape.
        classes: Label of each beat (0 normal, 1 abnormal).
        scores: Anomaly score of each beat.
        rows: Row of each beat in its data file, for the titles.

    Returns:
        The figure, or None for no beats.
    """
    if len(x) == 0:
        return None
    fig, axes = new_figure(len(x), width=5.0)
    axes = np.atleast_1d(axes)
    names = {cls: (name, color) for cls, name, color in CLASSES}
    t = np.arange(x.shape[1])
    for ax, xi, ri, cls, score, row in zip(axes, x, recon, classes, scores, rows, strict=True):
        name, color = names[int(cls)]
        ax.plot(t, xi, color="black", lw=1.2, label="input")
        ax.plot(t, ri, color=color, lw=1.2, label="reconstruction")
        ax.fill_between(t, xi, ri, color="tab:orange", alpha=0.35, label="error")
        ax.set_title(f"{name} beat, row {row} (score {score:.4g})")
        ax.set_xlabel("time step")
        ax.set_ylabel("amplitude (normalised)")
        ax.legend(loc="best", framealpha=0.9)
        ax.grid(alpha=0.3)
    return fig
