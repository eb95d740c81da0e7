"""metrics.json and failure.json: permissions that follow the umask, floats at float32 precision."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from ecg_anomaly.utils.results import round_float, write_json


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_written_file_mode_follows_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = write_json(tmp_path / "metrics.json", {"a": 1})
        # overwriting goes through a new temporary file: the mode is the umask's again
        (tmp_path / "metrics.json").chmod(0o600)
        write_json(path, {"a": 2})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_float32_noise_is_rounded_away():
    # float32(0.949) seen as a float64 is 0.9490000009536743
    noisy = float(np.float32(0.949))
    assert noisy == 0.9490000009536743
    assert round_float(noisy) == 0.949
    assert round_float(float(np.float32(0.1) + np.float32(0.2))) == 0.3
    assert round_float(1 / 3) == 0.33333334


def test_rounded_threshold_reads_back_to_the_same_float32():
    stored = np.float32(0.031234567)  # as in the checkpoint's buffer
    written = round_float(float(stored))
    assert written == 0.031234566
    assert np.float32(written) == stored


def test_values_float32_cannot_hold_are_left_alone():
    assert round_float(1e300) == 1e300
    assert round_float(-1e-40) == -1e-40
    assert round_float(0.0) == 0.0


def test_write_json_rounds_floats_and_keeps_ints(tmp_path):
    data = {
        "test/auroc": float(np.float32(0.949)),
        "nested": {"values": [float(np.float32(0.7)), 2**40]},
        "n": 12345678901,
        "flag": True,
        "numpy": np.float32(0.25),
        "missing": float("nan"),
    }
    saved = json.loads(write_json(tmp_path / "m.json", data).read_text())
    assert saved == {
        "test/auroc": 0.949,
        "nested": {"values": [0.7, 2**40]},
        "n": 12345678901,
        "flag": True,
        "numpy": 0.25,
        "missing": None,
    }
    assert '"test/auroc": 0.949,' in (tmp_path / "m.json").read_text()


def test_full_precision_on_request(tmp_path):
    path = write_json(tmp_path / "m.json", {"x": 0.9490000009536743}, round_floats=False)
    assert json.loads(path.read_text()) == {"x": 0.9490000009536743}
