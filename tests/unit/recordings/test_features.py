"""RR intervals and one-sided prematurity on hand-made rhythms."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_anomaly.recordings.features import local_rr, prematurity, rr_intervals


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
