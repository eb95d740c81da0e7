"""ecg-anomaly-eval and ecg-anomaly-predict on the session's tiny trained model."""

from __future__ import annotations

import json
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
from ecg_anomaly.eval import main as eval_main
from ecg_anomaly.predict import main as predict_main
from ecg_anomaly.predict import predict
from ecg_anomaly.train import train
from ecg_anomaly.utils.config import config_dir
from tests.conftest import run_entry_point, synthetic_beats, write_tf_csv


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


@pytest.fixture(scope="module")
def ckpt(trained_run) -> Path:
    return trained_run[0] / "checkpoints" / "model.ckpt"


def test_eval_predict_and_the_detector_give_the_same_scores(ckpt, synthetic_csv, tmp_path, capsys):
    eval_dir = tmp_path / "eval"
    code = run_entry_point(eval_main, f"ckpt_path={ckpt}", f"data.path={synthetic_csv}",
                           "split=all", "report=false", f"hydra.run.dir={eval_dir}")  # fmt: skip
    assert code == 0
    out = tmp_path / "predicted.csv"
    capsys.readouterr()
    code = run_entry_point(predict_main, f"ckpt_path={ckpt}", f"input={synthetic_csv}",
                           f"output={out}", f"hydra.run.dir={tmp_path / 'predict'}")  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    summary = json.loads(printed[printed.index("{") :])
    assert summary["beats"] == 400 and summary["output"] == str(out)

    evaluated = pd.read_csv(eval_dir / "scores.csv")
    predicted = pd.read_csv(out)
    beats = read_beats(synthetic_csv)
    api = load_detector(ckpt).decision_function(beats.x)
    assert list(evaluated.columns) == ["index", "label", "score", "flag"]
    assert list(predicted.columns) == ["index", "label", "score", "flag"]
    np.testing.assert_array_equal(evaluated["index"], np.arange(400))
    np.testing.assert_array_equal(predicted["label"], beats.y)
    np.testing.assert_allclose(evaluated["score"], api, rtol=1e-6)
    np.testing.assert_allclose(predicted["score"], api, rtol=1e-6)
    np.testing.assert_array_equal(evaluated["flag"], predicted["flag"])
    assert summary["flagged_abnormal"] == int(predicted["flag"].sum())
    assert json.loads((tmp_path / "predict" / "metrics.json").read_text())["all/beats"] == 400


def test_eval_on_the_test_split_reproduces_the_training_run(trained_run, ckpt, tmp_path):
    _, results = trained_run
    metrics = evaluate(compose_cfg("eval", tmp_path, f"ckpt_path={ckpt}"))
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["positive_class"].startswith("abnormal")
    assert saved["threshold_rule"] == "mean + 1 std of the normal train scores"
    for key in ("test/accuracy", "test/auroc", "test/tn", "test/fp", "test/fn", "test/tp"):
        assert saved[key] == pytest.approx(results[key]), key
    assert metrics["test/tp"] + metrics["test/fn"] == saved["data/test/abnormal"]
    assert saved["overlaps_training"] is False and saved["overlap_beats"] == 0
    # the rows of scores.csv are the file rows of the tutorial's test split, in file order
    test_rows = np.sort(train_test_split_indices(400, 0.2, 21)[1])
    scores = pd.read_csv(tmp_path / "scores.csv")
    np.testing.assert_array_equal(scores["index"], test_rows)
    np.testing.assert_array_equal(scores["label"], read_beats(results["data/path"]).y[test_rows])
    assert (tmp_path / "report.md").is_file()
    # the model carries its own loss history: the loss curve needs no training log
    assert (tmp_path / "plots" / "loss.png").is_file()


def test_predict_reads_npy_ucr_and_label_free_csv(ckpt, synthetic_csv, tmp_path):
    beats = read_beats(synthetic_csv)
    x, y = beats.x[:12], beats.y[:12]
    expected = load_detector(ckpt).decision_function(x)
    np.save(tmp_path / "beats.npy", x)
    np.savetxt(tmp_path / "beats.csv", x, delimiter=",", fmt="%.6f")
    ucr_class = np.where(y == 0, 1, 3)  # UCR: class 1 normal, 2-5 abnormal
    np.savetxt(tmp_path / "beats.txt", np.column_stack([ucr_class, x]), fmt="%.6f")
    for name, labelled in (("beats.npy", False), ("beats.csv", False), ("beats.txt", True)):
        out = tmp_path / f"{name}.scores.csv"
        cfg = compose_cfg("predict", tmp_path / f"run_{name}", f"ckpt_path={ckpt}",
                          f"input={tmp_path / name}", f"output={out}")  # fmt: skip
        summary = predict(cfg)
        table = pd.read_csv(out)
        assert ("label" in table) == labelled, name
        np.testing.assert_allclose(table["score"], expected, rtol=1e-5, atol=1e-6)
        assert summary["beats"] == 12
        if labelled:
            np.testing.assert_array_equal(table["label"], y)


def test_a_manual_threshold_replaces_the_saved_one_from_the_command_line(ckpt, tmp_path):
    code = run_entry_point(eval_main, f"ckpt_path={ckpt}", "threshold=manual",
                           "threshold.value=0.5", "report=false",
                           f"hydra.run.dir={tmp_path / 'eval'}")  # fmt: skip
    assert code == 0
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["threshold"] == 0.5
    assert metrics["threshold_rule"] == "the fixed value 0.5"
    scores = pd.read_csv(tmp_path / "eval" / "scores.csv")
    assert metrics["test/flagged"] == int((scores["score"] >= 0.5).sum())


def test_a_rule_given_to_eval_is_refitted_on_the_training_split(trained_run, ckpt, tmp_path):
    results = evaluate(compose_cfg("eval", tmp_path, f"ckpt_path={ckpt}", "report=false",
                                   "threshold=percentile", "threshold.q=100"))  # fmt: skip
    # the largest normal training score flags at least the beat that has it, and nothing more
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert results["threshold"] > trained_run[1]["threshold"]
    assert results["threshold_fitted_on"] == "train"
    assert results["test/flagged"] == int((scores["score"] >= results["threshold"]).sum())


def test_a_number_given_to_the_threshold_group_gets_one_paragraph(ckpt, tmp_path, capfd):
    code = run_entry_point(eval_main, f"ckpt_path={ckpt}", "threshold=2.0",
                           f"hydra.run.dir={tmp_path}")  # fmt: skip
    assert code == 2
    console = "".join(capfd.readouterr())
    assert "Traceback" not in console
    assert "threshold=manual threshold.value=2.0" in console


@pytest.mark.parametrize("problem", ["wrong_length", "nan"])
def test_predict_refuses_bad_input_with_a_message(ckpt, synthetic_csv, tmp_path, problem, capfd):
    x = read_beats(synthetic_csv).x[:5]
    if problem == "wrong_length":
        bad, expected = x[:, :100], "the model expects 140"
    else:
        bad, expected = x.copy(), "NaN"
        bad[1, 3] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    code = run_entry_point(
        predict_main,
        f"ckpt_path={ckpt}",
        f"input={tmp_path / 'bad.npy'}",
        f"output={tmp_path / 'out.csv'}",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    console = "".join(capfd.readouterr())
    assert code == 2
    assert expected in console and "Traceback" not in console
    assert not (tmp_path / "out.csv").exists()
    failure = json.loads((tmp_path / "run" / "failure.json").read_text())
    assert failure["status"] == "failed" and "ecg-anomaly-predict" in failure["rerun"]


def test_eval_refuses_data_of_another_beat_length(ckpt, tmp_path):
    path = write_tf_csv(tmp_path / "short.csv", *synthetic_beats(30, 20, seq_len=96))
    cfg = compose_cfg("eval", tmp_path, f"ckpt_path={ckpt}", f"data.path={path}")
    with pytest.raises(DataFormatError, match="expects 140"):
        evaluate(cfg)


def test_f1_optimal_without_validation_split_says_to_set_val_size(make_cfg):
    # the tutorial's setting: no validation split, so nothing to fit an F1-optimal threshold on
    cfg = make_cfg("threshold=f1_optimal", "data.val_size=0", "trainer.max_epochs=1")
    with pytest.raises(ValueError, match=r"data\.val_size"):
        train(cfg)


def test_eval_refuses_an_unknown_split(ckpt, tmp_path):
    cfg = compose_cfg("eval", tmp_path, f"ckpt_path={ckpt}", "split=testing")
    with pytest.raises(ConfigError, match="split='testing' is not allowed"):
        evaluate(cfg)


def test_eval_recuts_the_training_splits_and_reports_overlap(trained_run, ckpt, tmp_path, caplog):
    _, results = trained_run
    ckpt_arg = f"ckpt_path={ckpt}"
    # no data.* given: the checkpoint's own settings cut the same test split
    same = evaluate(compose_cfg("eval", tmp_path / "test", ckpt_arg, "report=false"))
    for key in ("test/accuracy", "test/auroc", "test/f1", "test/tp", "test/fp"):
        assert same[key] == pytest.approx(results[key], abs=1e-6), key
    assert same["overlaps_training"] is False
    # the model had no validation split: split=val is refused with the setting that cuts one
    with pytest.raises(ConfigError, match=r"data\.val_size=0\.0"):
        evaluate(compose_cfg("eval", tmp_path / "val0", ckpt_arg, "split=val"))
    # carving one from the training part scores training beats: a warning and a flag
    caplog.clear()
    val = evaluate(compose_cfg("eval", tmp_path / "val", ckpt_arg, "split=val",
                               "data.val_size=0.25", "report=false"))  # fmt: skip
    assert val["overlaps_training"] is True and val["overlap_beats"] == 80 == val["val/beats"]
    assert "beats this model was trained on" in caplog.text
    train_split = evaluate(compose_cfg("eval", tmp_path / "train", ckpt_arg, "split=train",
                                       "report=false"))  # fmt: skip
    assert train_split["overlaps_training"] is True
    assert train_split["overlap_beats"] == train_split["train/beats"] == 320
    saved = json.loads((tmp_path / "train" / "metrics.json").read_text())
    assert saved["overlaps_training"] is True


def test_a_finished_eval_folder_is_refused_unless_overwritten(ckpt, tmp_path, capfd):
    args = (f"ckpt_path={ckpt}", "report=false", f"hydra.run.dir={tmp_path}")
    assert run_entry_point(eval_main, *args) == 0
    first = (tmp_path / "metrics.json").stat().st_mtime_ns
    capfd.readouterr()
    assert run_entry_point(eval_main, *args) == 2
    assert "overwrite=true" in "".join(capfd.readouterr())
    assert (tmp_path / "metrics.json").stat().st_mtime_ns == first
    assert run_entry_point(eval_main, *args, "overwrite=true") == 0
