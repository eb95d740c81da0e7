"""Which channel is the ECG (ecg_anomaly.recordings.channels): by name, by content, or refused."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_anomaly.errors import ConfigError
from ecg_anomaly.recordings.channels import only_signal, pick_channel


@pytest.mark.parametrize(
    "names, expected",
    [
        (("V1", "MLII"), 1),  # MLII first
        (("time_ms", "ECG_mV"), 1),
        (("Resp", "EKG2"), 1),
        (("t", "Lead I", "Lead II"), 1),  # the first lead named
        (("PLETH", "aVF"), 1),
        (("sample", "V5", "V2"), 1),
        (("signal",), 0),
        (("time_ms",), 0),  # one column is that column
        (("time_ms", "value"), None),  # no name tells: the content decides
        (("0", "1"), None),
    ],
)
def test_default_channel_by_name(names, expected):
    assert pick_channel(names, None, "f.csv") == expected


def test_channel_asked_for_by_name_or_index():
    names = ("time", "a", "b")
    assert (
        pick_channel(names, "b", "f")
        == 2
        == pick_channel(names, 2, "f")
        == pick_channel(names, "2", "f")
    )
    with pytest.raises(
        ConfigError, match=r"no channel 'c'; the file has 3 channel\(s\) \(0: 'time'"
    ):
        pick_channel(names, "c", "f")


def test_the_one_column_that_is_not_a_clock():
    t = np.arange(1000.0)
    ecg = np.sin(t / 7)
    rounded_seconds = np.round(t / 360, 3)  # steps of 0.002 and 0.003 s: still a clock
    values = np.column_stack([rounded_seconds, ecg, t])
    assert only_signal(("a", "b", "c"), [0, 1, 2], values, "f") == 1
    assert only_signal(("time", "x"), [0, 1], np.column_stack([ecg, -ecg]), "f") == 1  # by name
    with pytest.raises(ConfigError, match=r"2 columns could be it \('x', 'y'\).*channel=x"):
        only_signal(("x", "y"), [0, 1], np.column_stack([ecg, -ecg]), "f")
    with pytest.raises(ConfigError, match="every column is a time or sample index"):
        only_signal(("a", "b"), [0, 1], np.column_stack([t, 2 * t]), "f")
