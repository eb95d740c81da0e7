"""Real recordings end to end: train on a patient's first minutes, detect with a saved model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.signal import resample_poly
from scipy.stats import spearmanr

from ecg_anomaly.anomaly.metrics import ranking_metrics
from ecg_anomaly.train import train

pytest.importorskip("wfdb")
pytest.importorskip("neurokit2")

MITDB = Path(
    os.environ.get("ECG_ANOMALY_MITDB")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mitdb"
)
RECORD_100 = MITDB / "100"


@pytest.fixture(scope="module")
def record_100() -> Path:
    if not RECORD_100.with_suffix(".dat").is_file():
        pytest.skip(f"MIT-BIH record 100 not found in {MITDB} (set ECG_ANOMALY_MITDB)")
    return RECORD_100


@pytest.fixture(scope="module")
def patient_run(tmp_path_factory, record_100, request):
    """A dense autoencoder trained on the first 5 minutes of record 100, no labels used."""
    from tests.conftest import compose_train

    run = tmp_path_factory.mktemp("record100")
    cfg = compose_train(
        run, "data=recording", f"data.record={record_100}", "trainer.max_epochs=30", "threads=1"
    )
    return run, train(cfg)


def test_patient_specific_model_finds_record_100s_premature_beats(patient_run):
    run, results = patient_run
    # the test part: the 25 minutes after the training span, A and V beats abnormal
    assert results["data/beats/sensitivity"] >= 0.998 and results["data/beats/ppv"] >= 0.998
    assert results["test/auroc"] >= 0.995  # shape and prematurity (the default)
    scores = pd.read_csv(run / "scores.csv")
    labelled = scores[scores["label"] >= 0]
    by_shape = ranking_metrics(labelled["shape"].to_numpy(), labelled["label"].to_numpy())
    assert by_shape["auroc"] >= 0.97  # the model's shape score alone
    assert set(labelled["class"]) <= {1, 2, 3}  # AAMI N, S, V


def test_eval_of_a_recording_model_reproduces_its_test_metrics(patient_run, tmp_path):
    from ecg_anomaly.eval import evaluate
    from tests.conftest import compose_train

    run, results = patient_run
    cfg = compose_train(tmp_path, f"ckpt_path={run / 'checkpoints' / 'model.ckpt'}",
                        "report=false", config_name="eval")  # fmt: skip
    again = evaluate(cfg)
    for key in ("test/auroc", "test/auprc", "test/recall", "test/specificity", "threshold"):
        assert again[key] == pytest.approx(results[key], abs=1e-6), key


def test_detection_does_not_depend_on_the_sampling_rate(patient_run, record_100):
    import wfdb

    from ecg_anomaly import load_detector
    from ecg_anomaly.recordings import Annotations, match_beats

    run, _ = patient_run
    detector = load_detector(run / "checkpoints" / "model.ckpt")
    signal = wfdb.rdrecord(str(record_100), channels=[0]).p_signal[:, 0]
    atr = wfdb.rdann(str(record_100), "atr")
    results = {}
    for fs in (128, 250):
        resampled = resample_poly(signal, fs, 360)
        ann = Annotations(np.round(atr.sample * fs / 360).astype(np.int64), np.array(atr.symbol))
        results[fs] = detector.detect(resampled, fs, annotations=ann)
        assert results[fs].metrics["beats/sensitivity"] >= 0.995
        assert results[fs].metrics["beats/ppv"] >= 0.995
    a, b = results[128], results[250]
    pairs = match_beats(
        np.round(a.beats.time * 1000).astype(np.int64),
        np.round(b.beats.time * 1000).astype(np.int64),
        1000,
    ).pairs
    assert len(pairs) >= 0.995 * len(a.beats)  # the same beats
    rho = spearmanr(
        a.evaluation.scores.scores[pairs[:, 0]], b.evaluation.scores.scores[pairs[:, 1]]
    )
    assert rho.statistic >= 0.95


def test_half_ectopic_training_span_still_ranks_ectopic_beats_abnormal(tmp_path, make_cfg):
    import wfdb

    from ecg_anomaly.recordings.synthetic import simulate_recording

    sim = simulate_recording(600.0, 250.0, ectopic_fraction=0.5, prematurity=0.25, seed=1)
    wfdb.wrsamp("sim", fs=250, units=["mV"], sig_name=["MLII"], p_signal=sim.signal[:, None],
                write_dir=str(tmp_path))  # fmt: skip
    ann = sim.annotations
    wfdb.wrann("sim", "atr", ann.sample, np.array(ann.symbol), write_dir=str(tmp_path))
    results = train(make_cfg("data=recording", f"data.record={tmp_path / 'sim'}",
                             "data.train_minutes=5", "trainer.max_epochs=20",
                             f"paths.output_dir={tmp_path / 'run'}"))  # fmt: skip
    assert results["test/auroc"] >= 0.95


@pytest.mark.ecg5000
def test_an_ecg5000_model_scores_record_100_with_one_command(ecg5000_csv, record_100, tmp_path):
    from tests.conftest import compose_train

    overrides = [f"data.path={ecg5000_csv}", "callbacks.detection.report=false"]
    train(compose_train(tmp_path / "ecg5000", "experiment=tf_tutorial_dense_ae", *overrides))
    ckpt = tmp_path / "ecg5000" / "checkpoints" / "model.ckpt"
    proc = subprocess.run(
        [sys.executable, "-m", "ecg_anomaly.detect", f"ckpt_path={ckpt}", f"record={record_100}",
         f"hydra.run.dir={tmp_path / 'detect'}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((tmp_path / "detect" / "metrics.json").read_text())
    assert metrics["polarity"] == 1  # MIT-BIH MLII is upright; ECG5000's QRS points down
    assert metrics["test/auroc"] >= 0.80
    assert metrics["beats/sensitivity"] >= 0.998 and metrics["n_beats"] > 2200
    beats = pd.read_csv(tmp_path / "detect" / "beats.csv")
    assert len(beats) == metrics["n_beats"] and {"time", "score", "flag", "aami"} <= set(beats)
    assert {"strips.png", "scores_over_time.png", "mean_beats.png"} <= {
        p.name for p in (tmp_path / "detect" / "plots").iterdir()
    }


def test_detect_refuses_a_missing_record_without_a_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ecg_anomaly.detect", f"ckpt_path={tmp_path / 'x.ckpt'}",
         f"record={tmp_path / 'nope'}", f"hydra.run.dir={tmp_path / 'run'}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "x.ckpt" in proc.stderr + proc.stdout


def test_detection_threshold_rules_and_a_beat_no_annotation_matches(patient_run, record_100):
    import wfdb

    from ecg_anomaly import load_detector
    from ecg_anomaly.recordings import Annotations

    run, _ = patient_run
    detector = load_detector(run / "checkpoints" / "model.ckpt")
    signal = wfdb.rdrecord(str(record_100), channels=[0]).p_signal[:, 0]
    atr = wfdb.rdann(str(record_100), "atr")
    beats = np.flatnonzero(np.isin(atr.symbol, ["N", "A", "V"]))
    keep = np.ones(len(atr.sample), dtype=bool)
    keep[beats[1000]] = False  # one beat loses its annotation: detected, matched by none
    ann = Annotations(atr.sample[keep], np.array(atr.symbol)[keep])

    as_trained = detector.detect(signal, 360, annotations=ann)
    m = as_trained.metrics
    assert m["threshold_rule"] == "the model's"
    assert m["threshold"] == pytest.approx(float(detector.model.threshold))
    assert m["test/unlabelled_beats"] == 1 and m["beats/fp"] == 1
    assert m["test/beats"] == m["test/tn"] + m["test/fp"] + m["test/fn"] + m["test/tp"] + 1
    assert m["test/auroc"] >= 0.99

    from ecg_anomaly.recordings.detection import detect_beats
    from ecg_anomaly.recordings.io import recording_from_array

    recording = recording_from_array(signal, 360, annotations=ann)
    # shape alone is not the score the model's threshold was fitted on: the recording's own
    shape_only = detect_beats(detector.model, recording, window="centred", timing_scale=None)
    assert shape_only.metrics["threshold_rule"].startswith("percentile 98")
    given = detect_beats(detector.model, recording, window="centred", threshold=2.5)
    assert given.metrics["threshold_rule"] == "given" and given.metrics["threshold"] == 2.5
