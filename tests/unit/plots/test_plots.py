"""Each plot takes arrays and draws a figure headlessly; its numbers are checked by hand."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from ecg_anomaly.errors import ConfigError
from ecg_anomaly.plots import (
    example_rows,
    plot_class_balance,
    plot_confusion_matrix,
    plot_latent,
    plot_loss_curves,
    plot_pr,
    plot_reconstructions,
    plot_roc,
    plot_score_histogram,
    plot_scores_by_class,
    plot_scores_by_index,
    plot_traces,
    plot_training_errors,
    project_2d,
    save,
)
from ecg_anomaly.plots.gather import loss_history
from ecg_anomaly.plots.recording import clock, plot_scores_over_time, plot_strips, strip_starts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(fig, path, min_bytes=5_000):
    assert fig is not None
    written = save(fig, path)
    data = written.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > min_bytes  # axes, labels and data, not an empty canvas


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [
        t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()
    ]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    labels = np.array([0] * 30 + [1] * 20)
    x = rng.normal(size=(50, 40)).astype(np.float32) + labels[:, None]
    scores = rng.normal(size=50) + 2 * labels
    return x, labels, scores


def test_traces_show_the_first_ten_of_each_class(tmp_path, data):
    x, labels, _ = data
    fig = plot_traces(x, labels)
    normal_ax, abnormal_ax = fig.axes
    assert len(normal_ax.lines) == 10 and len(abnormal_ax.lines) == 10
    # the first normal trace is row 0, the first abnormal one row 30
    np.testing.assert_array_equal(normal_ax.lines[0].get_ydata(), x[0])
    np.testing.assert_array_equal(abnormal_ax.lines[0].get_ydata(), x[30])
    assert_png(fig, tmp_path / "traces.png")
    assert plot_traces(x, np.full(50, 7)) is None  # neither class: nothing to draw


def test_reconstructions_of_the_median_beat_of_each_class(tmp_path, data):
    x, _, _ = data
    scores = np.array([3.0, 1.0, 2.0, 10.0, 30.0, 20.0])
    picked = example_rows(scores, np.array([0, 0, 0, 1, 1, 1]))
    assert picked == {0: 2, 1: 5}  # medians: 2.0 (row 2) and 20.0 (row 5)
    fig = plot_reconstructions(x[:2], x[:2] * 0.9, np.array([0, 1]), scores[:2], np.array([7, 9]))
    assert [ax.get_title() for ax in fig.axes] == [
        "normal beat, row 7 (score 3)",
        "abnormal beat, row 9 (score 1)",
    ]
    assert_png(fig, tmp_path / "recon.png")


def test_training_errors_draw_mean_and_one_and_two_std(data):
    scores = np.array([1.0, 2.0, 3.0, 4.0])  # mean 2.5, population std sqrt(1.25) = 1.118
    fig = plot_training_errors(scores, threshold=2.5 + np.sqrt(1.25))
    lines = [line.get_xdata()[0] for line in fig.axes[0].lines]
    np.testing.assert_allclose(lines, [2.5, 2.5 + 1.1180340, 2.5 + 2 * 1.1180340], rtol=1e-6)
    assert "mean + 2 std = 4.736" in texts(fig)


def test_score_plots(tmp_path, data):
    _, labels, scores = data
    assert_png(plot_score_histogram(scores, labels, 1.0), tmp_path / "hist.png")
    assert_png(plot_score_histogram(scores, None, float("nan")), tmp_path / "hist_u.png")
    fig = plot_scores_by_index(scores, labels, 1.0, rows=np.arange(100, 150))
    xs = np.concatenate([c.get_offsets()[:, 0] for c in fig.axes[0].collections])
    assert sorted(xs) == list(range(100, 150))
    assert_png(fig, tmp_path / "by_index.png")
    classes = np.array([1] * 30 + [3] * 20)
    fig = plot_scores_by_class(scores, classes, 1.0, {1: "normal", 3: "PVC"})
    labels_shown = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels_shown == ["1: normal\n(n=30)", "3: PVC\n(n=20)"]
    assert_png(plot_roc(scores * 100, labels), tmp_path / "roc.png")
    assert_png(plot_pr(scores * 100, labels), tmp_path / "pr.png")


def test_confusion_matrix_in_both_orientations(tmp_path):
    fig = plot_confusion_matrix(25, 5, 3, 17)  # tn fp fn tp, abnormal positive
    assert [t.split("\n")[0] for t in texts(fig)[:4]] == ["25", "5", "3", "17"]
    assert "TN=25  FP=5" in texts(fig)
    # normal positive (the notebooks): rows and columns abnormal, normal; a normal beat
    # predicted normal (25) is now a true positive
    fig = plot_confusion_matrix(25, 5, 3, 17, positive="normal")
    assert [t.split("\n")[0] for t in texts(fig)[:4]] == ["17", "3", "5", "25"]
    assert "FN=5  TP=25" in texts(fig)
    assert_png(fig, tmp_path / "cm.png")


def test_class_balance_counts(tmp_path):
    fig = plot_class_balance(
        {"train": {"normal": 7, "abnormal": 3}, "val": {"normal": 0, "abnormal": 0}}
    )
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == [7, 3]  # the empty split is left out
    assert_png(fig, tmp_path / "balance.png", min_bytes=3_000)


def test_figures_save_as_pdf_and_svg(tmp_path, data):
    _, labels, scores = data
    first = save(plot_score_histogram(scores, labels, 1.0), tmp_path / "h", ("svg", "pdf"))
    assert first == tmp_path / "h.svg"
    assert (tmp_path / "h.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "h.pdf").read_bytes()[:5] == b"%PDF-"
    with pytest.raises(ConfigError, match="formats"):
        save(plot_score_histogram(scores, labels, 1.0), tmp_path / "h", ("jpg",))


def test_loss_history_comes_from_the_model_history_with_0_based_epochs(tmp_path):
    # the model's own history (saved in its checkpoint), whatever the logger
    rows = [
        {"epoch": 0.0, "train/loss": 0.6, "val/loss": 0.5},
        {"epoch": 1.0, "train/loss": 0.45, "val/loss": 0.4},
    ]
    history = loss_history(rows)
    np.testing.assert_array_equal(history["train"][0], [0, 1])
    np.testing.assert_allclose(history["train"][1], [0.6, 0.45])
    np.testing.assert_allclose(history["val"][1], [0.5, 0.4])
    fig = plot_loss_curves(history)
    assert fig.axes[0].get_title() == "Training and validation loss"
    assert_png(fig, tmp_path / "loss.png", min_bytes=3_000)
    train_only = loss_history([{"epoch": 0.0, "train/loss": 0.6}])
    assert set(train_only) == {"train"}
    assert plot_loss_curves(train_only).axes[0].get_title() == "Training loss"
    assert loss_history([]) == {}
    assert plot_loss_curves({}) is None


def test_clock_times():
    assert [clock(s) for s in (0, 65.4, 3599.6, 3600, 7325)] == [
        "0:00", "1:05", "1:00:00", "1:00:00", "2:02:05"
    ]  # fmt: skip


def test_strips_show_a_false_alarm_and_the_unit(tmp_path):
    fs = 100.0
    signal = np.sin(np.arange(6000) / 10.0)
    time = np.arange(1.0, 60.0, 1.0)
    flags = np.zeros(len(time), int)
    flags[[10, 40]] = 1
    labels = np.zeros(len(time), int)
    labels[10] = 1  # beat 40 is a false alarm: flagged, annotated normal
    scores = np.where(flags == 1, 3.0, 1.0)
    starts = strip_starts(time, scores, flags, 10.0, labels=labels)
    assert len(starts) == 2 and any(s <= time[40] < s + 10 for s in starts)
    fig = plot_strips(signal, fs, time, flags, scores, starts, units="mV", labels=labels)
    assert fig.axes[0].get_ylabel() == "ECG (mV)"
    assert "false alarm" in fig.axes[-1].get_xlabel()
    assert_png(fig, tmp_path / "strips.png")


def test_long_recordings_draw_scores_as_a_density_with_the_flagged_beats_on_top(tmp_path):
    time = np.linspace(0, 2 * 3600, 9000)
    scores = np.random.default_rng(0).normal(size=len(time))
    scores[::500] = 10.0
    fig = plot_scores_over_time(time, scores, threshold=5.0)
    ax = fig.axes[0]
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1  # outside
    assert any("flagged (n=18)" in t for t in texts(fig))
    assert_png(fig, tmp_path / "scores.png")


def test_roc_and_pr_mark_the_operating_point(data):
    _, labels, scores = data
    point = {"fpr": 0.1, "recall": 0.8, "precision": 0.9}
    roc = plot_roc(scores, labels, point=point)
    pr = plot_pr(scores, labels, point=point)
    assert any(t.startswith("threshold (0.100, 0.800)") for t in texts(roc))
    assert any(t.startswith("threshold (0.800, 0.900)") for t in texts(pr))


def test_pca_finds_the_main_axes():
    # points on a line along (1, 1, 0) plus a small spread along z: PC1 carries the line
    t = np.linspace(-1, 1, 21)
    codes = np.column_stack([t, t, 0.01 * np.cos(7 * t)])
    points = project_2d(codes, "pca")
    assert points.shape == (21, 2)
    np.testing.assert_allclose(np.abs(points[:, 0]), np.abs(t) * np.sqrt(2), atol=1e-6)
    assert np.abs(points[:, 1]).max() < 0.02


def test_projection_choices(tmp_path, data):
    x, labels, _ = data
    assert_png(plot_latent(x[:, :8], labels), tmp_path / "latent.png")
    with pytest.raises(ConfigError, match="latent"):
        project_2d(x, "lda")


@pytest.mark.slow
def test_tsne_projection(data):
    pytest.importorskip("sklearn")
    x, _, _ = data
    assert project_2d(x[:, :8], "tsne").shape == (50, 2)


def test_umap_without_umap_learn_says_which_extra_to_install(monkeypatch, data):
    real_import = builtins.__import__

    def no_umap(name, *args, **kwargs):
        if name == "umap":
            raise ImportError("No module named 'umap'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_umap)
    x, _, _ = data
    with pytest.raises(
        ConfigError, match=r"pip install -e \".*\[umap\]\" \(or pip install umap-learn\)"
    ):
        project_2d(x, "umap")
