"""Every recipe in conf/experiment/ runs for one quick step on synthetic data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from ecg_anomaly.train import train
from ecg_anomaly.utils.config import config_dir

EXPERIMENTS = sorted(p.stem for p in (Path(config_dir()) / "experiment").glob("*.yaml"))

KEYS = (
    "test/accuracy", "test/precision", "test/recall", "test/specificity", "test/f1",
    "test/auroc", "test/auprc", "test/normal_precision", "test/normal_recall",
    "threshold", "seed", "model",
)  # fmt: skip


def test_the_recipes_are_found():
    assert {"tf_tutorial_dense_ae", "cnn_conv_ae", "course_vae"} <= set(EXPERIMENTS)


@pytest.mark.slow
@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_runs_one_quick_step(experiment, make_cfg, tmp_path):
    cfg = make_cfg(
        f"experiment={experiment}",
        "trainer.max_epochs=1",
        "+trainer.limit_train_batches=1",
        "data.batch_size=64",
    )
    results = train(cfg)

    saved = json.loads((tmp_path / "metrics.json").read_text())
    for key in KEYS:
        assert key in saved, key
    assert saved["experiment"] == experiment
    assert saved["test/accuracy"] == pytest.approx(results["test/accuracy"])
    # every extra threshold of the recipe is reported too
    for name in cfg.get("extra_thresholds") or {}:
        assert f"test/{name}/accuracy" in saved


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_recipe_composes_and_builds_its_model_and_thresholds(experiment, make_cfg):
    from hydra.utils import instantiate

    from ecg_anomaly.anomaly.thresholds import Threshold

    cfg = make_cfg(f"experiment={experiment}")
    assert isinstance(instantiate(cfg.threshold), Threshold)
    for node in (cfg.get("extra_thresholds") or {}).values():
        assert isinstance(instantiate(node), Threshold)
    model = instantiate(cfg.model, seq_len=140, normalization=cfg.data.normalization)
    assert model.score(torch.zeros(2, 140)).shape == (2,)


@pytest.mark.slow
@pytest.mark.parametrize("experiment", EXPERIMENTS)
@pytest.mark.parametrize("threshold", ["mean_std", "percentile", "f1_optimal", "manual"])
def test_every_threshold_can_replace_the_recipes_own(experiment, threshold, make_cfg):
    from hydra.utils import instantiate

    from ecg_anomaly.anomaly.thresholds import Threshold

    cfg = make_cfg(f"experiment={experiment}", f"threshold={threshold}")
    assert isinstance(instantiate(cfg.threshold), Threshold)
