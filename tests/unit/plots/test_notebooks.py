"""The notebooks' figures: drawn from arrays, their numbers checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_anomaly.plots import save
from ecg_anomaly.plots.notebooks import (
    normal_positive_stats,
    plot_class_pie,
    plot_cnn_curves,
    plot_history,
    plot_lab_threshold_variant,
    plot_umap_points,
    pr_curve_points,
    roc_curve_points,
    trapezoid_area,
    zscore_sigmoid,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def saved_png(fig, path) -> bytes:
    data = save(fig, path).read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 5_000  # drawn, not an empty canvas
    return data


def cnn_confusion() -> tuple[np.ndarray, np.ndarray]:
    """The CNN notebook's printed matrix: 429 abnormal flagged, 11 passed; 35 normal flagged."""
    labels = np.r_[np.ones(440, int), np.zeros(560, int)]
    flags = np.r_[np.ones(429, int), np.zeros(11, int), np.ones(35, int), np.zeros(525, int)]
    return flags, labels


def test_history_plots_each_epoch_from_zero(tmp_path):
    fig = plot_history([0.058, 0.054, 0.049], [0.056, 0.052, 0.045])
    (ax,) = fig.axes
    train, val = ax.get_lines()
    assert train.get_xdata().tolist() == [0, 1, 2] and train.get_ydata().tolist()[0] == 0.058
    assert val.get_ydata().tolist()[-1] == 0.045
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Training Loss",
        "Validation Loss",
    ]
    assert ax.get_title() == "" and ax.get_ylabel() == ""  # the tutorial labels nothing
    saved_png(fig, tmp_path / "history.png")
    fig = plot_history([1.0, 0.1], [0.09, 0.04], title="Training and Validation Loss", ylabel="L")
    assert fig.axes[0].get_title() == "Training and Validation Loss"
    assert len(plot_history([1.0, 0.5]).axes[0].get_lines()) == 1


def test_normal_positive_stats_of_the_cnn_notebooks_matrix():
    stats = normal_positive_stats(*cnn_confusion())
    assert stats["accuracy"] == pytest.approx(0.954)
    assert stats["precision"] == pytest.approx(525 / 536)  # the notebook printed 0.94 (swapped)
    assert stats["recall"] == pytest.approx(525 / 560)  # and 0.98
    small = normal_positive_stats(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 0]))
    assert small == {"accuracy": 0.5, "precision": 0.5, "recall": 0.5}


def test_lab_variant_shows_both_thresholds_and_their_stats(tmp_path):
    scores = np.array([0.01, 0.02, 0.03, 0.05, 0.06, 0.07])
    labels = np.array([0, 0, 0, 1, 1, 1])
    fig = plot_lab_threshold_variant(scores, labels, lab_threshold=0.025, own_threshold=0.04)
    (ax,) = fig.axes
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [0.025, 0.04]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    # 0.025 flags the normal 0.03: 2 of 3 normals pass, both predicted normals are normal
    assert "accuracy 0.833, precision 1.000, recall 0.667" in texts[2]
    assert "accuracy 1.000, precision 1.000, recall 1.000" in texts[3]
    assert ax.get_xlabel() == "Validation loss" and ax.get_ylabel() == "No of examples"
    saved_png(fig, tmp_path / "lab.png")


def test_class_pie_shares_and_black_background(tmp_path):
    labels = np.array([0, 0, 0, 1])
    fig = plot_class_pie(labels)
    (ax,) = fig.axes
    percents = [t.get_text() for t in ax.texts if t.get_text()]  # (empty slice labels)
    assert percents == ["75.0%", "25.0%"]  # normal first, as the notebook's value_counts
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Normal", "Abnormal"]
    assert fig.get_facecolor()[:3] == (0.0, 0.0, 0.0)
    assert ax.get_title(loc="left") == "ECG dataset"
    saved_png(fig, tmp_path / "pie.png")


def test_umap_points_colours_by_the_notebooks_labels(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.r_[np.ones(30, int), np.zeros(70, int)]  # abnormal first in our order
    embedding = rng.normal(size=(100, 2)) + 3 * labels[:, None]
    fig = plot_umap_points(embedding, labels)
    (ax,) = fig.axes
    (points,) = ax.collections
    colors = points.get_facecolors()
    assert len(np.unique(colors, axis=0)) == 2
    # normal codes drawn first, abnormal on top (the notebook concatenates normal, abnormal)
    np.testing.assert_allclose(points.get_offsets()[0], embedding[30])
    np.testing.assert_allclose(points.get_offsets()[-1], embedding[29])
    assert points.get_sizes()[0] == pytest.approx(10.0)  # 100 / sqrt(100)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["0 (abnormal)", "1 (normal)"]
    assert ax.get_facecolor()[:3] == (0.0, 0.0, 0.0) and not ax.get_xticks().size
    saved_png(fig, tmp_path / "umap.png")


def test_zscore_sigmoid_by_hand():
    z = np.sqrt(1.5)  # errors 1, 2, 3: mean 2, population std sqrt(2/3)
    expected = [1 / (1 + np.exp(z)), 0.5, 1 / (1 + np.exp(-z))]
    np.testing.assert_allclose(zscore_sigmoid(np.array([1.0, 2.0, 3.0])), expected)


def test_curve_points_by_hand():
    scores, positive = np.array([0.9, 0.8, 0.7, 0.3]), np.array([1, 0, 1, 0], bool)
    fpr, tpr = roc_curve_points(scores, positive)
    assert fpr.tolist() == [0, 0, 0.5, 0.5, 1] and tpr.tolist() == [0, 0.5, 0.5, 1, 1]
    assert trapezoid_area(fpr, tpr) == pytest.approx(0.75)
    precision, recall = pr_curve_points(scores, positive)
    assert recall.tolist() == [1, 1, 0.5, 0.5, 0] and precision[-1] == 1
    np.testing.assert_allclose(precision[:4], [0.5, 2 / 3, 0.5, 1])
    assert trapezoid_area(recall, precision) == pytest.approx(0.5 * (2 / 3 + 0.5) / 2 + 0.5)


def test_curve_points_match_scikit_learn_with_ties():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    scores, positive = np.round(rng.random(300), 2), rng.random(300) < 0.4
    precision, recall, _ = metrics.precision_recall_curve(positive, scores)
    ours = pr_curve_points(scores, positive)
    np.testing.assert_allclose(ours[0], precision)
    np.testing.assert_allclose(ours[1], recall)
    fpr, tpr, _ = metrics.roc_curve(positive, scores, drop_intermediate=False)
    np.testing.assert_allclose(roc_curve_points(scores, positive), (fpr, tpr))
    assert trapezoid_area(recall, precision) == pytest.approx(metrics.auc(recall, precision))


def test_cnn_curves_take_normal_as_positive(tmp_path):
    rng = np.random.default_rng(2)
    labels = np.r_[np.zeros(60, int), np.ones(40, int)]
    errors = rng.random(100) + labels  # abnormal beats reconstruct worse: separable
    fig = plot_cnn_curves(errors, labels)
    pr, roc = fig.axes
    # the sigmoid rises for abnormal beats, the positive class is normal: the ROC is inverted
    assert roc.get_title() == "Receiver Operating Characteristic (AUC: 0.00)"
    assert pr.get_title().startswith("Precision-Recall Curve (AUC: ")
    roc_line = roc.get_lines()[0]
    assert roc_line.get_xdata()[0] == 0 and roc_line.get_ydata()[-1] == 1
    saved_png(fig, tmp_path / "cnn.png")


def test_draw_notebook_figures_draws_what_the_data_allow_and_refuses_unknown_names():
    from ecg_anomaly.anomaly.evaluation import evaluate
    from ecg_anomaly.anomaly.scoring import SplitScores
    from ecg_anomaly.plots.figure_data import FigureData
    from ecg_anomaly.plots.notebooks import draw_notebook_figures

    labels = np.array([0] * 30 + [1] * 20)
    scores = np.random.default_rng(0).normal(size=50) + 2 * labels
    data = FigureData(evaluation=evaluate(SplitScores("test", scores, labels), {"threshold": 1.0}))
    data.loss_history = {"train": (np.arange(3), np.array([3.0, 2.0, 1.0]))}
    data.all_labels = labels
    drawn = draw_notebook_figures(data, ["history", "class_pie", "cnn_curves", "umap_points"])
    # no codes gathered with latent=umap: no UMAP figure, the others are drawn
    assert sorted(drawn) == ["class_pie", "cnn_curves", "history"]
    with pytest.raises(ValueError, match="unknown"):
        draw_notebook_figures(data, ["pie"])
