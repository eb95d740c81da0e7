"""What a user sees: a quiet console, and sanity checks that say when results cannot be trusted."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ecg_anomaly.data.beatfiles import read_beats
from ecg_anomaly.data.splits import train_test_split_indices
from ecg_anomaly.train import train
from tests.conftest import write_tf_csv


@pytest.mark.slow
def test_the_tutorial_run_prints_no_tips_and_no_warnings(synthetic_csv, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ecg_anomaly.train", "experiment=tf_tutorial_dense_ae",
         f"data.path={synthetic_csv}", f"hydra.run.dir={tmp_path}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    console = proc.stdout + proc.stderr
    assert "Tip" not in console and "litlogger" not in console
    assert "GPU available" not in console
    assert not [line for line in console.splitlines() if "WARNING" in line or "Warning" in line]
    lines = [line.split("] - ", 1)[-1] for line in console.splitlines() if "][" in line]
    assert len(lines) == len(set(lines)), "a line was printed twice"
    assert "| test/accuracy" in proc.stdout


def test_inverted_scores_are_flagged_in_metrics_and_report(make_cfg, synthetic_csv, tmp_path):
    # the training part is labelled right, the test part's labels are swapped: the scores of
    # the test "abnormal" beats (really normal ones) are the lowest, ROC-AUC far below 0.5
    beats = read_beats(synthetic_csv)
    labels = beats.y.copy()
    _, test = train_test_split_indices(len(labels), 0.2, 21)
    labels[test] = 1 - labels[test]
    path = write_tf_csv(tmp_path / "swapped.csv", beats.x, labels)
    results = train(make_cfg(f"data.path={path}", "trainer.max_epochs=5", "report=true"))
    assert results["test/auroc"] < 0.5
    saved = json.loads((tmp_path / "metrics.json").read_text())
    (warning,) = saved["warnings"]
    assert "below 0.5" in warning and "inverted" in warning
    assert "## Warnings" in (tmp_path / "report.md").read_text()


def test_a_threshold_flagging_every_training_beat_is_reported(make_cfg):
    results = train(make_cfg("threshold=manual", "threshold.value=0", "trainer.max_epochs=2"))
    assert any("flags every normal training beat" in w for w in results["warnings"]) is False
    # a manual threshold is the user's choice; a fitted one that flags all is not
    results = train(make_cfg("threshold=percentile", "threshold.q=0", "trainer.max_epochs=2",
                             "overwrite=true"))  # fmt: skip
    assert any("flags every normal training beat" in w for w in results["warnings"])
    assert np.isfinite(results["threshold"])
