"""A whole WFDB database through ``scripts/records_benchmark.py``: one run per record, one table.

The fast test writes a small database of its own (other sampling rates, a lead named ``ECG``,
a record name that reads as a number, a paced record) and runs the command in this process
with Hydra's basic launcher; the slow one runs three MIT-BIH records through the real command
(a subprocess, the parallel launcher) and checks the gross figures against the run folders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecg_anomaly.records import cli as benchmark_cli
from ecg_anomaly.train import main as train_main
from tests.conftest import run_entry_point

wfdb = pytest.importorskip("wfdb")
pytest.importorskip("neurokit2")

MITDB = Path(
    os.environ.get("ECG_ANOMALY_MITDB")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mitdb"
)
#: Keeps every run to a second or two: a few epochs, no progress bar.
TINY = ["trainer.max_epochs=3"]


def in_process(args: list[str]) -> int:
    return run_entry_point(train_main, *args)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    """Three 75-second records of one simulated ECG, 10 % premature ventricular-like beats
    (``V``): ``0128`` at 128 Hz (a name that reads as a number), ``r250`` at 250 Hz with two
    leads (``ECG``, then ``V1``: the first inverted and halved), ``p360`` at 360 Hz with every
    beat annotated paced (``/``)."""
    from scipy.signal import resample_poly

    from ecg_anomaly.recordings.synthetic import simulate_recording

    folder = tmp_path_factory.mktemp("db")
    sim = simulate_recording(75.0, 250, ectopic_fraction=0.1, prematurity=0.2, seed=7)
    symbols = np.asarray(sim.annotations.symbol)
    for name, fs, leads in (("0128", 128, 1), ("r250", 250, 2), ("p360", 360, 1)):
        signal = resample_poly(sim.signal, fs, 250) if fs != 250 else sim.signal
        signals = np.column_stack([signal, -0.5 * signal][:leads])
        wfdb.wrsamp(name, fs=fs, units=["mV"] * leads, sig_name=["ECG", "V1"][:leads],
                    p_signal=signals, write_dir=str(folder))  # fmt: skip
        beats = np.rint(sim.annotations.sample * fs / 250).astype(np.int64)
        marks = np.full(len(beats), "/") if name == "p360" else symbols
        wfdb.wrann(name, "atr", beats, marks, write_dir=str(folder))
    (folder / "RECORDS").write_text("0128\nr250\np360\n")
    return folder


def test_a_small_database_is_scored_record_by_record(small_db, tmp_path):
    out = tmp_path / "out"
    argv = ["--db", str(small_db), "--out", str(out), "--launcher", "basic",
            "--train-minutes", "0.5", *TINY]  # fmt: skip
    assert benchmark_cli.main(argv, runner=in_process) == 0
    rows = pd.read_csv(out / "records.csv", dtype={"record": str})
    assert list(rows["record"]) == ["0128", "r250", "p360"]  # '0128' kept as text, not 128
    assert list(rows["status"]) == ["ok"] * 3
    assert list(rows["paced"]) == [False, False, True]
    assert list(rows["counted"]) == [True, True, False]
    for name in ("0128", "r250", "p360"):
        metrics = json.loads((out / "runs" / name / "metrics.json").read_text())
        assert metrics["data/record"] == str(small_db / name)
        assert {f"time/{s}_seconds" for s in ("read", "detect", "cut", "fit", "test", "write")} <= (
            set(metrics)
        )
    fs = [
        json.loads((out / "runs" / n / "metrics.json").read_text())["data/fs"] for n in rows.record
    ]
    assert fs == [128.0, 250.0, 360.0]
    summary = json.loads((out / "summary.json").read_text())
    # gross detection: the three records' counts summed, the rate from the sums
    tp, fn, fp = (int(rows[f"detection/{k}"].sum()) for k in ("tp", "fn", "fp"))
    assert summary["detection/tp"] == tp
    assert summary["detection/sensitivity"] == pytest.approx(tp / (tp + fn))
    assert summary["detection/ppv"] == pytest.approx(tp / (tp + fp))
    assert summary["detection/sensitivity"] > 0.95
    # the arrhythmia figures leave the paced record out
    counted = rows[rows["counted"]]
    veb_tp = int(counted["veb/tp"].sum())
    assert summary["veb/tp"] == veb_tp
    assert summary["veb/sensitivity"] == pytest.approx(veb_tp / (veb_tp + counted["veb/fn"].sum()))
    assert summary["records"] == 3 and summary["records/counted"] == 2
    assert summary["records/paced"] == ["p360"]
    assert summary["failures"] == {}
    assert {"time/total_seconds", "time/sweep_seconds", "time/detect_seconds"} <= set(summary)
    text = (out / "results.md").read_text()
    assert "Pan & Tompkins 1985" in text and "Kiranyaz 2016" in text
    assert "| 0128 |" in text and "| p360 P |" in text
    assert (out / "records.png").stat().st_size > 10_000

    # Run again: nothing is left to run, so the runner is not called
    def refuse(args: list[str]) -> int:
        raise AssertionError(f"nothing should run again: {args}")

    assert benchmark_cli.main(argv, runner=refuse) == 0
    # A record that fails gets one line; the others are kept
    (out / "runs" / "r250" / "metrics.json").unlink()
    subset = [*argv[: -len(TINY)], "--records", "0128", "r250", "--", *TINY]
    assert benchmark_cli.main(subset, runner=lambda args: 1) == 1
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["failures"]) == ["r250"]
    assert summary["records"] == 1


@pytest.mark.slow
def test_three_mitdb_records_through_the_whole_command(tmp_path):
    if not all((MITDB / f"{r}.dat").is_file() for r in ("100", "208", "232")):
        pytest.skip(f"MIT-BIH records 100, 208, 232 not found in {MITDB} (set ECG_ANOMALY_MITDB)")
    out = tmp_path / "mitdb"
    script = Path(__file__).resolve().parents[2] / "scripts" / "records_benchmark.py"
    command = [sys.executable, str(script), "--db", str(MITDB), "--out", str(out),
               "--records", "100", "208", "232"]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = pd.read_csv(out / "records.csv", dtype={"record": str}).set_index("record")
    assert list(rows["status"]) == ["ok"] * 3
    # TP + FN is the number of annotated beats, whatever the detector finds
    annotated = rows["detection/tp"] + rows["detection/fn"]
    assert annotated.to_dict() == {"100": 2273, "208": 2955, "232": 1780}
    for record in rows.index:
        metrics = json.loads((out / "runs" / record / "metrics.json").read_text())
        assert rows.loc[record, "detection/fp"] == metrics["data/beats/fp"]
        assert rows.loc[record, "veb/tp"] == metrics["test/veb/tp"]
        assert rows.loc[record, "auroc"] == pytest.approx(metrics["test/auroc"], abs=1e-6)
    summary = json.loads((out / "summary.json").read_text())
    tp, fp = rows["detection/tp"].sum(), rows["detection/fp"].sum()
    assert summary["detection/ppv"] == pytest.approx(tp / (tp + fp))
    assert summary["sveb/tp"] == rows["sveb/tp"].sum()
    assert summary["records"] == 3 and summary["failures"] == {}
    assert summary["auroc/median"] == pytest.approx(rows["auroc"].median())
    assert "| 208 |" in (out / "results.md").read_text()
    # run again: every record is finished, nothing runs
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "3 records, 0 to run" in again.stdout
