"""ecg-anomaly-eval and ecg-anomaly-predict on a model trained here on synthetic data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig

from ecg_anomaly import load_detector
from ecg_anomaly.data.beatfiles import read_beats
from ecg_anomaly.data.splits import train_test_split_indices
from ecg_anomaly.errors import ConfigError, DataFormatError
from ecg_anomaly.eval import evaluate
from ecg_anomaly.predict import predict
from ecg_anomaly.train import train
from ecg_anomaly.utils.config import config_dir


def compose_cfg(config_name: str, out_dir: Path, *overrides: str):
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=config_dir()):
        cfg = compose(
            config_name,
            overrides=[*overrides, f"paths.output_dir={out_dir}"],
            return_hydra_config=True,
        )
    HydraConfig().set_config(cfg)
    GlobalHydra.instance().clear()
    return cfg


def run_cli(module: str, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *overrides],
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory, synthetic_csv):
    """A dense autoencoder trained for 2 epochs; its run folder."""
    run = tmp_path_factory.mktemp("train_run")
    cfg = compose_cfg(
        "train", run,
        f"data.path={synthetic_csv}", "data.download=false", "trainer.max_epochs=2",
        "trainer.enable_progress_bar=false", "callbacks.progress_bar=null",
        "callbacks.detection.report=false",
    )  # fmt: skip
    results = train(cfg)
    return run, results


def test_eval_predict_and_load_detector_give_the_same_scores(trained, synthetic_csv, tmp_path):
    run, _ = trained
    ckpt = run / "checkpoints" / "model.ckpt"
    eval_dir = tmp_path / "eval"
    proc = run_cli(
        "ecg_anomaly.eval", f"ckpt_path={ckpt}", f"data.path={synthetic_csv}", "split=all",
        "report=false", f"hydra.run.dir={eval_dir}",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "predicted.csv"
    proc = run_cli(
        "ecg_anomaly.predict", f"ckpt_path={ckpt}", f"input={synthetic_csv}", f"output={out}",
        f"hydra.run.dir={tmp_path / 'predict'}",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout[proc.stdout.index("{") :])
    assert summary["beats"] == 400 and summary["output"] == str(out)

    evaluated = pd.read_csv(eval_dir / "scores.csv")
    predicted = pd.read_csv(out)
    beats = read_beats(synthetic_csv)
    api = load_detector(ckpt).score(beats.x)
    assert list(evaluated.columns) == ["index", "label", "score", "flag"]
    assert list(predicted.columns) == ["index", "label", "score", "flag"]
    np.testing.assert_array_equal(evaluated["index"], np.arange(400))
    np.testing.assert_array_equal(predicted["label"], beats.y)
    np.testing.assert_allclose(evaluated["score"], api, rtol=1e-6)
    np.testing.assert_allclose(predicted["score"], api, rtol=1e-6)
    np.testing.assert_array_equal(evaluated["flag"], predicted["flag"])
    assert summary["flagged_abnormal"] == int(predicted["flag"].sum())


def test_eval_on_the_test_split_reproduces_the_training_run(trained, synthetic_csv, tmp_path):
    run, results = trained
    cfg = compose_cfg(
        "eval", tmp_path,
        f"ckpt_path={run / 'checkpoints' / 'model.ckpt'}", f"data.path={synthetic_csv}",
    )  # fmt: skip
    metrics = evaluate(cfg)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["positive_class"].startswith("abnormal")
    for key in ("test/accuracy", "test/auroc", "test/tn", "test/fp", "test/fn", "test/tp"):
        assert saved[key] == pytest.approx(results[key]), key
    assert metrics["test/tp"] + metrics["test/fn"] == saved["data/test/abnormal"]
    assert saved["overlaps_training"] is False and saved["overlap_beats"] == 0
    # the rows of scores.csv are the file rows of the tutorial's test split, in file order
    test_rows = np.sort(train_test_split_indices(400, 0.2, 21)[1])
    scores = pd.read_csv(tmp_path / "scores.csv")
    np.testing.assert_array_equal(scores["index"], test_rows)
    np.testing.assert_array_equal(scores["label"], read_beats(synthetic_csv).y[test_rows])
    assert (tmp_path / "report.md").is_file()
    # the checkpoint still sits in its run folder, so the training loss curve is in the report
    assert (tmp_path / "plots" / "loss.png").is_file()


def test_predict_reads_npy_ucr_and_label_free_csv(trained, synthetic_csv, tmp_path):
    run, _ = trained
    ckpt = run / "checkpoints" / "model.ckpt"
    beats = read_beats(synthetic_csv)
    x, y = beats.x[:12], beats.y[:12]
    expected = load_detector(ckpt).score(x)
    np.save(tmp_path / "beats.npy", x)
    np.savetxt(tmp_path / "beats.csv", x, delimiter=",", fmt="%.6f")
    ucr_class = np.where(y == 0, 1, 3)  # UCR: class 1 normal, 2-5 abnormal
    np.savetxt(tmp_path / "beats.txt", np.column_stack([ucr_class, x]), fmt="%.6f")
    for name, labelled in (("beats.npy", False), ("beats.csv", False), ("beats.txt", True)):
        out = tmp_path / f"{name}.scores.csv"
        cfg = compose_cfg(
            "predict", tmp_path, f"ckpt_path={ckpt}", f"input={tmp_path / name}", f"output={out}"
        )
        summary = predict(cfg)
        table = pd.read_csv(out)
        assert ("label" in table) == labelled, name
        np.testing.assert_allclose(table["score"], expected, rtol=1e-5, atol=1e-6)
        assert summary["beats"] == 12
        if labelled:
            np.testing.assert_array_equal(table["label"], y)


def test_a_manual_threshold_replaces_the_saved_one_from_the_command_line(trained, tmp_path):
    # through the console entry points: `threshold` itself is the group of threshold rules
    run, _ = trained
    ckpt = f"ckpt_path={run / 'checkpoints' / 'model.ckpt'}"
    proc = run_cli("ecg_anomaly.eval", ckpt, "threshold_value=0.5", "report=false",
                   f"hydra.run.dir={tmp_path / 'eval'}")  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["threshold"] == 0.5
    scores = pd.read_csv(tmp_path / "eval" / "scores.csv")
    assert metrics["test/flagged"] == int((scores["score"] >= 0.5).sum())


@pytest.mark.parametrize("problem", ["wrong_length", "nan"])
def test_predict_cli_refuses_bad_input_with_a_message(trained, synthetic_csv, tmp_path, problem):
    run, _ = trained
    x = read_beats(synthetic_csv).x[:5]
    if problem == "wrong_length":
        bad, expected = x[:, :100], "the model expects 140"
    else:
        bad, expected = x.copy(), "NaN"
        bad[1, 3] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    proc = run_cli(
        "ecg_anomaly.predict", f"ckpt_path={run / 'checkpoints' / 'model.ckpt'}",
        f"input={tmp_path / 'bad.npy'}", f"output={tmp_path / 'out.csv'}",
        f"hydra.run.dir={tmp_path / 'run'}",
    )  # fmt: skip
    assert proc.returncode == 2
    assert expected in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "out.csv").exists()


def test_eval_refuses_data_of_another_beat_length(trained, tmp_path):
    from tests.conftest import synthetic_beats, write_tf_csv

    run, _ = trained
    path = write_tf_csv(tmp_path / "short.csv", *synthetic_beats(30, 20, seq_len=96))
    cfg = compose_cfg(
        "eval", tmp_path, f"ckpt_path={run / 'checkpoints' / 'model.ckpt'}", f"data.path={path}"
    )
    with pytest.raises(DataFormatError, match="expects 140"):
        evaluate(cfg)


def test_f1_optimal_without_validation_split_says_to_set_val_size(make_cfg):
    # the tutorial's setting: no validation split, so nothing to fit an F1-optimal threshold on
    cfg = make_cfg("threshold=f1_optimal", "data.val_size=0", "trainer.max_epochs=1")
    with pytest.raises(ValueError, match=r"data\.val_size"):
        train(cfg)


def test_eval_refuses_an_unknown_split(trained, synthetic_csv, tmp_path):
    from ecg_anomaly.errors import ConfigError

    run, _ = trained
    cfg = compose_cfg(
        "eval", tmp_path, f"ckpt_path={run / 'checkpoints' / 'model.ckpt'}",
        f"data.path={synthetic_csv}", "split=testing",
    )  # fmt: skip
    with pytest.raises(ConfigError, match="split='testing' is not allowed"):
        evaluate(cfg)


@pytest.fixture(scope="module")
def trained_without_val(tmp_path_factory, synthetic_csv):
    """The tutorial's setting: no validation split (train 320 beats, test 80)."""
    run = tmp_path_factory.mktemp("train_no_val")
    cfg = compose_cfg(
        "train", run, f"data.path={synthetic_csv}", "data.val_size=0", "trainer.max_epochs=2",
        "callbacks.progress_bar=null", "callbacks.detection.report=false",
    )  # fmt: skip
    return run, train(cfg)


def test_eval_recuts_the_training_splits_and_reports_overlap(trained_without_val, tmp_path, caplog):
    run, results = trained_without_val
    ckpt = f"ckpt_path={run / 'checkpoints' / 'model.ckpt'}"
    # no data.* given: the checkpoint's own settings cut the same test split
    same = evaluate(compose_cfg("eval", tmp_path / "test", ckpt, "report=false"))
    for key in ("test/accuracy", "test/auroc", "test/f1", "test/tp", "test/fp"):
        assert same[key] == pytest.approx(results[key], abs=1e-6), key
    assert same["overlaps_training"] is False
    # the model had no validation split: split=val is refused with the setting that cuts one
    with pytest.raises(ConfigError, match=r"data\.val_size=0\.0"):
        evaluate(compose_cfg("eval", tmp_path / "val0", ckpt, "split=val"))
    # carving one from the training part scores training beats: a warning and a flag
    caplog.clear()
    val = evaluate(compose_cfg("eval", tmp_path / "val", ckpt, "split=val", "data.val_size=0.25"))
    assert val["overlaps_training"] is True and val["overlap_beats"] == 80 == val["val/beats"]
    assert "beats this model was trained on" in caplog.text
    train_split = evaluate(compose_cfg("eval", tmp_path / "train", ckpt, "split=train"))
    assert train_split["overlaps_training"] is True
    assert train_split["overlap_beats"] == train_split["train/beats"] == 320
    saved = json.loads((tmp_path / "train" / "metrics.json").read_text())
    assert saved["overlaps_training"] is True
