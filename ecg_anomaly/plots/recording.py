"""Plots of a recording's beats: strips with the flagged beats, scores over time, mean beats."""

from __future__ import annotations

from typing import Any

import numpy as np

from ecg_anomaly.plots._figure import ABNORMAL_COLOR, NORMAL_COLOR, new_figure

#: Colour of a false alarm: a flagged beat annotated normal.
FALSE_ALARM_COLOR = "tab:orange"
#: Beyond this many hours, scores over time are drawn as a density (a scatter is a smear).
DENSITY_HOURS = 1.0


def clock(seconds: float) -> str:
    """``h:mm:ss`` (or ``m:ss`` under an hour) of a time in seconds."""
    whole = round(seconds)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


#: Tick spacings of a time axis, in seconds: whole seconds, minutes and hours.
_STEPS = (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600)


def _clock_axis(ax: Any, span: float | None = None) -> None:
    """Label the x axis (seconds) as clock times, ticks at round seconds, minutes or hours."""
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    lo, hi = ax.get_xlim()
    span = span if span is not None else hi - lo
    step = next((s for s in _STEPS if span / s <= 8), _STEPS[-1])
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: clock(v)))


def strip_starts(
    time: np.ndarray,
    scores: np.ndarray,
    flags: np.ndarray,
    seconds: float,
    count: int = 3,
    labels: np.ndarray | None = None,
) -> list[float]:
    """Where the strips start: around the highest-scoring flagged beats.

    With labels, one strip is kept for the highest-scoring false alarm (a flagged beat
    annotated normal), so the strips show what the detector gets wrong too. Strips do not
    overlap; without a flagged beat, one strip shows the first seconds.
    """
    flagged = np.flatnonzero(flags == 1)
    order = list(flagged[np.argsort(-scores[flagged], kind="stable")])
    if labels is not None:
        false = [i for i in order if labels[i] == 0]
        if false:  # the highest-scoring false alarm takes the last strip
            order.remove(false[0])
            order.insert(min(count - 1, len(order)), false[0])
    starts: list[float] = []
    for i in order:
        if len(starts) == count:
            break
        start = max(0.0, float(time[i]) - seconds / 2)
        if all(abs(start - s) >= seconds for s in starts):
            starts.append(start)
    return sorted(starts) or [0.0]


def _ecg_grid(ax: Any) -> None:
    """The ECG paper's grid: 0.2 s and 0.5 mV major squares, 0.04 s and 0.1 mV minor ones."""
    from matplotlib.ticker import MultipleLocator

    ax.xaxis.set_minor_locator(MultipleLocator(0.04))
    ax.yaxis.set_major_locator(MultipleLocator(0.5))
    ax.yaxis.set_minor_locator(MultipleLocator(0.1))
    ax.grid(which="major", color="tab:red", alpha=0.35, lw=0.6)
    ax.grid(which="minor", color="tab:red", alpha=0.12, lw=0.4)


def plot_strips(
    signal: np.ndarray,
    fs: float,
    time: np.ndarray,
    flags: np.ndarray,
    scores: np.ndarray,
    starts: list[float],
    seconds: float = 10.0,
    symbols: np.ndarray | None = None,
    *,
    units: str = "",
    labels: np.ndarray | None = None,
) -> Any:
    """Strips of the recording, each beat marked: flagged ones in red with their score.

    Args:
        signal: The recording's samples.
        fs: Its sampling rate.
        time: Time of each beat's R peak (seconds).
        flags: 1 where a beat is flagged abnormal.
        scores: Each beat's anomaly score.
        starts: Start of each strip (seconds).
        seconds: Length of a strip.
        symbols: Annotation symbol of each beat, drawn under it where present.
        units: The samples' units (``mV`` draws the ECG paper's grid).
        labels: Annotated labels (0 normal): a flagged normal beat is drawn as a false alarm.
    """
    fig = new_figure(width=10.0, height=2.5 * len(starts))[0]
    fig.clear()
    axes = fig.subplots(len(starts), 1, squeeze=False)[:, 0]
    for ax, start in zip(axes, starts, strict=True):
        lo, hi = int(start * fs), min(len(signal), int((start + seconds) * fs))
        t = np.arange(lo, hi) / fs
        ax.plot(t, signal[lo:hi], color="black", lw=0.8)
        inside = np.flatnonzero((time >= start) & (time < start + seconds))
        for i in inside:
            bad = flags[i] == 1
            false_alarm = bad and labels is not None and labels[i] == 0
            color = FALSE_ALARM_COLOR if false_alarm else (ABNORMAL_COLOR if bad else NORMAL_COLOR)
            ax.axvline(time[i], color=color, alpha=0.7 if bad else 0.2, lw=2 if bad else 1)
            if bad:  # inside the axes, so the label is never cut at the figure's edge
                ax.annotate(
                    f"{scores[i]:.2f}",
                    (time[i], 0.97),
                    xycoords=("data", "axes fraction"),
                    fontsize="small",
                    color=color,
                    ha="center",
                    va="top",
                    annotation_clip=True,
                )
            if symbols is not None and symbols[i]:
                ax.annotate(
                    symbols[i],
                    (time[i], 0.03),
                    xycoords=("data", "axes fraction"),
                    fontsize="small",
                    ha="center",
                    va="bottom",
                )
        ax.set_xlim(start, start + seconds)
        ax.set_ylabel(f"ECG ({units})" if units else "ECG")
        if units == "mV":
            _ecg_grid(ax)
        else:
            ax.grid(alpha=0.3)
        _clock_axis(ax)
    legend = "red: flagged (score above it)"
    if labels is not None:
        legend += ", orange: flagged but annotated normal (false alarm)"
    axes[-1].set_xlabel(f"time (h:mm:ss); {legend}; letters: annotations")
    axes[0].set_title("Recording with the flagged beats")
    return fig


def plot_scores_over_time(
    time: np.ndarray, scores: np.ndarray, threshold: float, labels: np.ndarray | None = None
) -> Any:
    """Every beat's score against its time, with the threshold.

    Up to :data:`DENSITY_HOURS` each beat is a dot (annotated abnormal ones in red); longer
    recordings show the density of normal-looking beats as a 2-D histogram with the flagged
    beats drawn on top, so nothing hides the high scores. The legend sits outside the axes.
    """
    time, scores = np.asarray(time, dtype=float), np.asarray(scores, dtype=float)
    fig, ax = new_figure(width=11.0)
    long = len(time) and (time.max() - time.min()) / 3600.0 > DENSITY_HOURS
    above = scores >= threshold
    if long:
        lo, hi = np.nanpercentile(scores, [0.5, 99.5])
        ax.hist2d(
            time[~above], np.clip(scores[~above], lo, hi), bins=(400, 60), cmap="Greys", cmin=1
        )
        ax.scatter(
            time[above],
            scores[above],
            s=6,
            color=ABNORMAL_COLOR,
            label=f"flagged (n={int(above.sum())})",
            zorder=3,
        )
    elif labels is None:
        ax.scatter(time, scores, s=5, color="tab:gray", label=f"beats (n={len(time)})")
    else:
        for cls, name, color in (
            (0, "annotated normal", NORMAL_COLOR),
            (1, "annotated abnormal", ABNORMAL_COLOR),
            (-1, "not annotated", "tab:gray"),
        ):
            keep = labels == cls
            if keep.any():
                size, order = (8, 3) if cls == 1 else (4, 2)
                ax.scatter(
                    time[keep],
                    scores[keep],
                    s=size,
                    color=color,
                    zorder=order,
                    label=f"{name} (n={int(keep.sum())})",
                )
    ax.axhline(threshold, color="black", ls="--", lw=1.2, label=f"threshold = {threshold:.4g}")
    _clock_axis(ax)
    ax.set_xlabel("time (h:mm:ss)")
    ax.set_ylabel("anomaly score")
    ax.set_title("Anomaly score of every beat over time")
    ax.legend(markerscale=2, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
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
