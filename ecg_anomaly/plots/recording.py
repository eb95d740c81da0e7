"""Plots of a recording's detection: strips with the flagged beats, scores over time, beats."""

from __future__ import annotations

from typing import Any

import numpy as np

from ecg_anomaly.plots._figure import ABNORMAL_COLOR, NORMAL_COLOR, new_figure


def strip_starts(
    time: np.ndarray, scores: np.ndarray, flags: np.ndarray, seconds: float, count: int = 3
) -> list[float]:
    """Where the strips start: around the highest-scoring flagged beats.

    Strips do not overlap; without a flagged beat, one strip shows the first seconds.
    """
    order = np.argsort(-np.where(flags == 1, scores, -np.inf), kind="stable")
    starts: list[float] = []
    for i in order:
        if flags[i] != 1 or len(starts) == count:
            break
        start = max(0.0, float(time[i]) - seconds / 2)
        if all(abs(start - s) >= seconds for s in starts):
            starts.append(start)
    return sorted(starts) or [0.0]


def plot_strips(
    signal: np.ndarray,
    fs: float,
    time: np.ndarray,
    flags: np.ndarray,
    scores: np.ndarray,
    starts: list[float],
    seconds: float = 10.0,
    symbols: np.ndarray | None = None,
) -> Any:
    """Strips of the recording, each beat marked (flagged ones in red, with their score).

    Args:
        signal: The recording's samples.
        fs: Its sampling rate.
        time: Time of each beat's R peak (seconds).
        flags: 1 where a beat is flagged abnormal.
        scores: Each beat's anomaly score.
        starts: Start of each strip (seconds).
        seconds: Length of a strip.
        symbols: Annotation symbol of each beat, drawn under it where present.
    """
    fig = new_figure(width=10.0, height=2.4 * len(starts))[0]
    fig.clear()
    axes = fig.subplots(len(starts), 1, squeeze=False)[:, 0]
    for ax, start in zip(axes, starts, strict=True):
        lo, hi = int(start * fs), min(len(signal), int((start + seconds) * fs))
        t = np.arange(lo, hi) / fs
        ax.plot(t, signal[lo:hi], color="black", lw=0.8)
        inside = (time >= start) & (time < start + seconds)
        top = float(np.max(signal[lo:hi])) if hi > lo else 0.0
        for i in np.flatnonzero(inside):
            bad = flags[i] == 1
            ax.axvline(time[i], color=ABNORMAL_COLOR if bad else NORMAL_COLOR,
                       alpha=0.6 if bad else 0.2, lw=2 if bad else 1)  # fmt: skip
            if bad:
                ax.annotate(f"{scores[i]:.2f}", (time[i], top), fontsize="small",
                            color=ABNORMAL_COLOR, ha="center", va="bottom")  # fmt: skip
            if symbols is not None and symbols[i]:
                ax.annotate(symbols[i], (time[i], ax.get_ylim()[0]), fontsize="small",
                            ha="center", va="bottom")  # fmt: skip
        ax.set_xlim(start, start + seconds)
        ax.set_ylabel("signal")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time (s); red: flagged abnormal (score), letters: annotations")
    axes[0].set_title("Recording with the flagged beats")
    return fig


def plot_scores_over_time(
    time: np.ndarray, scores: np.ndarray, threshold: float, labels: np.ndarray | None = None
) -> Any:
    """Every beat's score against its time, annotated abnormal beats in red, the threshold."""
    fig, ax = new_figure(width=10.0)
    minutes = np.asarray(time) / 60.0
    if labels is None:
        ax.scatter(minutes, scores, s=5, color="tab:gray", label="beats")
    else:
        for cls, name, color in ((0, "annotated normal", NORMAL_COLOR),
                                 (1, "annotated abnormal", ABNORMAL_COLOR),
                                 (-1, "not annotated", "tab:gray")):  # fmt: skip
            keep = labels == cls
            if keep.any():
                label = f"{name} (n={int(keep.sum())})"
                size, order = (8, 3) if cls == 1 else (4, 2)
                ax.scatter(
                    minutes[keep], scores[keep], s=size, color=color, label=label, zorder=order
                )
    ax.axhline(threshold, color="black", ls="--", lw=1.2, label=f"threshold = {threshold:.4g}")
    ax.set_xlabel("time (minutes)")
    ax.set_ylabel("anomaly score")
    ax.set_title("Anomaly score of every beat over time")
    ax.legend(markerscale=2, fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def plot_mean_beats(x: np.ndarray, flags: np.ndarray) -> Any:
    """The mean beat (with its spread) of the beats not flagged against that of the flagged."""
    fig, ax = new_figure()
    steps = np.arange(x.shape[1])
    for flagged, name, color in ((0, "not flagged", NORMAL_COLOR), (1, "flagged", ABNORMAL_COLOR)):
        part = x[flags == flagged]
        if len(part):
            mean, std = part.mean(axis=0), part.std(axis=0)
            ax.plot(steps, mean, color=color, lw=2, label=f"{name} (n={len(part)})")
            ax.fill_between(steps, mean - std, mean + std, color=color, alpha=0.2)
    ax.set_xlabel("time step (cut beat)")
    ax.set_ylabel("amplitude (z-normalised)")
    ax.set_title("Mean beat, not flagged vs flagged (± 1 std)")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig
