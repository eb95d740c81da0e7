"""A multi-run through the console entry point: one folder per job, a summary, failures recorded."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

#: Overrides that keep a whole run to a second: one epoch, no progress bar, no report plots.
TINY = [
    "trainer.max_epochs=1",
    "callbacks.progress_bar=null",
    "trainer.enable_progress_bar=false",
    "report=false",
    "data.download=false",
]


def run_train(*args: str, timeout: float = 180, code: int = 0) -> subprocess.CompletedProcess:
    """Run ``python -m ecg_anomaly.train``; fail with its output unless it exits with ``code``."""
    proc = subprocess.run(
        [sys.executable, "-m", "ecg_anomaly.train", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == code, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.mark.slow
def test_sweep_runs_every_job_and_summarises_them_with_the_failed_one(synthetic_csv, tmp_path):
    sweep = tmp_path / "sweep"
    proc = run_train(
        "-m",
        f"data.path={synthetic_csv}",
        *TINY,
        "seed=0,1",
        # the second value is invalid: those jobs fail, the others still run
        "data.normalization=global_minmax,bogus",
        f"hydra.sweep.dir={sweep}",
        code=1,  # a job failed: the sweep says so in its exit code, after the summary
    )
    # one line per failed job on the console, no traceback (it is in the job's failure.json)
    console = proc.stdout + proc.stderr
    assert "Traceback" not in console
    assert console.count("job 1 failed: ConfigError: data.normalization='bogus'") == 1
    assert "2 of 4 jobs failed" in console
    jobs = sorted(p.name for p in sweep.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert jobs == ["0", "1", "2", "3"]
    for job in ("0", "2"):
        metrics = json.loads((sweep / job / "metrics.json").read_text())
        assert 0.0 <= metrics["test/auroc"] <= 1.0
        assert "val/loss" in metrics
        assert "time/fit_seconds" in metrics
    for job in ("1", "3"):
        failure = json.loads((sweep / job / "failure.json").read_text())
        assert failure["status"] == "failed"
        assert "bogus" in failure["error"]
        assert "Traceback" in failure["traceback"]
        assert "data.normalization=bogus" in failure["overrides"]

    with (sweep / "summary.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["job"] for r in rows] == ["0", "1", "2", "3"]
    assert [r["status"] for r in rows] == ["ok", "failed", "ok", "failed"]
    assert rows[0]["overrides"] == "seed=0 data.normalization=global_minmax"
    assert rows[3]["overrides"] == "seed=1 data.normalization=bogus"
    assert "data.normalization='bogus' is not allowed" in rows[1]["error"]
    assert (
        float(rows[2]["test/accuracy"])
        == json.loads((sweep / "2" / "metrics.json").read_text())["test/accuracy"]
    )
    summary_md = (sweep / "summary.md").read_text()
    assert "2 ok, 2 failed" in summary_md
    assert "| 1 | failed | seed=0 data.normalization=bogus |" in summary_md
    assert "Mean ± std over seeds" in summary_md


def test_summary_lists_a_job_that_left_no_results(tmp_path: Path):
    from ecg_anomaly.sweep import collect_jobs, write_summary

    for job, overrides in (("0", ["seed=0"]), ("1", ["seed=1"])):
        (tmp_path / job / ".hydra").mkdir(parents=True)
        (tmp_path / job / ".hydra" / "overrides.yaml").write_text(f"- {overrides[0]}\n")
    (tmp_path / "0" / "metrics.json").write_text(json.dumps({"test/f1": 0.5, "seed": 0}))
    records = collect_jobs(tmp_path)
    assert [(r["job"], r["status"]) for r in records] == [("0", "ok"), ("1", "missing")]
    csv_path, md_path = write_summary(tmp_path, records)
    assert "| 1 | missing | seed=1 |" in md_path.read_text()
    assert csv_path.read_text().splitlines()[0] == "job,status,overrides,error,test/f1,seed"


@pytest.mark.slow
def test_a_parallel_sweep_keeps_its_jobs_in_one_folder(synthetic_csv, tmp_path):
    import os

    env = {**os.environ, "ECG_ANOMALY_LOG_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "ecg_anomaly.train", "-m", "hydra/launcher=parallel",
         f"data.path={synthetic_csv}", *TINY, "seed=0,1"],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    (sweep,) = (tmp_path / "train" / "multiruns").iterdir()  # one folder for the whole sweep
    assert {p.name for p in sweep.iterdir()} >= {"0", "1", "summary.csv", "summary.md"}


@pytest.mark.slow
def test_a_sweep_run_again_with_resume_runs_only_the_unfinished_jobs(synthetic_csv, tmp_path):
    # how the benchmark resumes: the same sweep again, resume=true in every job
    sweep = tmp_path / "sweep"
    args = ["-m", f"data.path={synthetic_csv}", *TINY, "seed=0,1", "resume=true",
            f"hydra.sweep.dir={sweep}"]  # fmt: skip
    run_train(*args)
    finished = (sweep / "0" / "metrics.json").stat().st_mtime_ns
    first = json.loads((sweep / "0" / "metrics.json").read_text())
    # job 1 as a kill leaves it before its first checkpoint: a folder without results
    (sweep / "1" / "metrics.json").unlink()
    (sweep / "1" / "checkpoints" / "model.ckpt").unlink()
    (sweep / "1" / "checkpoints" / "last.ckpt").unlink()

    console = run_train(*args)
    log = console.stdout + console.stderr
    assert log.count("not run again (resume=true)") == 1  # job 0 only
    assert (sweep / "0" / "metrics.json").stat().st_mtime_ns == finished
    assert json.loads((sweep / "1" / "metrics.json").read_text())["seed"] == 1  # run again
    with (sweep / "summary.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["job"], r["status"]) for r in rows] == [("0", "ok"), ("1", "ok")]
    assert float(rows[0]["test/accuracy"]) == first["test/accuracy"]
