"""RR intervals and one-sided prematurity on hand-made rhythms."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_anomaly.recordings.features import (
    local_rr,
    prematurity,
    qrs_distance,
    rr_intervals,
    rr_irregularity,
)


def test_rr_intervals_in_seconds():
    rr_prev, rr_next = rr_intervals(np.array([0, 100, 250, 300]), fs=100)
    np.testing.assert_allclose(rr_prev, [np.nan, 1.0, 1.5, 0.5])
    np.testing.assert_allclose(rr_next, [1.0, 1.5, 0.5, np.nan])


def test_premature_beat_and_compensatory_pause():
    # A steady 1 s rhythm; beat 10 comes 0.3 s early, then the compensatory pause (1.3 s).
    rr = np.ones(20)
    rr[0] = np.nan
    rr[10], rr[11] = 0.7, 1.3
    early = prematurity(rr)
    assert early[10] == pytest.approx(0.3)
    assert early[11] == 0.0  # the pause is not premature (one-sided)
    assert early[0] == 0.0  # no RR before the first beat
    assert np.count_nonzero(early) == 1


def test_local_rr_follows_a_slow_change_and_ignores_nan():
    rr = np.concatenate([[np.nan], np.full(30, 1.0), np.full(30, 0.5)])
    ref = local_rr(rr, local_beats=4)
    assert ref[1] == 1.0 and ref[-1] == 0.5 and ref[0] == 1.0
    # A gradual speeding up is no prematurity; only the last 8 beats, whose window is
    # one-sided, lag behind by at most 8 beats' change (8 * 0.004 s / 0.8 s = 0.02 at the end).
    early = prematurity(np.linspace(1.0, 0.8, 51))
    np.testing.assert_allclose(early[:-8], 0.0, atol=1e-12)
    assert early[-1] == pytest.approx(1 - 0.8 / 0.816)


def test_qrs_distance_by_hand():
    # reference beats 0-2: value-wise median [0, 2, 0, 0], size sqrt(mean([0, 4, 0, 0])) = 1
    core = np.array(
        [[0, 2, 0, 0], [0, 2.4, 0, 0], [0, 1.6, 0.2, 0], [0, 0, 0, 0], [0, 2, 2, 0], [0, 6, 0, 0]]
    )
    ref = np.array([True, True, True, False, False, False])
    d = qrs_distance(core, ref)
    # RMS differences from the median over 4 values: 0, sqrt(0.16 / 4), sqrt((0.16 + 0.04) / 4),
    # sqrt(4 / 4), sqrt(4 / 4), sqrt(16 / 4); size 1
    np.testing.assert_allclose(d, [0.0, 0.2, np.sqrt(0.05), 1.0, 1.0, 2.0])
    # gain-free: the same beats at ten times the amplitude are as far
    np.testing.assert_allclose(qrs_distance(10 * core, ref), d)
    # no reference beat: the median of all
    np.testing.assert_allclose(qrs_distance(core, np.zeros(6, bool)), qrs_distance(core))
    assert qrs_distance(np.empty((0, 4))).shape == (0,)


@pytest.mark.parametrize("fs", [128.0, 1000.0])
def test_wide_ectopic_qrs_lies_far_from_the_usual_one_at_any_sampling_rate(fs):
    from ecg_anomaly.recordings import extract_beats
    from ecg_anomaly.recordings.synthetic import simulate_recording

    rec = simulate_recording(30.0, fs, ectopic_fraction=0.3, prematurity=0.25, seed=3)
    beats = extract_beats(rec.recording())
    normal, ectopic = beats.label == 0, beats.label == 1
    d = qrs_distance(beats.core, normal)
    assert beats.core.shape[1] == 25  # R +- 60 ms, 5 ms apart, whatever the rate
    # every wide ectopic QRS lies farther than any normal one, by a wide margin
    assert d[ectopic].min() > 2 * d[normal].max()


def test_rr_irregularity_by_hand():
    # a steady 1 s rhythm: 0; one premature beat (0.7 s, then 1.3 s) changes two of 33 values
    steady = np.concatenate([[np.nan], np.ones(40)])
    assert np.allclose(rr_irregularity(steady), 0.0)
    ectopic = steady.copy()
    ectopic[20], ectopic[21] = 0.7, 1.3
    assert np.allclose(rr_irregularity(ectopic), 0.0)  # the median ignores it
    # alternating 1.0 / 0.8 s: |0.2| / 0.8 = 0.25 after each short one, 0.2 after each long one;
    # the windows of beat 20 (beats 4..36, 33 changes) hold 17 of one and 16 of the other
    alternating = np.concatenate([[np.nan], np.tile([1.0, 0.8], 20)])
    assert rr_irregularity(alternating)[20] in (pytest.approx(0.2), pytest.approx(0.25))
    assert rr_irregularity(np.array([np.nan])).tolist() == [0.0]
    assert rr_irregularity(np.array([])).shape == (0,)
