"""The timing term of the post-processing, typed flags and EC57's VEB/SVEB counts, by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ecg_anomaly.anomaly.postprocess import PostProcessor
from ecg_anomaly.anomaly.scoring import SplitScores
from ecg_anomaly.anomaly.thresholds import PercentileThreshold
from ecg_anomaly.recordings.ec57 import counts, rates
from ecg_anomaly.recordings.timing import TimingTerm, beat_types


def test_timing_term_hand_example():
    term = TimingTerm(scale=0.1)
    term.fit(torch.tensor([4.0, 1.0, 3.0, 2.0]), {})  # sorted: median 2.5, max 4
    shape = torch.tensor([0.5, 2.0, 4.0, 5.5, 2.0], dtype=torch.float64)
    early = torch.tensor([0.0, 0.0, 0.0, 0.0, 0.2], dtype=torch.float64)
    score, parts = term(shape, {"prematurity": early})
    # CDF 0, 0.5, 1; beyond the max: 1 + (5.5 - 4) / (4 - 2.5) = 2; prematurity 0.2 -> +2.
    np.testing.assert_allclose(score.numpy(), [0.0, 0.5, 1.0, 2.0, 2.5])
    np.testing.assert_allclose(parts["shape_part"].numpy(), [0.0, 0.5, 1.0, 2.0, 0.5])
    np.testing.assert_allclose(parts["timing_part"].numpy(), [0, 0, 0, 0, 2.0])


def test_flagged_beats_are_typed_by_the_part_that_made_them_abnormal():
    flags = np.array([0, 1, 1, 1, 0])
    shape = np.array([2.0, 1.0, 0.4, 3.0, 0.1])
    # not flagged -> 0; shape part >= 1 -> ventricular (1); below -> supraventricular (2)
    assert beat_types(flags, shape).tolist() == [0, 1, 2, 1, 0]


def test_ec57_counts_by_hand():
    # AAMI codes: 1 N, 2 S, 3 V, 4 F, 5 Q, -1 unmatched detection
    classes = np.array([3, 3, 3, 2, 2, 1, 1, 4, 5, -1, 1])
    types = np.array([1, 2, 0, 2, 1, 1, 2, 1, 1, 1, 0])
    n = counts(classes, types)
    # VEB: V typed V: 1 (TP); V typed S or not flagged: 2 (FN); typed V among others: S (row 4)
    # and N (row 5) count, F (row 7), Q (row 8) and the unmatched detection (row 9) do not.
    assert (n["veb/tp"], n["veb/fn"], n["veb/fp"]) == (1, 2, 2)
    # SVEB: S typed S: 1 (row 3); S typed V: FN; typed S among others: V (row 1), N (row 6).
    assert (n["sveb/tp"], n["sveb/fn"], n["sveb/fp"]) == (1, 1, 2)
    r = rates(n)
    assert r["veb/sensitivity"] == pytest.approx(1 / 3) and r["veb/ppv"] == pytest.approx(1 / 3)
    assert r["sveb/sensitivity"] == pytest.approx(0.5) and r["sveb/ppv"] == pytest.approx(1 / 3)


def test_rates_are_nan_without_the_class():
    n = counts(np.array([1, 1]), np.array([0, 0]))
    assert np.isnan(rates(n)["veb/sensitivity"]) and np.isnan(rates(n)["veb/ppv"])


def test_post_processor_with_timing_survives_a_state_dict_round_trip():
    post = PostProcessor(PercentileThreshold(100.0), terms=[TimingTerm(0.1)])
    train = SplitScores("train", np.array([1.0, 2.0, 3.0, 4.0]),
                        extras={"prematurity": np.zeros(4)})  # fmt: skip
    post.fit({"train": train}, labels_known=False)
    assert post.value == pytest.approx(1.0)  # the largest training beat's CDF: 4 of 4
    fresh = PostProcessor()
    fresh.load_state_dict(post.state_dict())
    assert fresh.value == post.value and "timing" in fresh.terms
    torch.testing.assert_close(fresh.terms["timing"].reference, post.terms["timing"].reference)
    assert fresh.describe()["threshold_rule"] == "the largest of the normal train scores"
    test = SplitScores("test", np.array([2.0, 6.0]), extras={"prematurity": np.array([0.3, 0])})
    final = fresh.apply_split(test)
    np.testing.assert_allclose(final.scores, [0.5 + 3.0, 1.0 + 2.0 / 1.5])
    assert fresh.flag(final.scores).tolist() == [1, 1]


def test_the_qrs_part_against_the_training_beats_distances_by_hand():
    term = TimingTerm(scale=0.1, qrs_spread=2.0)
    train = {"qrs_distance": torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5], dtype=torch.float64)}
    term.fit(torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]), train)
    # median 0.3; absolute deviations 0.2 0.1 0 0.1 0.2 -> MAD 0.1 -> robust SD 0.14826
    torch.testing.assert_close(
        term.qrs_reference, torch.tensor([0.3, 0.14826], dtype=torch.float64)
    )
    d = torch.tensor([0.3, 0.3 + 2 * 0.14826, 0.3 + 4 * 0.14826], dtype=torch.float64)
    score, parts = term(
        torch.tensor([1.0, 1.0, 1.0]), {"prematurity": torch.zeros(3), "qrs_distance": d}
    )
    np.testing.assert_allclose(parts["qrs_part"].numpy(), [0.0, 1.0, 2.0])
    np.testing.assert_allclose(score.numpy(), [0.2, 0.2, 0.2])  # the QRS part is not scored


def test_identical_training_qrs_get_the_smallest_spread():
    term = TimingTerm()
    term.fit(torch.ones(4), {"qrs_distance": torch.zeros(4, dtype=torch.float64)})
    assert term.qrs_reference.tolist() == [0.0, 0.01]  # MIN_QRS_SCALE
    _, parts = term(
        torch.ones(1), {"prematurity": torch.zeros(1), "qrs_distance": torch.tensor([0.06])}
    )
    assert parts["qrs_part"].item() == pytest.approx(1.0)  # 6 x 0.01


def test_flagged_beats_are_typed_by_their_qrs_where_they_have_one():
    flags = np.array([1, 1, 1, 1, 0, 1])
    shape = np.array([2.0, 0.1, 2.0, 0.1, 2.0, 0.5])
    qrs = np.array([0.5, 1.5, np.nan, np.nan, 3.0, 1.0])
    # a normal QRS despite a strange shape (a premature beat's window) -> S; a strange QRS -> V;
    # no QRS part -> by the shape part; not flagged -> 0; qrs part exactly 1 -> V
    assert beat_types(flags, shape, qrs).tolist() == [2, 1, 1, 2, 0, 1]


def test_a_timing_term_saved_without_a_qrs_reference_loads_and_types_by_shape():
    post = PostProcessor(PercentileThreshold(100.0), terms=[TimingTerm(0.1)])
    train = SplitScores("train", np.array([1.0, 2.0, 3.0, 4.0]),
                        extras={"prematurity": np.zeros(4)})  # fmt: skip
    post.fit({"train": train}, labels_known=False)
    state = post.state_dict()
    del state["terms.timing.qrs_reference"]  # as saved before the QRS typing
    fresh = PostProcessor()
    fresh.load_state_dict(state)
    assert fresh.terms["timing"].qrs_reference.numel() == 0
    extras = {"prematurity": np.zeros(1), "qrs_distance": np.array([9.0])}
    test = SplitScores("test", np.array([6.0]), extras=extras)
    final = fresh.apply_split(test)
    assert "qrs_part" not in final.extras  # nothing to compare the distance with
    assert fresh.columns(fresh.evaluate(final))["type"].tolist() == ["V"]  # shape part 2.33


def test_a_normal_qrs_flagged_in_an_irregular_rhythm_is_not_typed():
    flags = np.array([1, 1, 1, 1, 0])
    shape = np.zeros(5)
    qrs = np.array([0.2, 0.2, 2.0, 0.2, 0.2])
    irregularity = np.array([0.03, 0.25, 0.25, 0.1, 0.25])
    # regular -> S; fibrillation-like (0.25) -> Q (3), but a strange QRS stays V; 0.1 -> Q
    assert beat_types(flags, shape, qrs, irregularity).tolist() == [2, 3, 1, 3, 0]
    assert beat_types(flags, shape, qrs, irregularity, irregular=None).tolist() == [2, 2, 1, 2, 0]
    # Q flags count in neither VEB nor SVEB
    n = counts(np.array([1, 2, 3, 1, 1]), beat_types(flags, shape, qrs, irregularity))
    assert (n["sveb/tp"], n["sveb/fn"], n["sveb/fp"]) == (0, 1, 1)
    assert (n["veb/tp"], n["veb/fp"]) == (1, 0)


def test_the_term_types_from_the_split_and_writes_q():
    term = TimingTerm(qrs_spread=1.0)
    term.fit(torch.tensor([1.0, 2.0, 3.0]), {"qrs_distance": torch.tensor([0.0, 0.1, 0.2])})
    extras = {"prematurity": np.array([0.3, 0.3]), "qrs_distance": np.array([0.1, 0.1]),
              "irregularity": np.array([0.02, 0.3])}  # fmt: skip
    split = SplitScores("test", np.array([2.0, 2.0]), classes=np.array([2, 1]), extras=extras)
    final = PostProcessor(terms=[term]).apply_split(split)
    assert term.columns(final, np.array([1, 1]))["type"].tolist() == ["S", "Q"]
    assert term.metrics(final, np.array([1, 1]))["sveb/tp"] == 1
