"""The files of a training run: scores.csv, every plot and report.md."""

from __future__ import annotations

import pandas as pd

from ecg_anomaly.plots.report import PLOT_TITLES
from ecg_anomaly.train import train

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_training_run_writes_scores_plots_and_report(make_cfg, tmp_path):
    results = train(
        make_cfg("experiment=tf_tutorial_dense_ae", "trainer.max_epochs=2", "report=true")
    )

    # every plot: a dense autoencoder has reconstructions and a code; the tutorial's file has
    # no class codes (only the UCR files do), so no per-class plot
    recording_only = ("strips", "scores_over_time", "mean_beats")
    expected = [
        k
        for k in PLOT_TITLES
        if k != "scores_by_class"
        and k not in recording_only
        and (not k.startswith("notebook_") or k == "notebook_history")  # the tutorial's own
    ]
    assert sorted(p.stem for p in (tmp_path / "plots").iterdir()) == sorted(expected)
    for key in expected:
        png = tmp_path / "plots" / f"{key}.png"
        assert png.is_file(), key
        data = png.read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 5_000, key
    report = (tmp_path / "report.md").read_text()
    assert "| test/accuracy |" in report
    for key in expected:
        assert f"](plots/{key}.png)" in report, key

    scores = pd.read_csv(tmp_path / "scores.csv")
    assert list(scores.columns) == ["index", "label", "score", "flag"]
    assert len(scores) == results["data/test/normal"] + results["data/test/abnormal"]
    assert int(scores["flag"].sum()) == results["test/tp"] + results["test/fp"]
    assert (scores["flag"] == (scores["score"] >= results["threshold"])).all()


def test_report_can_be_switched_off(make_cfg, tmp_path):
    train(make_cfg("report=false", "trainer.max_epochs=1"))
    assert not (tmp_path / "report.md").exists()
    assert not (tmp_path / "plots").exists()
    assert (tmp_path / "metrics.json").is_file()


def test_a_notebook_recipe_draws_the_notebooks_own_figures(make_cfg, tmp_path):
    # the tutorial validates on its test beats: the curve is drawn beside the training loss,
    # from the model's history, and decides nothing
    results = train(make_cfg("experiment=tf_tutorial_dense_ae", "trainer.max_epochs=3",
                             "report=true", "+notebook_figures=[history,class_pie]"))  # fmt: skip
    import torch

    history = torch.load(tmp_path / "checkpoints" / "model.ckpt", weights_only=True)["ecg_anomaly"][
        "history"
    ]
    assert [sorted(row) for row in history] == [["curve/loss", "epoch", "train/loss"]] * 3
    assert "curve/loss" not in results  # a plot, not a result
    for name in ("notebook_history", "notebook_class_pie", "loss"):
        assert (tmp_path / "plots" / f"{name}.png").is_file(), name
