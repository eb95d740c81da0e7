"""Two leads' beats paired by time and their scores combined."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ecg_anomaly.records.leads import beat_metrics, combine, pair_beats


def test_beats_pair_with_the_nearest_within_150_ms():
    first = np.array([1.0, 2.0, 3.0, 4.0])
    second = np.array([1.1, 2.2, 3.05, 3.95, 9.0])
    assert list(pair_beats(first, second)) == [0, -1, 2, 3]
    assert list(pair_beats(first, np.array([2.1]))) == [-1, 0, -1, -1]
    assert list(pair_beats(first, np.array([]))) == [-1, -1, -1, -1]


def write_lead(folder, threshold, times, scores, shapes):
    folder.mkdir()
    n = len(times)
    pd.DataFrame({"time": times, "score": scores, "shape_part": shapes,
                  "class": [1, 3, 2, 1][:n], "label": [0, 1, 1, 0][:n]}).to_csv(
        folder / "beats.csv", index=False)  # fmt: skip
    (folder / "metrics.json").write_text(json.dumps({"threshold": threshold}))
    return folder


def test_scores_are_combined_in_units_of_each_leads_threshold(tmp_path):
    one = write_lead(
        tmp_path / "one", 2.0, [1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 1.0, 2.5], [0.5, 1.2, 0.6, 0.9]
    )
    two = write_lead(tmp_path / "two", 1.0, [1.02, 2.01, 3.0], [0.5, 0.5, 1.5], [0.5, 0.4, 0.7])
    both = combine(one, two, "max")
    # beat 4 is not on lead 2: lead 1's alone
    assert both["score"].tolist() == pytest.approx([0.5, 1.5, 1.5, 1.25])
    assert both["flag"].tolist() == [False, True, True, True]
    assert both["type"].tolist() == [0, 1, 2, 2]  # V: shape part >= 1 (1.2 on lead 1)
    low = combine(one, two, "min")
    assert low["flag"].tolist() == [False, False, False, True]
    m = beat_metrics(both)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (2, 1, 0, 1)
    assert (m["veb/tp"], m["sveb/tp"], m["sveb/fp"]) == (1, 1, 1)
    assert m["auroc"] == 1.0  # both abnormal beats score 1.5, the normal ones 0.5 and 1.25
