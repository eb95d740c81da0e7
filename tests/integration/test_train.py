"""Whole training runs through the real entry point, on small synthetic data."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from ecg_anomaly.train import train


def test_tutorial_experiment_runs_and_writes_metrics(make_cfg, tmp_path):
    cfg = make_cfg("experiment=tf_tutorial_dense_ae", "trainer.max_epochs=30")
    results = train(cfg)

    saved = json.loads((tmp_path / "metrics.json").read_text())
    for key in (
        "test/accuracy", "test/precision", "test/recall", "test/specificity", "test/f1",
        "test/auroc", "test/auprc", "test/normal_precision", "test/normal_recall",
        "threshold", "seed", "model",
    ):  # fmt: skip
        assert key in saved, key
    assert saved["model"] == "DenseAutoencoder"
    assert saved["experiment"] == "tf_tutorial_dense_ae"
    assert saved["test/accuracy"] == pytest.approx(results["test/accuracy"])
    # 80 test beats: the counts of the confusion matrix add up, and accuracy matches them
    n = saved["test/tp"] + saved["test/tn"] + saved["test/fp"] + saved["test/fn"]
    assert n == 80
    assert saved["test/accuracy"] == pytest.approx((saved["test/tp"] + saved["test/tn"]) / n)
    # the synthetic abnormal beats are easy: the model separates them
    assert saved["test/auroc"] > 0.9

    ckpt = torch.load(tmp_path / "checkpoints" / "model.ckpt", weights_only=True)
    assert ckpt["state_dict"]["post.threshold"].item() == saved["threshold"]  # exactly
    assert ckpt["ecg_anomaly"]["class_path"] == "ecg_anomaly.models.dense_ae.DenseAutoencoder"
    assert (tmp_path / "checkpoints" / "last.ckpt").is_file()
    # the model's own loss history, 0-based epochs, saved with it
    history = ckpt["ecg_anomaly"]["history"]
    assert [row["epoch"] for row in history] == list(range(30))
    assert history[-1]["train/loss"] == pytest.approx(saved["train/loss"])


def test_sequence_length_comes_from_the_data(make_cfg, tmp_path):
    from tests.conftest import synthetic_beats, write_tf_csv

    x, y = synthetic_beats(60, 40, seq_len=96)
    path = write_tf_csv(tmp_path / "short.csv", x, y)
    results = train(make_cfg(f"data.path={path}", "trainer.max_epochs=1"))
    ckpt = torch.load(tmp_path / "checkpoints" / "model.ckpt", weights_only=True)
    assert ckpt["hyper_parameters"]["seq_len"] == 96
    assert ckpt["state_dict"]["normalizer.shift"].shape == (96,)
    assert results["data/test/normal"] + results["data/test/abnormal"] == 20


@pytest.mark.slow
def test_console_script_reports_missing_data_without_traceback(tmp_path):
    # the installed console script, in its own process
    missing = tmp_path / "nope.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "ecg_anomaly.train", f"data.path={missing}",
         f"hydra.run.dir={tmp_path}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert str(missing) in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


def test_threshold_without_its_split_is_refused_before_training(make_cfg, tmp_path):
    from ecg_anomaly.errors import ConfigError

    cfg = make_cfg("experiment=tf_tutorial_dense_ae", "threshold=f1_optimal")
    with pytest.raises(ConfigError, match=r"data\.val_size"):
        train(cfg)
    assert not (tmp_path / "checkpoints" / "last.ckpt").exists()
