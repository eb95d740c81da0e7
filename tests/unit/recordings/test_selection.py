"""Training-beat selection: the dominant rhythm's typical beats, without labels."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_anomaly.errors import ConfigError
from ecg_anomaly.recordings.extract import extract_beats
from ecg_anomaly.recordings.selection import (
    dominant_cluster,
    followed_by_pause,
    rhythm_prematurity,
    select_training_beats,
    toward_other_shapes,
    typical_shapes,
)
from ecg_anomaly.recordings.synthetic import simulate_recording

# Hand-made QRS windows: 64 values over [R - 0.15 s, R + 0.25 s], as RecordingBeats.qrs.
T = np.linspace(-0.15, 0.25, 64)


def _bump(centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((T - centre) / width) ** 2)


#: A narrow upright QRS and its T wave; a wide, negative ventricular beat (r = -0.1 between them).
NARROW = _bump(0.0, 0.01) + 0.25 * _bump(0.2, 0.04)
WIDE = -0.8 * _bump(0.03, 0.04) + 0.4 * _bump(-0.02, 0.02)


def _kept_share(keep: np.ndarray, group: np.ndarray) -> float:
    """Share of the ``group`` beats kept."""
    return float(keep[group].mean())


def _beats(shape: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    return shape + rng.normal(0.0, 0.03, (n, len(shape)))


def test_dominant_cluster_of_two_hand_made_shapes():
    t = np.linspace(0, 1, 50)
    rng = np.random.default_rng(0)
    a = np.sin(2 * np.pi * t) + rng.normal(0, 0.05, (30, 50))
    b = np.cos(6 * np.pi * t) + rng.normal(0, 0.05, (20, 50))
    mask = dominant_cluster(np.vstack([a, b]))
    assert mask.tolist() == [True] * 30 + [False] * 20


def test_dominant_cluster_of_a_subsample_assigns_the_rest(monkeypatch):
    import ecg_anomaly.recordings.selection as sel

    monkeypatch.setattr(sel, "MAX_CLUSTERED", 40)
    t = np.linspace(0, 1, 50)
    rng = np.random.default_rng(1)
    a = np.sin(2 * np.pi * t) + rng.normal(0, 0.05, (70, 50))
    b = np.cos(6 * np.pi * t) + rng.normal(0, 0.05, (30, 50))
    assert dominant_cluster(np.vstack([a, b])).tolist() == [True] * 70 + [False] * 30


def test_followed_by_pause_by_hand():
    # Beat 3 comes after 0.6 s and is followed by 1.4 s: an ectopic beat's compensatory pause.
    rr_prev = np.array([np.nan, 1.0, 1.0, 0.6, 1.4, 1.0, 1.0])
    rr_next = np.array([1.0, 1.0, 0.6, 1.4, 1.0, 1.0, np.nan])
    assert followed_by_pause(rr_prev, rr_next).tolist() == [0, 0, 0, 1, 0, 0, 0]
    # 1.19 / 1.0 is within the 20 % allowed, 1.21 / 1.0 is not.
    assert followed_by_pause(np.array([1.0, 1.0]), np.array([1.19, 1.21])).tolist() == [0, 1]


def test_rhythm_prematurity_by_hand():
    rr_prev = np.array([np.nan, 1.0, 1.0, 0.6, 1.4, 1.0, 1.0])
    # Median of the beat's own and 2 neighbours' intervals on each side: 1.0 around beat 3.
    early = rhythm_prematurity(rr_prev, 0.5, local_beats=2)
    assert early == pytest.approx([0, 0, 0, 0.4, 0, 0, 0])
    # The 90th percentile of [1.0, 1.0, 0.6, 1.4, 1.0] is 1.24 (numpy's linear interpolation).
    assert rhythm_prematurity(rr_prev, 0.9, local_beats=2)[3] == pytest.approx(1 - 0.6 / 1.24)
    # Four short intervals in five: the median is the short one, a high quantile the long one.
    runs = np.array([1.5, 0.75, 0.75, 0.75, 0.75] * 4)
    assert rhythm_prematurity(runs, 0.5, local_beats=4)[6:14].max() == 0.0
    assert rhythm_prematurity(runs, 0.9, local_beats=4)[6:9] == pytest.approx([0.5, 0.5, 0.5])
    assert rhythm_prematurity(np.array([]), local_beats=2).shape == (0,)


def test_typical_shapes_of_identical_beats_and_one_other():
    # Identical beats have no spread: the smallest scale keeps them and nothing else.
    x = np.vstack([np.tile(NARROW, (10, 1)), 0.9 * NARROW + 0.1 * WIDE])
    assert typical_shapes(x, np.ones(11, dtype=bool)).tolist() == [True] * 10 + [False]


def test_bigeminy_the_compensatory_pause_sets_the_wide_beats_aside():
    # N V N V ...: the wide beat comes after 0.6 s and is followed by 1.0 s; the narrow beat
    # the other way round. The local median of 17 alternating intervals is whichever interval
    # 9 of them have, i.e. the beat's own: every beat's prematurity is 0 (but at the ends).
    rng = np.random.default_rng(2)
    n = 100
    wide = np.arange(n) % 2 == 1
    x = np.where(wide[:, None], _beats(WIDE, n, rng), _beats(NARROW, n, rng))
    rr_prev = np.where(wide, 0.6, 1.0)
    rr_next = np.where(wide, 1.0, 0.6)
    assert rhythm_prematurity(rr_prev, 0.5, local_beats=8)[8:-8].max() == 0.0
    # The pause alone sets them aside (no prematurity used)...
    no_early = select_training_beats(x, rr_prev=rr_prev, rr_next=rr_next, max_prematurity=1.0)
    assert not no_early[wide].any()
    # ...and so does the default prematurity (against the 90th percentile: 1 - 0.6 / 1.0).
    assert rhythm_prematurity(rr_prev)[wide][5:-5] == pytest.approx(0.4)
    keep = select_training_beats(x, rr_prev=rr_prev, rr_next=rr_next)
    assert not keep[wide].any()
    # Noise leaning towards the wide shape by 2 robust SDs (a one-sided 2.3 % of Gaussian
    # noise) costs about one narrow beat in 50.
    assert keep[~wide].sum() >= 47


def test_premature_majority_in_runs_the_slow_beats_are_chosen():
    # As MIT-BIH 232: all beats normal-shaped, runs of five early beats (0.7 s) between single
    # beats after a long pause (1.6 s). The median interval is the early beats' own (their
    # prematurity against it is 0); against the 90th percentile they are 1 - 0.7/1.6 = 56 %
    # early. The last early beat of each run is also followed by a pause.
    rng = np.random.default_rng(6)
    rr_prev = np.tile([1.6, 0.7, 0.7, 0.7, 0.7, 0.7], 40)
    rr_next = np.r_[rr_prev[1:], 1.6]
    slow = rr_prev == 1.6
    keep = select_training_beats(
        _beats(NARROW, len(rr_prev), rng), rr_prev=rr_prev, rr_next=rr_next
    )
    assert rhythm_prematurity(rr_prev, 0.5, local_beats=8)[~slow][10:-10].max() == 0.0
    assert not keep[~slow].any()
    assert keep[slow].mean() >= 0.9


def test_fusion_like_intermediate_beats_are_left_out():
    # 200 normal beats and 20 on time whose shape is 80 % normal, 20 % ventricular (r = 0.95
    # with the normal beat): the loose cluster cut (r > 0.7) holds them with the normal ones,
    # the typical-shape cut (distance to the median beat) leaves them out.
    rng = np.random.default_rng(3)
    x = np.vstack([_beats(NARROW, 200, rng), _beats(0.8 * NARROW + 0.2 * WIDE, 20, rng)])
    rr = np.full(220, 0.8)
    cluster_only = select_training_beats(
        x, rr_prev=rr, rr_next=rr, max_spread=None, max_toward=None
    )
    assert cluster_only.sum() == 220
    keep = select_training_beats(x, rr_prev=rr, rr_next=rr)
    assert keep[200:].sum() == 0 and keep[:200].sum() >= 195  # a noise tail aside


def test_no_ectopy_keeps_nearly_all_beats():
    # 300 normal beats, white noise, and a sinus arrhythmia of +-5 % (no beat 10 % early, no
    # pause of 20 %): beats are left out only by the noise's tail.
    rng = np.random.default_rng(4)
    rr = 0.8 * (1 + 0.05 * np.sin(np.arange(301) / 3.0))
    keep = select_training_beats(_beats(NARROW, 300, rng), rr_prev=rr[:-1], rr_next=rr[1:])
    assert keep.mean() >= 0.97


def test_half_ectopic_training_span_keeps_the_normal_beats(bigeminy_like):
    beats = extract_beats(bigeminy_like.recording())
    normal = beats.label == 0
    assert 0.4 <= 1 - normal.mean() <= 0.6  # about half the beats are ectopic
    keep = select_training_beats(beats.qrs, rr_prev=beats.rr_prev, rr_next=beats.rr_next)
    assert normal[keep].mean() >= 0.98  # the selection is (almost) only normal beats
    assert keep[normal].mean() >= 0.8  # and keeps most of them
    # The prematurity alone (no intervals) does as well on this record.
    keep = select_training_beats(beats.qrs, beats.prematurity)
    assert normal[keep].mean() >= 0.98 and keep[normal].mean() >= 0.8
    everything = select_training_beats(beats.qrs, beats.prematurity, method="all")
    assert everything.all()


def test_minority_ectopic_beats_are_left_out_by_shape_alone():
    # Ectopic beats on time: no timing to help, the largest shape cluster is the normal one.
    sim = simulate_recording(90.0, 250.0, ectopic_fraction=0.3, prematurity=0.0, seed=5)
    beats = extract_beats(sim.recording())
    normal = beats.label == 0
    cluster = select_training_beats(beats.qrs, max_spread=None, max_toward=None)
    assert normal[cluster].all() and _kept_share(cluster, normal) >= 0.9
    # The typical-shape cuts leave out more: the simulator's beats next to an inserted ectopic
    # beat are distorted (of the 10 normal beats left out at 4 SDs, 9 are next to one).
    keep = select_training_beats(beats.qrs)
    assert normal[keep].all() and _kept_share(keep, normal) >= 0.8


def test_unknown_method():
    with pytest.raises(ConfigError, match=r"'kmeans'.*dominant, all"):
        select_training_beats(np.zeros((5, 3)), method="kmeans")


@pytest.mark.slow
def test_mitdb_208_training_beats_hold_at_most_1_percent_ectopic_beats(mitdb):
    # The first 5 minutes of 208: 509 beats, 163 V and 71 F. Before the compensatory pause
    # and the typical-shape cut, 42 F beats were among the 314 chosen (13 %).
    from ecg_anomaly.recordings.io import read_recording

    beats = extract_beats(read_recording(mitdb / "208"), window="centred")
    span = beats.time < 300.0
    keep = select_training_beats(
        beats.qrs[span], rr_prev=beats.rr_prev[span], rr_next=beats.rr_next[span]
    )
    label = beats.label[span][keep]
    assert (label == 1).mean() <= 0.01
    assert keep.sum() >= 0.4 * span.sum()  # 250 of the 509 measured


def test_toward_other_shapes_by_hand():
    # One beat 30 % of the way from the chosen beats' shape to the other shape leans towards
    # it; one as far on the opposite side does not (the test is one-sided).
    rng = np.random.default_rng(5)
    chosen = _beats(NARROW, 100, rng)
    other = _beats(WIDE, 10, rng)
    towards = 0.7 * NARROW + 0.3 * WIDE
    aside = 1.3 * NARROW - 0.3 * WIDE
    x = np.vstack([chosen, other, towards, aside])
    is_chosen = np.r_[np.ones(100, dtype=bool), np.zeros(12, dtype=bool)]
    is_other = np.r_[np.zeros(100, dtype=bool), np.ones(10, dtype=bool), False, False]
    leaning = toward_other_shapes(x, is_chosen, [is_other])
    assert leaning[110] and not leaning[111]
    assert leaning[100:110].all()  # the other shape's own beats lean towards it, of course
    assert leaning[:100].sum() <= 5  # a one-sided 2-SD tail of the chosen beats' noise
