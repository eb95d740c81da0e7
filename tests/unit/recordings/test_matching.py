"""EC57 beat matching on hand-made examples, and the reference beats of annotations."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_anomaly.recordings.annotations import BEAT_SYMBOLS, Annotations, aami_class
from ecg_anomaly.recordings.matching import match_beats

FS = 100.0


def test_one_detection_200ms_off():
    reference = np.array([100, 200, 300, 400, 500])
    detected = np.array([101, 199, 320, 400, 505])  # 320 is 200 ms from 300
    detected[2] = 320
    m = match_beats(detected, reference, FS)
    assert (m.tp, m.fp, m.fn) == (4, 1, 1)
    assert m.sensitivity == pytest.approx(0.8) and m.ppv == pytest.approx(0.8)
    assert m.pairs.tolist() == [[0, 0], [1, 1], [3, 3], [4, 4]]


def test_window_edge_is_inclusive():
    m = match_beats(np.array([115]), np.array([100]), FS)  # exactly 150 ms
    assert m.tp == 1
    assert match_beats(np.array([116]), np.array([100]), FS).tp == 0
    assert match_beats(np.array([120]), np.array([100]), FS, window_s=0.2).tp == 1


def test_one_to_one_nearest_first():
    # Two detections near one beat: the nearer one matches, the other is a false positive.
    m = match_beats(np.array([95, 102]), np.array([100]), FS)
    assert (m.tp, m.fp, m.fn) == (1, 1, 0)
    assert m.pairs.tolist() == [[1, 0]]
    # One detection between two beats serves only one of them.
    m = match_beats(np.array([150]), np.array([140, 162]), FS)
    assert (m.tp, m.fp, m.fn) == (1, 0, 1)
    assert m.pairs.tolist() == [[0, 0]]


def test_unsorted_input_pairs_refer_to_given_order():
    m = match_beats(np.array([500, 100, 300]), np.array([300, 500, 100]), FS)
    assert m.tp == 3
    assert m.pairs.tolist() == [[0, 1], [1, 2], [2, 0]]


def test_empty_inputs():
    m = match_beats(np.array([], dtype=int), np.array([10, 20]), FS)
    assert (m.tp, m.fp, m.fn) == (0, 0, 2) and m.sensitivity == 0.0 and np.isnan(m.ppv)
    m = match_beats(np.array([10]), np.array([], dtype=int), FS)
    assert (m.tp, m.fp, m.fn) == (0, 1, 0) and np.isnan(m.sensitivity)
    assert m.as_dict()["beats/fp"] == 1


def test_non_beat_annotations_are_not_reference_beats():
    symbols = ["+", "N", "~", "A", "|", "V", '"', "x", "(", ")", "!", "[", "]", "Q", "p", "t"]
    ann = Annotations(np.arange(len(symbols)) * 10, np.array(symbols))
    beats = ann.beats()
    assert beats.symbol.tolist() == ["N", "A", "V", "Q"]
    assert beats.sample.tolist() == [10, 30, 50, 130]
    assert ann.aami().tolist()[:6] == ["", "N", "", "S", "", "V"]


def test_aami_classes():
    expected = {"N": "NLRej", "S": "AaJS", "V": "VE", "F": "F", "Q": "/fQ"}
    for cls, symbols in expected.items():
        assert all(aami_class(s) == cls for s in symbols)
    assert len(BEAT_SYMBOLS) == sum(len(s) for s in expected.values())
    for not_beat in "+~|\"![]x()ptu`'^=@sT*D{}":
        assert aami_class(not_beat) == ""


def test_annotations_sorted_and_rescaled():
    ann = Annotations(np.array([300, 100]), np.array(["V", "N"]))
    assert ann.sample.tolist() == [100, 300] and ann.symbol.tolist() == ["N", "V"]
    assert ann.rescaled(128 / 360).sample.tolist() == [36, 107]


def test_record100_reference(record100):
    beats = record100.annotations.beats()
    aami = beats.aami()
    assert (aami == "N").sum() == 2239 and (aami == "S").sum() == 33 and (aami == "V").sum() == 1
    assert "+" not in beats.symbol
