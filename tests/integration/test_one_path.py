"""One evaluation path: each split scored once, a plain Trainer gets the metrics, bad settings
refused."""

from __future__ import annotations

import sys
from collections import Counter

import lightning as L
import numpy as np
import pytest
import torch

from ecg_anomaly.anomaly.postprocess import PostProcessor
from ecg_anomaly.anomaly.scoring import ScoreCollector
from ecg_anomaly.anomaly.thresholds import MeanStdThreshold
from ecg_anomaly.checkpoints import load_model
from ecg_anomaly.data import ECG5000DataModule
from ecg_anomaly.models import DenseAutoencoder
from ecg_anomaly.train import main, train


def test_each_split_is_scored_once_in_a_full_run(make_cfg, tmp_path, monkeypatch):
    scored: Counter[str] = Counter()
    compute = ScoreCollector.compute

    def counting(self):
        scored[self.split] += 1
        return compute(self)

    monkeypatch.setattr(ScoreCollector, "compute", counting)
    # every consumer at once: an F1-optimal threshold on validation, an extra mean + 2 std on
    # training beats, validation metrics, test metrics, scores.csv and the full report
    cfg = make_cfg(
        "threshold=f1_optimal",
        "data.val_size=0.25",
        "report=true",
        "+extra_thresholds.mean_2std._target_=ecg_anomaly.anomaly.thresholds.MeanStdThreshold",
        "+extra_thresholds.mean_2std.k=2",
    )
    results = train(cfg)
    assert scored == {"train": 1, "val": 1, "test": 1}
    assert {"test/mean_2std/accuracy", "val/auroc", "val/accuracy"} <= set(results)
    assert (tmp_path / "plots" / "training_errors.png").is_file()


def plain_trainer(**kwargs) -> L.Trainer:
    """A Lightning Trainer with no callback of ours."""
    return L.Trainer(
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        **kwargs,
    )


def test_a_plain_trainer_on_a_loaded_checkpoint_returns_the_training_runs_metrics(
    trained_run, synthetic_csv
):
    run, results = trained_run
    model, _ = load_model(run / "checkpoints" / "model.ckpt")
    dm = ECG5000DataModule(path=synthetic_csv, download=False, val_size=0.0)
    (metrics,) = plain_trainer().test(model, datamodule=dm, verbose=False)
    for key in ("test/accuracy", "test/auroc", "test/f1", "test/tp", "test/fp"):
        assert metrics[key] == pytest.approx(results[key], abs=1e-6), key


def test_plain_lightning_trainer_fits_and_tests_with_no_callback_of_ours(synthetic_csv):
    torch.manual_seed(0)
    dm = ECG5000DataModule(path=synthetic_csv, download=False, val_size=0.0, batch_size=32)
    dm.setup("fit")
    model = DenseAutoencoder(seq_len=dm.seq_len, post=PostProcessor(MeanStdThreshold(k=1.0)))
    model.normalizer.load_state_dict(dm.normalizer.state_dict())
    trainer = L.Trainer(
        max_epochs=3,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, datamodule=dm)
    (metrics,) = trainer.test(model, datamodule=dm, verbose=False)

    # the same numbers by hand, from the public scoring API
    x, y = dm.split("test")
    scores = model.score(x).numpy()  # detached: no .detach() needed
    train_normal = model.score(dm.split("train", normal_only=True)[0]).numpy().astype(np.float64)
    assert model.post.value == pytest.approx(train_normal.mean() + train_normal.std())
    flags = scores >= model.post.value
    labels = y.numpy()
    assert metrics["test/accuracy"] == pytest.approx(float((flags == labels).mean()), abs=1e-6)
    assert metrics["test/tp"] == int((flags & (labels == 1)).sum())

    batches = trainer.predict(model, datamodule=dm)
    predicted = torch.cat([b["flags"] for b in batches]).numpy()
    assert predicted.sum() == flags.sum()


BAD_SETTINGS = [
    (["data.normalization=foo"], "data.normalization='foo'", "global_minmax"),
    (["model.loss=huber"], "model.loss='huber'", "mae, mse"),
    (["threshold.k=-1"], "threshold.k=-1", ">= 0"),
    (["threshold=percentile", "threshold.q=101"], "threshold.q=101", "[0, 100]"),
    (["data.test_size=1.5"], "data.test_size=1.5", "[0, 1)"),
    (["data.val_size=-0.1"], "data.val_size=-0.1", "[0, 1)"),
    (["data.batch_size=0"], "data.batch_size=0", ">= 1"),
    (["trainer.max_epochs=0"], "trainer.max_epochs=0", ">= 1"),
]


@pytest.mark.parametrize(("overrides", "key", "allowed"), BAD_SETTINGS)
def test_bad_settings_are_refused_by_the_cli_before_training(
    overrides, key, allowed, synthetic_csv, tmp_path, monkeypatch, capfd
):
    # the console entry point in this process (a subprocess per case would cost ~5 s each)
    argv = ["ecg-anomaly-train", *overrides, f"data.path={synthetic_csv}"]
    monkeypatch.setattr(sys, "argv", [*argv, f"hydra.run.dir={tmp_path}"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    err = capfd.readouterr()
    console = err.out + err.err
    assert "Traceback" not in console
    (line,) = [line for line in console.splitlines() if "ERROR" in line]  # one paragraph
    assert key in line and allowed in line
    assert not (tmp_path / "checkpoints").exists()  # refused before training
