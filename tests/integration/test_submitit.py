"""A sweep through hydra-submitit-launcher's local executor (the SLURM launcher's twin)."""

from __future__ import annotations

import json

import pytest

from tests.integration.test_sweep import TINY, run_train


@pytest.mark.slow
def test_submitit_local_sweep_runs_both_jobs(synthetic_csv, tmp_path):
    sweep = tmp_path / "submitit"
    run_train(
        "-m",
        "hydra/launcher=submitit_local",
        "hydra.launcher.timeout_min=3",
        f"data.path={synthetic_csv}",
        *TINY,
        "seed=0,1",
        f"hydra.sweep.dir={sweep}",
    )
    for job, seed in (("0", 0), ("1", 1)):
        metrics = json.loads((sweep / job / "metrics.json").read_text())
        assert metrics["seed"] == seed
        assert 0.0 <= metrics["test/accuracy"] <= 1.0
    assert (sweep / ".submitit").is_dir()
    assert "2 ok, 0 failed" in (sweep / "summary.md").read_text()


def test_slurm_launcher_reads_the_local_cluster_settings(make_cfg):
    cfg = make_cfg("hydra/launcher=slurm", "+cluster.partition=gpu-a100", "+cluster.mem_gb=32")
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    assert launcher.partition == "gpu-a100"
    assert launcher.mem_gb == 32
    # settings the local file leaves out keep their defaults
    assert launcher.timeout_min == 60
    assert launcher.gpus_per_node == 1
