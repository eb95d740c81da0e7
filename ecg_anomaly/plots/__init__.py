"""Headless plots of a run (matplotlib's Agg canvas): each function takes arrays, returns a figure.

matplotlib is imported inside the plotting functions, so importing this package is cheap;
:func:`~ecg_anomaly.plots._figure.save` writes a figure as PNG, PDF or SVG.
"""

from ecg_anomaly.plots._figure import save
from ecg_anomaly.plots.beats import example_rows, plot_reconstructions, plot_traces
from ecg_anomaly.plots.confusion import plot_class_balance, plot_confusion_matrix
from ecg_anomaly.plots.curves import plot_loss_curves, plot_pr, plot_roc
from ecg_anomaly.plots.latent import plot_latent, project_2d
from ecg_anomaly.plots.scores import (
    plot_score_histogram,
    plot_scores_by_class,
    plot_scores_by_index,
    plot_training_errors,
)

__all__ = [
    "example_rows",
    "plot_class_balance",
    "plot_confusion_matrix",
    "plot_latent",
    "plot_loss_curves",
    "plot_pr",
    "plot_reconstructions",
    "plot_roc",
    "plot_score_histogram",
    "plot_scores_by_class",
    "plot_scores_by_index",
    "plot_traces",
    "plot_training_errors",
    "project_2d",
    "save",
]
