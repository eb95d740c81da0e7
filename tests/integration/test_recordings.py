"""Real and synthetic recordings end to end: train on a patient's first minutes, detect with a
saved model, through the same post-processing and writer as ECG5000."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.signal import resample_poly
from scipy.stats import spearmanr

from ecg_anomaly.anomaly.metrics import ranking_metrics
from ecg_anomaly.detect import main as detect_main
from ecg_anomaly.train import train
from tests.conftest import compose_train, run_entry_point

wfdb = pytest.importorskip("wfdb")
pytest.importorskip("neurokit2")

MITDB = Path(
    os.environ.get("ECG_ANOMALY_MITDB")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mitdb"
)


def mitdb_record(name: str) -> Path:
    if not (MITDB / f"{name}.dat").is_file():
        pytest.skip(f"MIT-BIH record {name} not found in {MITDB} (set ECG_ANOMALY_MITDB)")
    return MITDB / name


def test_training_on_a_recording_writes_every_file_and_survives_an_unmatched_beat(sim_run):
    # the crash of the PVC-rich record 208: a detected beat no annotation matches (label -1)
    # reached the ROC plot; it is counted, and left out of every metric and plot of labels
    run, results = sim_run
    assert results["test/unlabelled_beats"] == 1
    assert results["data/beats/fp"] == 1
    assert results["test/auroc"] >= 0.99
    beats = pd.read_csv(run / "beats.csv")
    assert {"time", "sample", "prematurity", "shape", "score", "flag", "type", "aami"} <= set(beats)
    assert (beats["label"] == -1).sum() == 1
    assert set(beats.loc[beats["flag"] == 1, "type"]) <= {"V", "S"}
    assert {"roc.png", "pr.png", "strips.png", "scores_over_time.png"} <= {
        p.name for p in (run / "plots").iterdir()
    }
    assert results["threshold_rule"] == "the largest of the normal train scores"
    assert results["score_terms"] == ["shape CDF + prematurity / 0.1"]


def test_ventricular_beats_are_typed_and_counted_as_ec57_does(sim_run):
    _, results = sim_run
    # the inserted ectopic beats are wide and inverted: flagged, typed V (23 of 26 here)
    assert results["test/veb/sensitivity"] >= 0.85 and results["test/veb/ppv"] >= 0.95
    assert results["test/veb/tp"] + results["test/veb/fn"] == results["data/test/abnormal"]


def test_eval_of_a_recording_model_reproduces_its_test_metrics(sim_run, tmp_path):
    from ecg_anomaly.eval import evaluate

    run, results = sim_run
    cfg = compose_train(tmp_path, f"ckpt_path={run / 'checkpoints' / 'model.ckpt'}",
                        "report=false", config_name="eval")  # fmt: skip
    again = evaluate(cfg)
    for key in ("test/auroc", "test/auprc", "test/recall", "test/specificity", "threshold"):
        assert again[key] == pytest.approx(results[key], abs=1e-6), key


def test_detect_writes_beats_a_wfdb_annotation_file_and_warns_about_another_patient(
    sim_run, tmp_path, capfd
):
    from ecg_anomaly.recordings.synthetic import simulate_recording

    run, _ = sim_run
    other = simulate_recording(60.0, 250.0, ectopic_fraction=0.2, prematurity=0.25, seed=9)
    wfdb.wrsamp("other", fs=250, units=["mV"], sig_name=["MLII"],
                p_signal=other.signal[:, None], write_dir=str(tmp_path))  # fmt: skip
    out = tmp_path / "detect"
    code = run_entry_point(detect_main, f"ckpt_path={run / 'checkpoints' / 'model.ckpt'}",
                           f"record={tmp_path / 'other'}", f"hydra.run.dir={out}")  # fmt: skip
    assert code == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert any("another patient's recording" in w for w in metrics["warnings"])
    beats = pd.read_csv(out / "beats.csv")
    flags = wfdb.rdann(str(out / "other"), "flag")
    flagged = beats[beats["flag"] == 1]
    np.testing.assert_array_equal(flags.sample, flagged["sample"])
    assert flags.symbol == list(flagged["type"])
    # an unannotated recording: no detection table, no label metrics, and it says so
    report = (out / "report.md").read_text()
    assert "Beat detection" not in report and "none annotated" in report
    assert "Scored all beats of other" in report


def test_detect_refuses_a_missing_record_without_a_traceback(trained_run, tmp_path, capfd):
    ckpt = trained_run[0] / "checkpoints" / "model.ckpt"
    code = run_entry_point(detect_main, f"ckpt_path={ckpt}", f"record={tmp_path / 'nope'}",
                           f"hydra.run.dir={tmp_path / 'run'}")  # fmt: skip
    console = "".join(capfd.readouterr())
    assert code == 2 and "Traceback" not in console
    assert "recording not found" in console


# -- MIT-BIH records (the slow tier) -----------------------------------------------------------


@pytest.fixture(scope="module")
def patient_100(tmp_path_factory):
    """A dense autoencoder trained on the first 5 minutes of record 100, no labels used."""
    record = mitdb_record("100")
    run = tmp_path_factory.mktemp("record100")
    cfg = compose_train(run, "data=recording", f"data.record={record}", "trainer.max_epochs=30",
                        "report=false")  # fmt: skip
    return run, train(cfg), record


@pytest.mark.slow
def test_patient_specific_model_finds_record_100s_premature_beats(patient_100):
    run, results, _ = patient_100
    # the test part: the 25 minutes after the training span, A and V beats abnormal
    assert results["data/beats/sensitivity"] >= 0.998 and results["data/beats/ppv"] >= 0.998
    assert results["test/auroc"] >= 0.995  # shape and prematurity (the default)
    scores = pd.read_csv(run / "beats.csv")
    labelled = scores[scores["label"] >= 0]
    by_shape = ranking_metrics(labelled["shape"].to_numpy(), labelled["label"].to_numpy())
    assert by_shape["auroc"] >= 0.97  # the model's shape score alone
    assert set(labelled["class"]) <= {1, 2, 3}  # AAMI N, S, V


@pytest.mark.slow
def test_detection_does_not_depend_on_the_sampling_rate(patient_100):
    from ecg_anomaly import load_detector
    from ecg_anomaly.recordings import Annotations, match_beats

    run, _, record = patient_100
    detector = load_detector(run / "checkpoints" / "model.ckpt")
    signal = wfdb.rdrecord(str(record), channels=[0]).p_signal[:, 0]
    atr = wfdb.rdann(str(record), "atr")
    found = {}
    for fs in (128, 250):
        resampled = resample_poly(signal, fs, 360)
        ann = Annotations(np.round(atr.sample * fs / 360).astype(np.int64), np.array(atr.symbol))
        found[fs] = detector.detect(resampled, fs, annotations=ann)
        assert found[fs].metrics["data/beats/sensitivity"] >= 0.995
        assert found[fs].metrics["data/beats/ppv"] >= 0.995
    # the first and last beats lack a neighbour's RR interval: found, not scored
    a, b = (found[fs].beats.query("scored == 1").reset_index(drop=True) for fs in (128, 250))
    pairs = match_beats(
        np.round(a["time"] * 1000).astype(np.int64),
        np.round(b["time"] * 1000).astype(np.int64),
        1000,
    ).pairs
    assert len(pairs) >= 0.995 * len(a)  # the same beats
    rho = spearmanr(a["score"].to_numpy()[pairs[:, 0]], b["score"].to_numpy()[pairs[:, 1]])
    assert rho.statistic >= 0.95


@pytest.mark.slow
def test_detect_takes_wfdb_objects_and_fixed_thresholds(patient_100):
    from ecg_anomaly import load_detector

    run, _, record = patient_100
    detector = load_detector(run / "checkpoints" / "model.ckpt")
    as_trained = detector.detect(
        wfdb.rdrecord(str(record)), annotations=wfdb.rdann(str(record), "atr")
    )
    m = as_trained.metrics
    assert m["threshold"] == pytest.approx(detector.threshold_)
    assert m["threshold_fitted_on"] == "the training beats"
    assert m["all/auroc"] >= 0.99
    given = detector.detect(wfdb.rdrecord(str(record)), threshold=2.5)
    assert given.metrics["threshold"] == 2.5
    assert given.metrics["threshold_rule"] == "the fixed value 2.5"


@pytest.mark.slow
def test_record_208_trains_and_reports_without_a_crash(tmp_path):
    # the PVC-rich record where unmatched beats (label -1) crashed the ROC plot
    record = mitdb_record("208")
    results = train(compose_train(tmp_path, "data=recording", f"data.record={record}",
                                  "data.train_minutes=5", "trainer.max_epochs=10"))  # fmt: skip
    assert (tmp_path / "plots" / "roc.png").is_file()
    assert results["test/auroc"] >= 0.9


@pytest.mark.slow
@pytest.mark.ecg5000
def test_an_ecg5000_model_scores_record_100_with_one_command(ecg5000_csv, tmp_path):
    record = mitdb_record("100")
    train(compose_train(tmp_path / "ecg5000", "experiment=tf_tutorial_dense_ae",
                        f"data.path={ecg5000_csv}", "report=false"))  # fmt: skip
    ckpt = tmp_path / "ecg5000" / "checkpoints" / "model.ckpt"
    out = tmp_path / "detect"
    assert run_entry_point(detect_main, f"ckpt_path={ckpt}", f"record={record}",
                           f"hydra.run.dir={out}") == 0  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data/polarity"] == 1  # MIT-BIH MLII is upright; ECG5000's QRS points down
    assert metrics["all/auroc"] >= 0.80
    assert metrics["threshold_rule"] == "percentile 98 of the normal train scores"
    assert metrics["threshold_fitted_on"] == "this recording's beats"
    assert metrics["data/beats/sensitivity"] >= 0.998 and metrics["data/n_beats"] > 2200
    beats = pd.read_csv(out / "beats.csv")
    assert len(beats) == metrics["data/n_beats"]
    assert {"strips.png", "scores_over_time.png", "mean_beats.png"} <= {
        p.name for p in (out / "plots").iterdir()
    }
