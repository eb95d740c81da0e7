"""Hyper-parameter search with Hydra's Optuna sweeper: two tiny trials on CPU."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.integration.test_sweep import TINY, run_train

# The sweeper is the optuna extra, not in dev (it pins optuna<3): pip install -e ".[dev,optuna]"
pytest.importorskip("hydra_plugins.hydra_optuna_sweeper", reason="no optuna extra installed")


@pytest.mark.slow
def test_optuna_search_runs_trials_and_optimises_a_validation_metric(synthetic_csv, tmp_path):
    sweep = tmp_path / "search"
    run_train(
        "hparams_search=dense_ae_optuna",
        f"data.path={synthetic_csv}",
        *TINY,
        "hydra.sweeper.n_trials=2",
        "hydra.sweeper.sampler.n_startup_trials=1",
        f"hydra.sweep.dir={sweep}",
    )
    values = []
    for trial in ("0", "1"):
        metrics = json.loads((sweep / trial / "metrics.json").read_text())
        values.append(metrics["val/auroc"])
        overrides = (sweep / trial / ".hydra" / "overrides.yaml").read_text()
        assert "model.optimizer.lr=" in overrides  # the sampler chose it
    result = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert result["name"] == "optuna"
    assert set(result["best_params"]) >= {"model.optimizer.lr", "data.batch_size"}
    # the search maximises the validation ROC-AUC, which main() returned for each trial
    assert result["best_value"] == max(values)
    assert (sweep / "summary.csv").is_file()
