"""Nothing lost, nothing mixed: kills and resumes, one folder per run, bad checkpoints refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ecg_anomaly.errors import CheckpointError, ConfigError, RunFolderError
from ecg_anomaly.train import train
from tests.conftest import synthetic_beats, write_tf_csv

#: Long enough to be killed after a few epochs: 400 epochs of 4 steps (a few seconds).
LONG = [
    "data.batch_size=64",
    "trainer.max_epochs=400",
    "model.optimizer.lr=0.003",
    "callbacks.detection.report=false",
    "callbacks.progress_bar=null",
    "threads=1",
]
TIMING = ("time/fit_seconds", "checkpoint")


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ecg_anomaly.train", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(proc: subprocess.Popen, code: int = 0) -> str:
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == code, out[-3000:]
    return out


def kill_after_first_checkpoints(proc: subprocess.Popen, run: Path, sig: int) -> None:
    last = run / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 240
    while not last.is_file():
        assert proc.poll() is None, "the run ended before its first checkpoint"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)  # a few more epochs
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(sig)
    proc.wait(timeout=120)


def results(run: Path) -> dict:
    metrics = json.loads((run / "metrics.json").read_text())
    return {k: v for k, v in metrics.items() if k not in TIMING}


@pytest.mark.slow
def test_killed_runs_resume_to_the_same_results(synthetic_csv, tmp_path):
    data = f"data.path={synthetic_csv}"
    finish(start(data, *LONG, f"hydra.run.dir={tmp_path / 'whole'}"))
    expected = results(tmp_path / "whole")

    for name, sig in (("sigint", signal.SIGINT), ("sigkill", signal.SIGKILL)):
        run = tmp_path / name
        kill_after_first_checkpoints(start(data, *LONG, f"hydra.run.dir={run}"), run, sig)
        assert not (run / "metrics.json").exists()
        if sig == signal.SIGINT:  # a graceful stop says how to resume
            failure = json.loads((run / "failure.json").read_text())
            assert failure["status"] == "interrupted"
            assert failure["resume"] == f"ecg-anomaly-train resume=true hydra.run.dir={run}"
        # the README's command: the run's own settings come from its folder
        finish(start("resume=true", f"hydra.run.dir={run}"))
        assert results(run) == expected, name
        assert not (run / "failure.json").exists()
        # the loss history of the epochs before the kill is still there
        epochs = [
            line.split(",")[0] for line in (run / "csv" / "metrics.csv").read_text().splitlines()
        ]
        assert {str(e) for e in range(400)} <= set(epochs), name


def test_two_runs_started_together_get_a_folder_each(synthetic_csv, tmp_path):
    env = {**os.environ, "ECG_ANOMALY_LOG_DIR": str(tmp_path / "logs")}
    args = [sys.executable, "-m", "ecg_anomaly.train", f"data.path={synthetic_csv}"]
    args += ["trainer.max_epochs=1", "callbacks.detection.report=false"]
    procs = [subprocess.Popen([*args, f"seed={s}"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for s in (0, 1)]  # fmt: skip
    for proc in procs:
        finish(proc)
    runs = sorted((tmp_path / "logs" / "train" / "runs").iterdir())
    assert len(runs) == 2
    assert {json.loads((r / "metrics.json").read_text())["seed"] for r in runs} == {0, 1}
    for run in runs:
        log = (run / "train.log").read_text()
        assert log.count("Loaded 400 beats") == 1  # each log holds its own run only


def test_a_finished_run_folder_is_not_reused_unless_asked(make_cfg, tmp_path):
    first = train(make_cfg("trainer.max_epochs=1"))
    with pytest.raises(RunFolderError, match=r"finished run.*overwrite=true"):
        train(make_cfg("trainer.max_epochs=1", "seed=1"))
    assert json.loads((tmp_path / "metrics.json").read_text())["seed"] == 0  # untouched
    again = train(make_cfg("trainer.max_epochs=1", "resume=true"))  # same run: kept as is
    assert again == json.loads((tmp_path / "metrics.json").read_text())
    assert again["test/accuracy"] == pytest.approx(first["test/accuracy"])
    train(make_cfg("trainer.max_epochs=1", "seed=1", "overwrite=true"))
    assert json.loads((tmp_path / "metrics.json").read_text())["seed"] == 1


def test_a_folder_in_use_is_refused(make_cfg, tmp_path):
    # another live process holds the folder (this test's parent process)
    lock = {"pid": os.getppid(), "host": os.uname().nodename}
    (tmp_path / ".run.lock").write_text(json.dumps(lock))
    with pytest.raises(RunFolderError, match=f"in use by process {os.getppid()}"):
        train(make_cfg("trainer.max_epochs=1"))
    # a lock left by a killed process is taken over
    (tmp_path / ".run.lock").write_text(json.dumps({"pid": 2**22 + 7, "host": lock["host"]}))
    train(make_cfg("trainer.max_epochs=1"))
    assert not (tmp_path / ".run.lock").exists()


def test_a_failed_rerun_leaves_no_stale_results(make_cfg, tmp_path):
    (tmp_path / "scores.csv").write_text("index,score\n0,1\n")  # left by an earlier failed run
    (tmp_path / "failure.json").write_text("{}")
    with pytest.raises(ConfigError):
        train(make_cfg("threshold=f1_optimal", "data.val_size=0"))
    assert not (tmp_path / "scores.csv").exists()
    assert not (tmp_path / "metrics.json").exists()


def test_a_one_row_file_is_refused_with_the_sizes(make_cfg, tmp_path):
    x, y = synthetic_beats(1, 0)
    path = write_tf_csv(tmp_path / "one.csv", x, y)
    with pytest.raises(ConfigError, match=r"holds 1 beat.*data\.test_size"):
        train(make_cfg(f"data.path={path}"))


@pytest.mark.parametrize("key", ["ckpt_path", "init_weights"])
def test_bad_checkpoints_are_refused_in_training(make_cfg, tmp_path, key):
    class Boom:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    trap = tmp_path / "trap.ckpt"
    torch.save({"state_dict": {}, "x": Boom()}, trap)
    junk = tmp_path / "junk.ckpt"
    junk.write_bytes(b"not a checkpoint")
    for path, expected in ((trap, "arbitrary code"), (junk, "not a readable"),
                           (tmp_path / "missing.ckpt", "not found")):  # fmt: skip
        with pytest.raises(CheckpointError, match=expected) as err:
            train(make_cfg(f"{key}={path}", "trainer.max_epochs=1", "overwrite=true"))
        assert f"{key}=" in str(err.value)
        assert "weights_only=False" not in str(err.value)
    assert not (tmp_path / "pwned").exists()


def test_a_gzipped_file_gives_the_same_metrics_as_the_plain_one(make_cfg, synthetic_csv, tmp_path):
    import gzip

    packed = tmp_path / "ecg.csv.gz"
    packed.write_bytes(gzip.compress(synthetic_csv.read_bytes()))
    common = ["trainer.max_epochs=2", "callbacks.detection.report=false"]
    plain = train(make_cfg(*common, f"paths.output_dir={tmp_path / 'plain'}"))
    gz = train(make_cfg(*common, f"data.path={packed}", f"paths.output_dir={tmp_path / 'gz'}"))
    for key in ("test/accuracy", "test/auroc", "threshold", "test/tp", "test/fp"):
        assert gz[key] == plain[key], key


def test_resume_takes_the_runs_own_overrides_again_and_refuses_new_ones(tmp_path):
    from omegaconf import OmegaConf

    from ecg_anomaly.runs import claim, release, save_run_config

    own = ["experiment=dense_ae_mse_long", "seed=3"]
    save_run_config(tmp_path, OmegaConf.create({"seed": 3}), own)
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "last.ckpt").write_bytes(b"epoch 5")
    # a requeued job repeats its whole command line; a user may repeat part of it
    for given in ([], own, ["seed=3"], [*own, "threads=2"]):
        folder = claim(tmp_path, given, resume=True, overwrite=False)
        assert folder.resume_from == tmp_path / "checkpoints" / "last.ckpt", given
        assert folder.overrides == own
        release(tmp_path)
    with pytest.raises(RunFolderError, match=r"not among them: seed=4\. Resume with only"):
        claim(tmp_path, ["experiment=dense_ae_mse_long", "seed=4"], resume=True, overwrite=False)
