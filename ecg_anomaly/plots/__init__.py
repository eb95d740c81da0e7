"""Headless plots of a run (PNG, matplotlib's Agg canvas) and the ``report.md`` that shows them.

matplotlib is imported inside the plotting functions, so importing this package is cheap.
"""

from ecg_anomaly.plots.beats import plot_example_beats, plot_reconstructions
from ecg_anomaly.plots.curves import plot_loss_curves, plot_pr, plot_roc, read_loss_history
from ecg_anomaly.plots.latent import plot_latent, project_2d
from ecg_anomaly.plots.scores import plot_confusion_matrix, plot_score_histogram

__all__ = [
    "plot_confusion_matrix",
    "plot_example_beats",
    "plot_latent",
    "plot_loss_curves",
    "plot_pr",
    "plot_reconstructions",
    "plot_roc",
    "plot_score_histogram",
    "project_2d",
    "read_loss_history",
]
