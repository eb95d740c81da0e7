"""The one decision rule and the evaluation built on it, checked against hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ecg_anomaly.anomaly.evaluation import evaluate, flag
from ecg_anomaly.anomaly.scoring import ScoreCollector, SplitScores


def test_flag_is_score_at_or_above_the_threshold_for_arrays_and_tensors():
    np.testing.assert_array_equal(flag(np.array([0.1, 0.5, 0.9]), 0.5), [0, 1, 1])
    assert flag(torch.tensor([0.1, 0.5, 0.9]), 0.5).tolist() == [0, 1, 1]
    assert flag(np.array([0.5]), 0.5).dtype == np.int64


def test_evaluation_of_every_threshold_and_every_class():
    # classes 1 normal, 2 and 3 abnormal; threshold 0.5 flags rows 1, 2 and 4
    split = SplitScores(
        "test",
        scores=np.array([0.1, 0.6, 0.7, 0.2, 0.9]),
        labels=np.array([0, 0, 1, 1, 1]),
        classes=np.array([1, 1, 2, 3, 3]),
        rows=np.array([10, 11, 12, 13, 14]),
    )
    ev = evaluate(split, {"threshold": 0.5, "strict": 0.8})
    np.testing.assert_array_equal(ev.deciding_flags, [0, 1, 1, 0, 1])
    assert ev.confusion() == (1, 1, 1, 2)  # tn fp fn tp
    m = ev.metrics
    assert m["test/accuracy"] == pytest.approx(3 / 5)
    assert m["test/false_alarm_class_1"] == pytest.approx(1 / 2)
    assert m["test/recall_class_2"] == pytest.approx(1.0)
    assert m["test/recall_class_3"] == pytest.approx(1 / 2)
    assert m["test/n_class_3"] == 2
    # the extra threshold 0.8 flags row 4 only: tp 1, fn 2
    assert ev.confusion("strict") == (2, 0, 2, 1)
    assert "test/strict/auroc" not in m  # ranking metrics do not depend on a threshold
    # ranking: 5 of the 6 (abnormal, normal) pairs ordered right, (0.2, 0.6) is not
    assert m["test/auroc"] == pytest.approx(5 / 6)
    assert ev.table()["threshold"] == 0.5 and ev.table("strict")["threshold/strict"] == 0.8


def test_evaluation_without_labels_counts_flags_only():
    ev = evaluate(SplitScores("all", np.array([0.1, 0.9])), {"threshold": 0.5})
    assert ev.metrics == {"all/beats": 2, "all/flagged": 1}
    assert ev.warnings == []


def test_beats_of_unknown_label_are_flagged_but_left_out_of_the_metrics():
    # a recording: the last detected beat matches no annotation (label -1)
    split = SplitScores(
        "test", np.array([0.1, 0.2, 0.9, 0.95]), np.array([0, 0, 1, -1]), np.array([1, 1, 2, -1])
    )
    ev = evaluate(split, {"threshold": 0.5})
    assert ev.deciding_flags.tolist() == [False, False, True, True]
    m = ev.metrics
    assert (m["test/beats"], m["test/flagged"], m["test/unlabelled_beats"]) == (4, 2, 1)
    assert ev.confusion() == (2, 0, 0, 1)  # tn, fp, fn, tp of the 3 labelled beats
    assert m["test/accuracy"] == 1.0 and m["test/auroc"] == 1.0
    assert m["test/recall_class_2"] == 1.0 and m["test/false_alarm_class_1"] == 0.0
    assert "test/recall_class_-1" not in m


def test_inverted_scores_are_warned_about():
    split = SplitScores("val", np.array([0.9, 0.8, 0.1]), labels=np.array([0, 0, 1]))
    (warning,) = evaluate(split, {"threshold": 0.5}).warnings
    assert "val ROC-AUC is 0.000" in warning


def test_collector_orders_rows_and_knows_unknown_labels():
    c = ScoreCollector("test", gather=False)
    c.update({"scores": torch.tensor([0.3, 0.1]), "row": torch.tensor([5, 2])})
    c.update({"scores": torch.tensor([0.2]), "row": torch.tensor([3])})
    out = c.compute()
    np.testing.assert_array_equal(out.rows, [2, 3, 5])
    np.testing.assert_allclose(out.scores, [0.1, 0.2, 0.3])
    assert out.labels is None and out.classes is None
