"""Each plot writes a real PNG headlessly; the pieces with numbers are checked by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ecg_anomaly.plots import (
    plot_confusion_matrix,
    plot_example_beats,
    plot_latent,
    plot_loss_curves,
    plot_pr,
    plot_reconstructions,
    plot_roc,
    plot_score_histogram,
    project_2d,
    read_loss_history,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path, min_bytes=5_000):
    assert path is not None and path.is_file()
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > min_bytes  # axes, labels and data, not an empty canvas


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    labels = np.array([0] * 30 + [1] * 20)
    x = rng.normal(size=(50, 40)).astype(np.float32) + labels[:, None]
    scores = rng.normal(size=50) + 2 * labels
    return x, labels, scores


def test_beat_plots(tmp_path, data):
    x, labels, scores = data
    assert_png(plot_example_beats(x, labels, tmp_path / "beats.png"))
    recon = x * 0.9
    assert_png(plot_reconstructions(x, recon, labels, scores, tmp_path / "recon.png"))
    # no labelled beat of either class: nothing to draw
    assert plot_example_beats(x, np.full(50, 7), tmp_path / "none.png") is None


def test_score_plots(tmp_path, data):
    _, labels, scores = data
    assert_png(plot_score_histogram(scores, labels, 1.0, tmp_path / "hist.png"))
    assert_png(plot_score_histogram(scores, None, float("nan"), tmp_path / "hist_unlabelled.png"))
    assert_png(plot_confusion_matrix(25, 5, 3, 17, tmp_path / "cm.png"))
    assert_png(plot_roc(scores * 100, labels, tmp_path / "roc.png"))
    assert_png(plot_pr(scores * 100, labels, tmp_path / "pr.png"))


def test_loss_history_reads_lightning_csv_and_tolerates_missing_validation(tmp_path):
    # a CSVLogger file: train and val losses on separate rows of the same epoch, test at the end
    csv = tmp_path / "metrics.csv"
    csv.write_text(
        "epoch,step,test/accuracy,train/loss,val/loss\n"
        "0,0,,,0.5\n0,0,,0.6,\n1,1,,,0.4\n1,1,,0.45,\n2,2,0.9,,\n"
    )
    history = read_loss_history(csv)
    np.testing.assert_array_equal(history["train"][0], [1, 2])
    np.testing.assert_allclose(history["train"][1], [0.6, 0.45])
    np.testing.assert_allclose(history["val"][1], [0.5, 0.4])
    assert_png(plot_loss_curves(csv, tmp_path / "loss.png"), min_bytes=3_000)

    csv.write_text("epoch,step,train/loss\n0,0,0.6\n1,1,0.5\n")
    assert set(read_loss_history(csv)) == {"train"}
    assert_png(plot_loss_curves(csv, tmp_path / "loss_train_only.png"), min_bytes=3_000)
    assert plot_loss_curves(tmp_path / "missing.csv", tmp_path / "none.png") is None


def test_pca_finds_the_main_axes():
    # points on a line along (1, 1, 0) plus a small spread along z: PC1 carries the line
    t = np.linspace(-1, 1, 21)
    codes = np.column_stack([t, t, 0.01 * np.cos(7 * t)])
    points, used = project_2d(codes, "pca")
    assert used == "pca" and points.shape == (21, 2)
    np.testing.assert_allclose(np.abs(points[:, 0]), np.abs(t) * np.sqrt(2), atol=1e-6)
    assert np.abs(points[:, 1]).max() < 0.02


def test_projection_choices(tmp_path, data):
    x, labels, _ = data
    assert_png(plot_latent(x[:, :8], labels, tmp_path / "latent.png"))
    with pytest.raises(ValueError, match="unknown projection"):
        project_2d(x, "lda")
    pytest.importorskip("sklearn")
    points, used = project_2d(x[:, :8], "tsne")
    assert used == "tsne" and points.shape == (50, 2)


def test_umap_falls_back_to_pca_when_not_installed(data):
    try:
        import umap  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("umap-learn is installed")
    x, _, _ = data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, used = project_2d(x, "umap")
    assert used == "pca"
    assert any("umap-learn" in str(w.message) for w in caught)
