"""Detection metrics against a confusion matrix and ROC-AUC worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from ecg_anomaly.anomaly.evaluation import detection_metrics
from ecg_anomaly.anomaly.metrics import METRIC_NAMES


def test_threshold_metrics_match_a_hand_computed_confusion_matrix():
    # threshold 0.3 flags 0.4, 0.35, 0.8: tp 2 (0.35, 0.8), fp 1 (0.4), fn 0, tn 1 (0.1)
    scores = torch.tensor([0.1, 0.4, 0.35, 0.8])
    labels = torch.tensor([0, 0, 1, 1])
    m = detection_metrics(scores, labels, threshold=0.3)
    assert (m["tn"], m["fp"], m["fn"], m["tp"]) == (1, 1, 0, 2)
    assert m["accuracy"] == pytest.approx(3 / 4)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(1.0)
    assert m["specificity"] == pytest.approx(1 / 2)
    assert m["f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 0))
    # the tutorial's orientation, normal positive: predicted normal {0.1} is right; 1 of 2 found
    assert m["normal_precision"] == pytest.approx(1.0)
    assert m["normal_recall"] == pytest.approx(1 / 2)
    # ranking: 3 of the 4 (abnormal, normal) pairs are ordered right (0.35 < 0.4 is not)
    assert m["auroc"] == pytest.approx(0.75)
    # average precision: recall 1/2 at precision 1 (0.8), recall 1 at precision 2/3 (0.35)
    assert m["auprc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert set(METRIC_NAMES) <= set(m)


def test_a_score_equal_to_the_threshold_is_flagged_abnormal():
    m = detection_metrics(torch.tensor([0.5, 0.2]), torch.tensor([1, 0]), threshold=0.5)
    assert (m["tp"], m["tn"]) == (1, 1)


@pytest.mark.parametrize("scale", [1.0, 100.0])
def test_scores_above_one_are_ranked_not_squashed_by_a_sigmoid(scale):
    # as logits, sigmoid(10..40) are all 1.0 in float32: a sigmoid would give AUROC 0.5
    scores = torch.tensor([10.0, 20.0, 30.0, 40.0]) * scale
    labels = torch.tensor([0, 1, 0, 1])
    assert detection_metrics(scores, labels, threshold=25.0 * scale)["auroc"] == pytest.approx(0.75)


def test_one_class_gives_nan_ranking_metrics_with_a_warning():
    with pytest.warns(UserWarning, match="one class"):
        m = detection_metrics(torch.tensor([0.1, 0.9]), torch.tensor([0, 0]), threshold=0.5)
    assert math.isnan(m["auroc"]) and math.isnan(m["auprc"])
    assert m["accuracy"] == pytest.approx(0.5)


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="as many scores as labels"):
        detection_metrics(torch.tensor([0.1, 0.2]), torch.tensor([0]), threshold=0.5)
