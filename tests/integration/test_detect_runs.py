"""ecg-anomaly-detect keeps the promises training keeps: one run per folder, nothing stale,
nothing half-written, no silent guesses, no tracebacks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecg_anomaly.cli import Interrupted
from ecg_anomaly.detect import main as detect_main
from tests.conftest import run_entry_point

wfdb = pytest.importorskip("wfdb")


@pytest.fixture(scope="module")
def ckpt(sim_run) -> Path:
    return sim_run[0] / "checkpoints" / "model.ckpt"


def detect(ckpt: Path, record: Path, out: Path, *extra: str) -> int:
    return run_entry_point(detect_main, f"ckpt_path={ckpt}", f"record={record}",
                           f"hydra.run.dir={out}", "report=false", *extra)  # fmt: skip


def test_a_folder_in_use_is_refused(ckpt, sim_record, tmp_path, capfd):
    out = tmp_path / "run"
    out.mkdir()
    (out / ".run.lock").write_text(json.dumps({"pid": os.getppid(), "host": os.uname().nodename}))
    assert detect(ckpt, sim_record, out) == 2
    assert "in use by process" in "".join(capfd.readouterr())
    assert not (out / "beats.csv").exists()


def test_a_finished_folder_is_kept_and_an_overwrite_leaves_nothing_stale(
    ckpt, sim_record, tmp_path, capfd
):
    out = tmp_path / "run"
    assert detect(ckpt, sim_record, out, "report=true") == 0
    assert (out / "report.md").is_file() and (out / "plots").is_dir()
    # progress: what was read, found, scored and written, with counts and times
    log = (out / "detect.log").read_text()
    assert "sim: read 0:03:00 of MLII at 250 Hz" in log and "found and cut" in log
    assert "Scored " in log and "Wrote beats.csv" in log
    # beats.csv lists every detected beat: it reproduces the detection's counts
    metrics = json.loads((out / "metrics.json").read_text())
    beats = pd.read_csv(out / "beats.csv")
    assert len(beats) == metrics["data/beats/tp"] + metrics["data/beats/fp"]
    first = (out / "beats.csv").read_bytes()
    # the same folder again: refused, the first results untouched
    assert detect(ckpt, sim_record, out) == 2
    assert "overwrite=true" in "".join(capfd.readouterr())
    assert (out / "beats.csv").read_bytes() == first
    # an overwrite with report=false: none of the first run's report or plots stays behind
    assert detect(ckpt, sim_record, out, "overwrite=true") == 0
    assert not (out / "report.md").exists() and not (out / "plots").exists()
    # a failed overwrite: only its failure.json, nothing of the earlier runs
    assert detect(ckpt, tmp_path / "missing", out, "overwrite=true") == 2
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "detect.log",
        "failure.json",
    ]
    failure = json.loads((out / "failure.json").read_text())
    assert failure["status"] == "failed" and "ecg-anomaly-detect" in failure["rerun"]


def test_ctrl_c_while_writing_leaves_no_half_written_file(
    ckpt, sim_record, tmp_path, monkeypatch, capfd
):
    # stop the run half-way through writing beats.csv, as Ctrl+C would
    real = pd.DataFrame.to_csv

    def interrupted(self, path, *args, **kwargs):
        real(self.iloc[: len(self) // 2], path, *args, **kwargs)
        raise Interrupted("SIGINT")

    monkeypatch.setattr(pd.DataFrame, "to_csv", interrupted)
    out = tmp_path / "run"
    assert detect(ckpt, sim_record, out) == 130
    console = "".join(capfd.readouterr())
    assert "Interrupted (SIGINT)" in console and "Traceback" not in console
    assert not (out / "beats.csv").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    failure = json.loads((out / "failure.json").read_text())
    assert failure["status"] == "interrupted"


def test_annotations_of_another_recording_are_flagged(ckpt, sim_record, tmp_path):
    from ecg_anomaly.recordings.synthetic import simulate_recording

    # this recording's signal with another recording's beats (another rhythm) as annotations
    signal = wfdb.rdrecord(str(sim_record)).p_signal[:, 0]
    other = simulate_recording(180.0, 250.0, heart_rate=97.0, seed=21).annotations
    wfdb.wrsamp("mixed", fs=250, units=["mV"], sig_name=["MLII"], p_signal=signal[:, None],
                write_dir=str(tmp_path))  # fmt: skip
    wfdb.wrann("mixed", "atr", other.sample, np.array(other.symbol), write_dir=str(tmp_path))
    out = tmp_path / "run"
    assert detect(ckpt, tmp_path / "mixed", out) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert any("annotations do not match this recording" in w for w in metrics["warnings"])


def test_a_bad_sampling_rate_is_one_paragraph(ckpt, tmp_path, capfd):
    csv = tmp_path / "ecg.csv"
    np.savetxt(csv, np.sin(np.arange(5000) / 20.0)[:, None], header="ecg", comments="")
    assert detect(ckpt, csv, tmp_path / "run", "fs=abc") == 2
    console = "".join(capfd.readouterr())
    assert "fs" in console and "Traceback" not in console
