"""Run folders into one table; gross figures from summed counts, never from averaged rates."""

from __future__ import annotations

import json
import math

import pytest

from ecg_anomaly.records import tally


def write_run(folder, name, detection, veb, sveb, abnormal, recall_v, n_v, auroc):
    run = folder / name
    run.mkdir(parents=True)
    tp, fn, fp = detection
    metrics = {
        "split": "test",
        "data/beats/tp": tp, "data/beats/fn": fn, "data/beats/fp": fp,
        "data/beats/sensitivity": tp / (tp + fn), "data/beats/ppv": tp / (tp + fp),
        "test/beats": 100, "test/auroc": auroc, "test/auprc": 0.5,
        "test/recall": 0.5, "test/precision": 0.5, "test/specificity": 0.9,
        "test/tp": abnormal[0], "test/fn": abnormal[1], "test/fp": abnormal[2], "test/tn": 80,
        "test/recall_class_3": recall_v, "test/n_class_3": n_v,
        **{f"test/veb/{k}": v for k, v in zip(("tp", "fn", "fp"), veb, strict=True)},
        **{f"test/sveb/{k}": v for k, v in zip(("tp", "fn", "fp"), sveb, strict=True)},
        "time/detect_seconds": 1.5, "time/fit_seconds": 2.0, "threshold": 1.7,
        "warnings": ["noisy"],
    }  # fmt: skip
    (run / "metrics.json").write_text(json.dumps(metrics))


@pytest.fixture
def runs(tmp_path):
    write_run(tmp_path, "1", (10, 1, 0), (4, 4, 1), (0, 2, 3), (6, 2, 1), 0.5, 4, 0.9)
    write_run(tmp_path, "2", (5, 0, 2), (2, 0, 0), (1, 1, 1), (3, 0, 4), 1.0, 2, 0.99)
    write_run(tmp_path, "3", (20, 0, 0), (9, 9, 9), (9, 9, 9), (9, 9, 9), 0.0, 9, 0.1)  # paced
    (tmp_path / "4").mkdir()
    (tmp_path / "4" / "failure.json").write_text(
        json.dumps({"status": "failed", "error": "ConfigError: too short\nmore lines"})
    )
    return tally.record_rows(tmp_path, ["1", "2", "3", "4", "5"], paced=["3"],
                             skipped={"5": "paced (--paced skip)"})  # fmt: skip


def test_one_row_per_record_with_status_and_reason(runs):
    assert list(runs["record"]) == ["1", "2", "3", "4", "5"]
    assert list(runs["status"]) == ["ok", "ok", "ok", "failed", "skipped"]
    assert list(runs["counted"]) == [True, True, False, False, False]
    assert runs.loc[3, "reason"] == "ConfigError: too short"
    assert runs.loc[0, "time/detect"] == 1.5 and runs.loc[0, "warnings"] == "noisy"
    assert runs.loc[0, "abnormal"] == 4  # the abnormal classes' test beats (V only here)


def test_gross_figures_sum_the_counts(runs):
    g = tally.gross(runs)
    # detection over every scored record, the paced one included
    assert (g["detection/tp"], g["detection/fn"], g["detection/fp"]) == (35, 1, 2)
    assert g["detection/sensitivity"] == pytest.approx(35 / 36)
    assert g["detection/ppv"] == pytest.approx(35 / 37)
    # VEB over the counted records: (4+2) / (4+2 + 4+0) and 6 / (6 + 1)
    assert g["veb/sensitivity"] == pytest.approx(0.6)
    assert g["veb/ppv"] == pytest.approx(6 / 7)
    assert g["sveb/sensitivity"] == pytest.approx(1 / 4)
    assert g["sveb/ppv"] == pytest.approx(1 / 5)
    # pooled recall: (0.5*4 + 1.0*2) / 6, not the mean of the rates (0.75)
    assert g["recall/V"] == pytest.approx(4 / 6)
    assert g["abnormal/sensitivity"] == pytest.approx(9 / 11)
    assert g["abnormal/ppv"] == pytest.approx(9 / 14)
    assert g["auroc/median"] == pytest.approx(0.945)
    assert g["auroc/below_0.97"] == 1
    assert (g["records"], g["records/counted"]) == (3, 2)


def test_summary_names_every_record_not_scored(runs):
    s = tally.summary(runs, command="x")
    assert s["failures"] == {"4": "failed: ConfigError: too short",
                             "5": "skipped: paced (--paced skip)"}  # fmt: skip
    assert s["records/paced"] == ["3"]
    assert s["time/detect_seconds"] == pytest.approx(4.5) and s["command"] == "x"


def test_a_database_where_nothing_was_scored(tmp_path):
    rows = tally.record_rows(tmp_path, ["a"])
    s = tally.summary(rows)
    assert s["records"] == 0 and math.isnan(s["detection/sensitivity"])
    assert s["failures"]["a"].startswith("missing: no results in")
