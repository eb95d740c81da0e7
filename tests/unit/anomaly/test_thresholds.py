"""Thresholds against answers worked out by hand, fallbacks included."""

from __future__ import annotations

import math

import pytest
import torch
from hydra.utils import instantiate

from ecg_anomaly.anomaly.thresholds import (
    F1OptimalThreshold,
    ManualThreshold,
    MeanStdThreshold,
    PercentileThreshold,
    ThresholdWarning,
)


def fitted(threshold, scores, labels=None):
    threshold.update(torch.tensor(scores), None if labels is None else torch.tensor(labels))
    return float(threshold.compute())


# -- mean + k * std ----------------------------------------------------------------------------


def test_mean_std_uses_population_std_of_normal_scores_only():
    # normal scores 1, 2, 3, 4: mean 2.5, population variance 1.25; the abnormal 100 is ignored
    scores, labels = [1.0, 2.0, 100.0, 3.0, 4.0], [0, 0, 1, 0, 0]
    assert fitted(MeanStdThreshold(k=1.0), scores, labels) == pytest.approx(2.5 + math.sqrt(1.25))
    assert fitted(MeanStdThreshold(k=2.0), scores, labels) == pytest.approx(
        2.5 + 2 * math.sqrt(1.25)
    )
    assert fitted(MeanStdThreshold(k=0.0), scores, labels) == pytest.approx(2.5)


def test_mean_std_without_labels_takes_every_score_as_normal():
    assert fitted(MeanStdThreshold(), [2.0, 4.0]) == pytest.approx(3.0 + 1.0)


def test_mean_std_accumulates_batches_and_resets():
    t = MeanStdThreshold(k=1.0)
    t.update(torch.tensor([1.0, 2.0]), torch.tensor([0, 0]))
    t.update(torch.tensor([3.0, 4.0]), torch.tensor([0, 0]))
    assert float(t.compute()) == pytest.approx(2.5 + math.sqrt(1.25))
    t.reset()
    assert fitted(t, [5.0, 5.0]) == pytest.approx(5.0)


@pytest.mark.filterwarnings("ignore:The ``compute`` method:UserWarning")
def test_mean_std_without_normal_scores_or_without_any_scores_raises():
    with pytest.raises(ValueError, match="normal beats"):
        fitted(MeanStdThreshold(), [1.0, 2.0], [1, 1])
    with pytest.raises(ValueError, match="no scores"):
        MeanStdThreshold().compute()


# -- percentile --------------------------------------------------------------------------------


@pytest.mark.parametrize(("q", "expected"), [(0, 1.0), (50, 3.0), (90, 4.6), (100, 5.0)])
def test_percentile_interpolates_linearly_over_normal_scores(q, expected):
    # sorted normal scores 1..5: the 90th percentile sits at position 0.9 * 4 = 3.6 -> 4.6
    scores, labels = [5.0, 1.0, 50.0, 4.0, 2.0, 3.0], [0, 0, 1, 0, 0, 0]
    assert fitted(PercentileThreshold(q=q), scores, labels) == pytest.approx(expected)


@pytest.mark.parametrize("q", [-1.0, 100.5])
def test_percentile_outside_0_100_is_refused(q):
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        PercentileThreshold(q=q)


# -- F1-optimal --------------------------------------------------------------------------------


def test_f1_optimal_picks_the_best_cut_off():
    # cut-offs (flag score >= cut):  0.6: tp1 fp0 fn2 F1 .50   0.5: tp2 fp0 fn1 F1 .80
    # 0.4: tp2 fp1 fn1 F1 .67   0.3: tp3 fp1 fn0 F1 .86 (best)   0.2: F1 .75   0.1: F1 .67
    scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    labels = [0, 0, 1, 0, 1, 1]
    assert fitted(F1OptimalThreshold(), scores, labels) == pytest.approx(0.3)


def test_f1_optimal_prefers_the_highest_cut_off_among_equal_f1():
    # 0.8: tp1 fp0 fn1 F1 2/3;  0.6: 1/2;  0.4: 2/5;  0.2: tp2 fp2 fn0 F1 2/3 -> the higher, 0.8
    assert fitted(F1OptimalThreshold(), [0.8, 0.6, 0.4, 0.2], [1, 0, 0, 1]) == pytest.approx(0.8)


def test_f1_optimal_treats_tied_scores_as_one_cut_off():
    # ">= 0.5" flags both 0.5 beats at once: tp1 fp1 fn0 F1 2/3, better than 0.2's 1/2
    assert fitted(F1OptimalThreshold(), [0.5, 0.5, 0.2], [0, 1, 0]) == pytest.approx(0.5)


def test_f1_optimal_without_abnormal_beats_warns_and_flags_nothing():
    t = F1OptimalThreshold()
    with pytest.warns(ThresholdWarning, match="no abnormal"):
        value = fitted(t, [0.1, 0.3, 0.2], [0, 0, 0])
    assert value > 0.3
    # scores are kept in float64: the next float64 above the float32 score 0.3
    top = torch.tensor(0.3).double()
    assert value == float(torch.nextafter(top, torch.tensor(math.inf, dtype=torch.float64)))


def test_f1_optimal_without_normal_beats_warns_and_flags_everything():
    with pytest.warns(ThresholdWarning, match="no normal"):
        assert fitted(F1OptimalThreshold(), [0.7, 0.4], [1, 1]) == pytest.approx(0.4)


# -- manual and the split each one needs -------------------------------------------------------


def test_manual_threshold_needs_no_data():
    assert float(ManualThreshold(value=0.7).compute()) == pytest.approx(0.7)


def test_each_threshold_names_the_split_it_is_fitted_on():
    assert MeanStdThreshold.fit_on == "train"
    assert PercentileThreshold.fit_on == "train"
    assert F1OptimalThreshold.fit_on == "val"
    assert ManualThreshold.fit_on is None


@pytest.mark.parametrize(
    ("name", "override", "cls", "attr", "value"),
    [
        ("mean_std", "threshold.k=2", MeanStdThreshold, "k", 2),
        ("percentile", "threshold.q=99", PercentileThreshold, "q", 99),
        ("f1_optimal", None, F1OptimalThreshold, None, None),
        ("manual", "threshold.value=0.25", ManualThreshold, "value", 0.25),
    ],
)
def test_threshold_config_group_selects_each_rule(make_cfg, name, override, cls, attr, value):
    cfg = make_cfg(f"threshold={name}", *([override] if override else []))
    threshold = instantiate(cfg.threshold)
    assert type(threshold) is cls
    if attr:
        assert getattr(threshold, attr) == value
