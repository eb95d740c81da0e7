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

#: A short run (6 epochs of 4 steps): the kill tests make it wait where they kill it.
SHORT = [
    "data.batch_size=64",
    "trainer.max_epochs=6",
    "report=false",
    "callbacks.progress_bar=null",
    "threads=1",
]
#: What differs between two runs of the same settings (paths, time, the pause's marker).
RUN_SPECIFIC = ("time/fit_seconds", "checkpoint", "overrides")


def start(*args: str) -> subprocess.Popen:
    # from the checkout's root, so that the test's pause callback (tests.pause) is importable
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        [sys.executable, "-m", "ecg_anomaly.train", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=root,
    )


def finish(proc: subprocess.Popen, code: int = 0) -> str:
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == code, out[-3000:]
    return out


def pause(at: str, marker: Path) -> list[str]:
    return [
        "+callbacks.pause._target_=tests.pause.PauseAt",
        f"+callbacks.pause.at={at}",
        f"+callbacks.pause.marker={marker}",
    ]


def kill_when_paused(proc: subprocess.Popen, marker: Path, sig: int) -> tuple[str, int]:
    """Wait for the run to reach its pause, then send ``sig``; its output and exit code."""
    deadline = time.monotonic() + 240
    while not marker.is_file():
        assert proc.poll() is None, proc.communicate()[0][-3000:]
        assert time.monotonic() < deadline, "the run never reached its pause"
        time.sleep(0.02)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=120)
    return out, proc.returncode


def results(run: Path) -> dict:
    metrics = json.loads((run / "metrics.json").read_text())
    return {k: v for k, v in metrics.items() if k not in RUN_SPECIFIC and not k.startswith("time/")}


KILLS = [
    # (where the run waits, the signal, its exit code): during fit; after the threshold was
    # fitted and model.ckpt saved; after the test, before the results are written
    ("epoch:3", signal.SIGINT, 130),
    ("epoch:3", signal.SIGKILL, -9),
    ("test_start", signal.SIGTERM, 143),
    ("test_end", signal.SIGINT, 130),
]


@pytest.mark.slow
def test_killed_runs_resume_to_the_same_results(synthetic_csv, tmp_path):
    data = f"data.path={synthetic_csv}"
    done = tmp_path / "no-pause"
    done.write_text("")  # an existing marker: the reference run does not wait
    finish(start(data, *SHORT, *pause("epoch:3", done), f"hydra.run.dir={tmp_path / 'whole'}"))
    expected = results(tmp_path / "whole")
    assert expected["epochs"] == 6 and "train/loss" in expected

    for at, sig, code in KILLS:
        run, marker = tmp_path / f"{at}-{sig.name}", tmp_path / f"{at}-{sig.name}.marker"
        proc = start(data, *SHORT, *pause(at, marker), f"hydra.run.dir={run}")
        out, returncode = kill_when_paused(proc, marker, sig)
        assert returncode == code, out[-3000:]
        assert not (run / "metrics.json").exists(), at
        if sig != signal.SIGKILL:  # a graceful stop: one line, and failure.json says how to resume
            assert "Traceback" not in out and f"Interrupted ({sig.name})" in out, out[-2000:]
            failure = json.loads((run / "failure.json").read_text())
            assert failure["status"] == "interrupted"
            assert failure["rerun"] == f"ecg-anomaly-train resume=true hydra.run.dir={run}"
        assert not list(run.glob("*.tmp")) and not list(run.glob(".*.tmp"))  # nothing half-written
        # the README's command: the run's own settings come from its folder
        finish(start("resume=true", f"hydra.run.dir={run}"))
        assert results(run) == expected, (at, sig.name)
        assert not (run / "failure.json").exists()


@pytest.mark.slow
def test_two_runs_started_together_get_a_folder_each(synthetic_csv, tmp_path):
    env = {**os.environ, "ECG_ANOMALY_LOG_DIR": str(tmp_path / "logs")}
    args = [sys.executable, "-m", "ecg_anomaly.train", f"data.path={synthetic_csv}"]
    args += ["trainer.max_epochs=1", "report=false"]
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
    common = ["trainer.max_epochs=2", "report=false"]
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
