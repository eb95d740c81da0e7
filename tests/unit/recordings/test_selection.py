"""Training-beat selection: the dominant morphology keeps the normal beats."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_anomaly.errors import ConfigError
from ecg_anomaly.recordings.extract import extract_beats
from ecg_anomaly.recordings.selection import dominant_cluster, select_training_beats
from ecg_anomaly.recordings.synthetic import simulate_recording


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


def test_half_ectopic_training_span_keeps_the_normal_beats(bigeminy_like):
    beats = extract_beats(bigeminy_like.recording())
    normal = beats.label == 0
    assert 0.4 <= 1 - normal.mean() <= 0.6  # about half the beats are ectopic
    keep = select_training_beats(beats.qrs, beats.prematurity)
    assert normal[keep].mean() >= 0.98  # the selection is (almost) only normal beats
    assert keep[normal].mean() >= 0.8  # and keeps most of them
    everything = select_training_beats(beats.qrs, beats.prematurity, method="all")
    assert everything.all()


def test_minority_ectopic_beats_are_left_out_by_shape_alone():
    # Ectopic beats on time: no timing to help, the largest shape cluster is the normal one.
    sim = simulate_recording(90.0, 250.0, ectopic_fraction=0.3, prematurity=0.0, seed=5)
    beats = extract_beats(sim.recording())
    keep = select_training_beats(beats.qrs)
    normal = beats.label == 0
    assert normal[keep].all() and keep[normal].mean() >= 0.9


def test_unknown_method():
    with pytest.raises(ConfigError, match=r"'kmeans'.*dominant, all"):
        select_training_beats(np.zeros((5, 3)), method="kmeans")
