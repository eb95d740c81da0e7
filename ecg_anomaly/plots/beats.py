"""Plots of beats: examples of each class, and an autoencoder's reconstructions."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ecg_anomaly.data.labels import ABNORMAL, NORMAL
from ecg_anomaly.plots._figure import ABNORMAL_COLOR, NORMAL_COLOR, new_figure, save

_CLASSES = ((NORMAL, "normal", NORMAL_COLOR), (ABNORMAL, "abnormal", ABNORMAL_COLOR))


def plot_example_beats(
    x: np.ndarray, labels: np.ndarray, path: str | os.PathLike, n: int = 5
) -> Path | None:
    """The first ``n`` normal and abnormal beats, one panel per class.

    Args:
        x: Raw beats, shape ``(n_beats, seq_len)``.
        labels: 0 normal, 1 abnormal.
        path: The PNG to write.
        n: Beats per class.

    Returns:
        The PNG's path, or None when ``labels`` holds neither class.
    """
    fig, axes = new_figure(2, width=5.0)
    drawn = False
    for ax, (cls, name, color) in zip(axes, _CLASSES, strict=True):
        rows = np.flatnonzero(labels == cls)[:n]
        for i, row in enumerate(rows):
            ax.plot(x[row], color=color, alpha=0.8, lw=1, label=f"{name} beats" if i == 0 else None)
        drawn |= len(rows) > 0
        ax.set_title(f"{len(rows)} example {name} beats")
        ax.set_xlabel("time step")
        ax.set_ylabel("amplitude")
        if len(rows):
            ax.legend(loc="upper right")
        ax.grid(alpha=0.3)
    fig.suptitle("Example normal and abnormal beats")
    return save(fig, path) if drawn else None


def plot_reconstructions(
    x: np.ndarray,
    recon: np.ndarray,
    labels: np.ndarray,
    scores: np.ndarray,
    path: str | os.PathLike,
    index: np.ndarray | None = None,
) -> Path | None:
    """Input against reconstruction, error shaded, for the median-score beat of each class.

    Args:
        x: Normalised beats (what the autoencoder sees), ``(n, seq_len)``.
        recon: Their reconstructions, same shape.
        labels: 0 normal, 1 abnormal.
        scores: Anomaly scores (the beat of median score of each class is shown).
        path: The PNG to write.
        index: Row of each beat in its data file, for the titles (default its position).

    Returns:
        The PNG's path, or None when ``labels`` holds neither class.
    """
    index = np.arange(len(x)) if index is None else np.asarray(index)
    fig, axes = new_figure(2, width=5.0)
    drawn = False
    for ax, (cls, name, color) in zip(axes, _CLASSES, strict=True):
        rows = np.flatnonzero(labels == cls)
        ax.set_xlabel("time step")
        ax.set_ylabel("amplitude (normalised)")
        if len(rows) == 0:
            ax.set_title(f"no {name} beat")
            continue
        drawn = True
        row = rows[np.argsort(scores[rows])[len(rows) // 2]]
        t = np.arange(x.shape[1])
        ax.plot(t, x[row], color="black", lw=1.2, label="input")
        ax.plot(t, recon[row], color=color, lw=1.2, label="reconstruction")
        ax.fill_between(t, x[row], recon[row], color="tab:orange", alpha=0.35, label="error")
        ax.set_title(f"{name} beat, row {index[row]} (score {scores[row]:.4g})")
        ax.legend(loc="best", framealpha=0.9)
        ax.grid(alpha=0.3)
    fig.suptitle("Input vs reconstruction (typical beat of each class)")
    return save(fig, path) if drawn else None
