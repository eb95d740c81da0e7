"""DDP on CPU (two gloo processes) fits the same threshold and metrics as one process.

Training itself differs between one and two processes (each rank sees half of every batch),
so both runs start from the same trained checkpoint (``init_weights``) and train one epoch with
a learning rate of 0: the weights stay exactly as saved, and what is compared is what DDP must
get right, that every rank's scores are gathered before a threshold or a metric is computed.
The data are sized so that the ranks get shards of different lengths and batch counts.
"""

from __future__ import annotations

import json

import pytest

from ecg_anomaly.train import train
from tests.conftest import synthetic_beats, write_tf_csv
from tests.integration.test_sweep import TINY, run_train


@pytest.mark.slow
def test_ddp_on_two_cpu_processes_matches_one_process(make_cfg, tmp_path):
    # 403 beats: test 81 and validation 81 beats, so rank 0 gets 41 and rank 1 gets 40
    x, y = synthetic_beats(243, 160, seed=1)
    data = write_tf_csv(tmp_path / "odd.csv", x, y)
    common = [f"data.path={data}", "data.batch_size=32", "data.eval_batch_size=8", *TINY[1:]]
    train(make_cfg(*common, "trainer.max_epochs=3", f"paths.output_dir={tmp_path / 'trained'}"))
    ckpt = tmp_path / "trained" / "checkpoints" / "model.ckpt"
    frozen = ["trainer.max_epochs=1", f"init_weights={ckpt}", "model.optimizer.lr=0"]

    single = train(make_cfg(*common, *frozen, f"paths.output_dir={tmp_path / 'single'}"))
    proc = run_train(
        *common,
        *frozen,
        "trainer=ddp",
        "trainer.accelerator=cpu",
        "trainer.devices=2",
        f"hydra.run.dir={tmp_path / 'ddp'}",
        timeout=240,
    )
    ddp = json.loads((tmp_path / "ddp" / "metrics.json").read_text())
    log = (tmp_path / "ddp" / "train.log").read_text()
    assert "GLOBAL_RANK: 1" in log  # both ranks log into the run's train.log
    assert log.count("[INFO] - Fitted threshold") == 1  # said once, by rank 0
    assert "sync_dist" not in proc.stdout + proc.stderr + log  # no per-rank warning noise

    assert ddp["test/tp"] + ddp["test/tn"] + ddp["test/fp"] + ddp["test/fn"] == 81
    compared = [k for k in single if k.startswith(("test/", "val/", "threshold"))]
    assert {"threshold", "test/auroc", "test/f1", "val/auroc", "val/loss"} <= set(compared)
    for key in compared:
        assert ddp[key] == pytest.approx(single[key], abs=1e-6, nan_ok=True), key
