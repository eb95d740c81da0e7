"""Figures a reader of the recipes' notebooks looks for, each drawn as its notebook draws it.

- :func:`plot_history`: training and validation loss per epoch (the tutorial, the course
  exercise and lab, the Kaggle and CNN notebooks all train with ``validation_data``).
- :func:`plot_lab_threshold_variant`: the course lab's last cell, which scores its contractive
  autoencoder with the plain autoencoder's threshold.
- :func:`plot_class_pie`: the Kaggle notebook's class pie chart.
- :func:`plot_umap_points`: the Kaggle notebook's ``umap.plot.points(..., theme="fire")`` of the
  second model's test codes (give it the 2-d embedding, e.g. from
  :func:`~ecg_anomaly.plots.latent.project_2d` with ``method="umap"``).
- :func:`plot_cnn_curves`: the CNN notebook's precision-recall and ROC curves of its sigmoid
  "probability" (:func:`zscore_sigmoid`) with **normal** as the positive class.

Labels are the package's (0 normal, 1 abnormal); where a notebook shows its own (1 normal),
the figure says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ecg_anomaly.data.labels import ABNORMAL, NORMAL
from ecg_anomaly.plots._figure import new_figure


def plot_history(
    train_loss: Sequence[float],
    val_loss: Sequence[float] | None = None,
    *,
    title: str | None = None,
    ylabel: str | None = None,
) -> Any:
    """``plt.plot(history["loss"]); plt.plot(history["val_loss"]); plt.legend()``.

    Args:
        train_loss: Training loss per epoch (Keras's ``history["loss"]``), epoch 0 first.
        val_loss: Loss per epoch on the notebook's validation data, or None.
        title: The CNN notebook titles its figure ("Training and Validation Loss"); the others
            do not.
        ylabel: The CNN notebook's "Loss (MSE)"; the others label no axis.
    """
    fig, ax = new_figure(width=6.4, height=4.8)
    ax.plot(np.arange(len(train_loss)), train_loss, label="Training Loss")
    if val_loss is not None:
        ax.plot(np.arange(len(val_loss)), val_loss, label="Validation Loss")
    if title:
        ax.set_title(title)
        ax.set_xlabel("Epochs")
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.legend()
    return fig


def normal_positive_stats(flags: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """``print_stats`` of the notebooks: accuracy, precision and recall with normal positive.

    Args:
        flags: 1 = flagged abnormal, 0 = passed as normal.
        labels: 0 normal, 1 abnormal.
    """
    predicted, actual = flags == NORMAL, labels == NORMAL
    tp = int((predicted & actual).sum())
    return {
        "accuracy": float((predicted == actual).mean()),
        "precision": tp / max(int(predicted.sum()), 1),
        "recall": tp / max(int(actual.sum()), 1),
    }


def plot_lab_threshold_variant(
    scores: np.ndarray, labels: np.ndarray, lab_threshold: float, own_threshold: float
) -> Any:
    """The lab's contractive AE judged with the plain AE's threshold, beside its own threshold.

    The lab draws its scores as ``plt.hist(..., bins=50)`` ("Validation loss", "No of
    examples") and ends with ``print_stats(predict(cae, valid_data, threshold))``, where
    ``threshold`` is still the plain autoencoder's. Both classes' histograms are drawn, with
    that threshold (solid) and the contractive AE's own mean + 1 std (dashed); the legend
    prints ``print_stats`` for each.

    Args:
        scores: The contractive AE's MAE of each test ("valid") beat.
        labels: 0 normal, 1 abnormal.
        lab_threshold: The plain autoencoder's threshold (the lab's).
        own_threshold: The contractive autoencoder's own threshold (ours).
    """
    fig, ax = new_figure(width=7.2, height=4.8)
    bins = np.histogram_bin_edges(scores, bins=50)
    for cls, name, color in ((NORMAL, "normal", "tab:blue"), (ABNORMAL, "abnormal", "tab:red")):
        part = scores[labels == cls]
        ax.hist(part, bins=bins, color=color, alpha=0.5, label=f"{name} beats (n={len(part)})")
    for value, style, who in ((lab_threshold, "-", "plain AE's threshold (the lab's)"),
                              (own_threshold, "--", "its own threshold (ours)")):  # fmt: skip
        stats = normal_positive_stats((scores >= value).astype(int), labels)
        numbers = ", ".join(f"{k} {v:.3f}" for k, v in stats.items())
        ax.axvline(value, color="black", ls=style, label=f"{who} {value:.4g}:\n{numbers}")
    ax.set_title("Contractive AE scored with the plain AE's threshold (normal positive)")
    ax.set_xlabel("Validation loss")
    ax.set_ylabel("No of examples")
    ax.legend(fontsize="small", loc="upper right")
    return fig


def plot_class_pie(labels: np.ndarray) -> Any:
    """The Kaggle notebook's donut of the two classes' shares, white on black.

    ``go.Pie(labels=['Normal', 'Abnormal'], values=value_counts() / n, hole=.3)`` with
    ``textinfo='percent'``, gold and medium-turquoise slices, title "ECG dataset". The notebook
    names the slices by position, which is right only while normal beats are the majority;
    here each slice is counted by its label.

    Args:
        labels: 0 normal, 1 abnormal, one per beat of the file.
    """
    labels = np.asarray(labels)
    shares = [float(np.mean(labels == NORMAL)), float(np.mean(labels == ABNORMAL))]
    fig, ax = new_figure(width=6.4, height=5.2)
    fig.patch.set_facecolor("black")
    wedges, _, texts = ax.pie(
        shares,
        colors=["gold", "mediumturquoise"],
        autopct="%1.1f%%",
        pctdistance=0.65,
        startangle=90,
        counterclock=False,
        wedgeprops={"width": 0.7, "edgecolor": "white", "linewidth": 0.1},
    )
    for text in texts:
        text.set(color="white", fontsize=20)
    legend = ax.legend(wedges, ["Normal", "Abnormal"], loc="upper right", frameon=False)
    for text in legend.get_texts():
        text.set_color("white")
    ax.set_title("ECG dataset", color="white", loc="left")
    return fig


def plot_umap_points(embedding: np.ndarray, labels: np.ndarray) -> Any:
    """``umap.plot.points(mapper, labels=..., theme="fire")`` of the test beats' codes.

    The fire theme: black background, no ticks, one colour per label from the rainbow colour
    map, points of size ``100 / sqrt(n)``, a legend of the labels. The notebook's labels are
    1 for the codes of normal test beats and 0 for abnormal ones, drawn normal first.

    Args:
        embedding: The 2-d embedding ``(n, 2)`` of the codes (UMAP in the notebook).
        labels: 0 normal, 1 abnormal.
    """
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    embedding, labels = np.asarray(embedding), np.asarray(labels)
    notebook = np.where(labels == NORMAL, 1, 0)  # the notebook's labels: 1 = normal
    order = np.argsort(-notebook, kind="stable")  # its codes: normal first, abnormal on top
    colors = colormaps["rainbow"](np.linspace(0, 1, 2))  # label 0, label 1
    fig, ax = new_figure(width=6.4, height=6.4)
    ax.set_facecolor("black")
    points = embedding[order]
    ax.scatter(points[:, 0], points[:, 1], s=100 / np.sqrt(len(points)), c=colors[notebook[order]])
    ax.set(xticks=[], yticks=[])
    names = ("0 (abnormal)", "1 (normal)")
    ax.legend(handles=[Patch(facecolor=colors[k], label=names[k]) for k in (0, 1)])
    return fig


def zscore_sigmoid(errors: np.ndarray) -> np.ndarray:
    """The CNN notebook's "probability": ``1 / (1 + exp(-z))`` of the z-scored errors.

    The errors are z-scored with their own mean and population std (the test beats' in the
    notebook): higher = more abnormal, whatever the name says.
    """
    errors = np.asarray(errors, dtype=np.float64)
    return 1.0 / (1.0 + np.exp(-(errors - errors.mean()) / errors.std()))


def _counts(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False and true positives at each distinct score, highest first (scikit-learn's way)."""
    order = np.argsort(-scores, kind="mergesort")
    scores, positive = scores[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tps = np.cumsum(positive)[last]
    return 1 + last - tps, tps


def roc_curve_points(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(fpr, tpr)`` from (0, 0), as scikit-learn's ``roc_curve`` (all points kept)."""
    fps, tps = _counts(np.asarray(scores, dtype=np.float64), np.asarray(positive, dtype=bool))
    return np.r_[0.0, fps / fps[-1]], np.r_[0.0, tps / tps[-1]]


def pr_curve_points(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(precision, recall)`` as scikit-learn's ``precision_recall_curve`` returns them.

    One point per distinct score, lowest score (recall 1) first, then the final point
    (recall 0, precision 1).
    """
    fps, tps = _counts(np.asarray(scores, dtype=np.float64), np.asarray(positive, dtype=bool))
    precision, recall = tps / (tps + fps), tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0]


def trapezoid_area(x: np.ndarray, y: np.ndarray) -> float:
    """scikit-learn's ``auc(x, y)``: the trapezoid area under ``y(x)`` for monotonic ``x``."""
    area = float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))
    return -area if x[-1] < x[0] else area


def plot_cnn_curves(errors: np.ndarray, labels: np.ndarray) -> Any:
    """The CNN notebook's precision-recall and ROC curves, normal positive.

    The notebook scores each test beat with :func:`zscore_sigmoid` of its reconstruction
    error, which rises for abnormal beats, and draws the curves with ``y_true`` = 1 for normal
    beats: its ROC lies below the diagonal (it printed PR AUC 0.36, ROC AUC 0.03). The areas
    are ``auc(recall, precision)`` and ``auc(fpr, tpr)``, as it computes them.

    Args:
        errors: Reconstruction error (MSE) of each test beat.
        labels: 0 normal, 1 abnormal.
    """
    probability = zscore_sigmoid(errors)
    normal = np.asarray(labels) == NORMAL
    precision, recall = pr_curve_points(probability, normal)
    fpr, tpr = roc_curve_points(probability, normal)
    fig, (pr, roc) = new_figure(ncols=2, width=6.0, height=4.8)
    pr.plot(recall, precision, color="blue", lw=2, label="PR Curve")
    pr.plot([0, 1], [1, 0], color="gray", ls="--", label="Random Classifier")
    pr.set(xlabel="Recall", ylabel="Precision")
    pr.set_title(f"Precision-Recall Curve (AUC: {trapezoid_area(recall, precision):.2f})")
    roc.plot(fpr, tpr, color="red", lw=2, label="ROC Curve")
    roc.plot([0, 1], [0, 1], color="gray", ls="--", label="Random Classifier")
    roc.set(xlabel="False Positive Rate (FPR)", ylabel="True Positive Rate (TPR)")
    roc.set_title(f"Receiver Operating Characteristic (AUC: {trapezoid_area(fpr, tpr):.2f})")
    for ax in (pr, roc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.supxlabel(
        "positive class: normal; score: sigmoid of the z-scored error (higher = more abnormal)",
        fontsize="small",
    )
    return fig


#: The notebook figures a recipe can ask for (``notebook_figures`` in its experiment file).
NOTEBOOK_FIGURES = {
    "history": "Training and validation loss, as the notebook draws them",
    "class_pie": "The two classes' shares (the Kaggle notebook's pie)",
    "umap_points": "UMAP of the test beats' codes (the Kaggle notebook's, for its second model)",
    "cnn_curves": "PR and ROC curves of the sigmoid of the z-scored error, normal positive",
}


def draw_notebook_figures(data: Any, names: Sequence[str]) -> dict[str, Any]:
    """The notebook figures of :data:`NOTEBOOK_FIGURES` that the data allow, by name.

    Args:
        data: The run's :class:`~ecg_anomaly.plots.figure_data.FigureData`.
        names: The figures the recipe asks for.

    Raises:
        ValueError: A name that is no notebook figure.
    """
    unknown = sorted(set(names) - set(NOTEBOOK_FIGURES))
    if unknown:
        msg = f"notebook_figures: unknown {unknown}; choose from {sorted(NOTEBOOK_FIGURES)}"
        raise ValueError(msg)
    s = data.evaluation.scores.labelled()
    out: dict[str, Any] = {}
    history = data.loss_history
    if "history" in names and "train" in history:
        other = history.get("curve", history.get("val"))
        out["history"] = plot_history(history["train"][1], None if other is None else other[1])
    if "class_pie" in names and data.all_labels is not None:
        out["class_pie"] = plot_class_pie(data.all_labels)
    if "umap_points" in names and data.codes is not None and data.latent == "umap":
        from ecg_anomaly.plots.latent import project_2d

        embedding = project_2d(data.codes, "umap", data.seed)
        out["umap_points"] = plot_umap_points(embedding, data.code_labels)
    if "cnn_curves" in names and s.labels is not None and s.both_classes:
        out["cnn_curves"] = plot_cnn_curves(s.scores, s.labels)
    return out
