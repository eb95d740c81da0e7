"""From a recording to its table of beats: record 100 end to end, polarity, no annotations."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_anomaly.data.labels import UNKNOWN
from ecg_anomaly.recordings.extract import extract_beats
from ecg_anomaly.recordings.io import Recording, recording_from_array


def test_record100_beats(beats100, record100):
    b = beats100
    assert b.x.shape == (len(b), 140) and b.x.dtype == np.float32
    assert b.qrs.shape == (len(b), 64)
    assert b.polarity == 1 and b.fs == 360
    # 2273 beats detected, every one cut and scored (the last one's window is cut at the end
    # of the record): the table reproduces the detection's counts
    assert b.n_detected == 2273 == len(b) == b.detection.tp + b.detection.fp
    assert b.sample[0] == 77 and b.time[0] == pytest.approx(77 / 360, abs=0.5 / 360)
    assert np.isnan(b.rr_prev[0]) and b.rr_next[0] == pytest.approx((370 - 77) / 360, abs=1 / 360)
    assert (b.aami == "N").sum() == 2239 and (b.aami == "S").sum() == 33
    assert (b.aami == "V").sum() == 1 and (b.label == UNKNOWN).sum() == 0
    assert set(b.symbol) == {"N", "A", "V"}
    np.testing.assert_array_equal(b.label, (b.aami != "N").astype(int))
    # Every atrial premature beat comes at least 15 % early, no normal beat does.
    assert (b.prematurity[b.symbol == "A"] > 0.15).all()
    assert (b.prematurity[b.symbol == "N"] < 0.15).all()
    metrics = b.metrics()
    assert metrics["n_beats"] == 2273 and metrics["polarity"] == 1
    assert metrics["beats/sensitivity"] >= 0.998 and metrics["beats/ppv"] >= 0.998


def test_table_and_subset(beats100):
    frame = beats100.to_frame()
    assert list(frame.columns) == [
        "time", "sample", "rr_prev", "rr_next", "prematurity", "votes", "whole", "symbol", "aami",
        "label",
    ]  # fmt: skip
    # the last beat's window would end after the record: listed, not scored
    assert frame["whole"].iloc[:-1].all() and not frame["whole"].iloc[-1]
    assert len(frame) == len(beats100)
    early = beats100.subset(beats100.time < 300)
    assert len(early) == (beats100.time < 300).sum() and early.detection is beats100.detection
    assert early.x.shape[1] == 140 and (early.time < 300).all()


def test_inverted_recording_gives_the_same_beats(record100):
    n = 90 * 360
    part = Recording(record100.signal[:n], 360.0, "MLII", ("MLII",))
    flipped = Recording(-record100.signal[:n], 360.0, "MLII", ("MLII",))
    a, b = extract_beats(part), extract_beats(flipped)
    assert a.polarity == 1 and b.polarity == -1
    np.testing.assert_array_equal(a.sample, b.sample)
    np.testing.assert_allclose(a.x, b.x, atol=1e-5)


def test_without_annotations_labels_are_unknown(pvc_rich):
    rec = recording_from_array(pvc_rich.signal, pvc_rich.fs)
    beats = extract_beats(rec, window="centred")
    assert beats.detection is None and (beats.label == UNKNOWN).all()
    assert set(beats.symbol) == {""} and set(beats.aami) == {""}
    assert "beats/sensitivity" not in beats.metrics()


def test_synthetic_labels_follow_the_inserted_beats(pvc_rich):
    beats = extract_beats(pvc_rich.recording())
    assert beats.detection.sensitivity == 1.0 and beats.detection.ppv == 1.0
    nearest = np.abs(pvc_rich.peaks[None, :] - beats.sample[:, None]).argmin(1)
    truth = pvc_rich.ectopic[nearest]
    np.testing.assert_array_equal(beats.label, truth.astype(int))
