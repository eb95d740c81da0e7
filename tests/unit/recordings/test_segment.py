"""Cutting beats: window bounds, linear resampling, z-normalisation, polarity, edges."""

from __future__ import annotations

import numpy as np
import pytest

from ecg_anomaly.errors import ConfigError
from ecg_anomaly.recordings import segment
from ecg_anomaly.recordings.segment import (
    Window,
    as_window,
    beat_windows,
    cut_beats,
    resample_windows,
    znormalize,
)

FS = 100.0


def test_ecg5000_window_bounds_by_hand():
    peaks = np.array([100, 200, 320, 400])
    start, stop, inside = beat_windows(peaks, FS, n_samples=1000)
    np.testing.assert_allclose(start, [98, 198, 318, 398])  # R - 0.02 s
    # R_next - 0.06 s; the last beat's next R is the median RR (100 samples) later.
    np.testing.assert_allclose(stop, [194, 314, 394, 494])
    assert inside.all()


def test_centred_window_bounds_by_hand():
    peaks = np.array([100, 200, 320, 400])
    start, stop, _ = beat_windows(peaks, FS, 1000, "centred")
    # Half-way from the previous beat to half-way to the next; the first beat's previous RR is
    # the median of the first RR intervals (100), the last beat's next one of the last (100).
    np.testing.assert_allclose(start, [50, 150, 260, 360])
    np.testing.assert_allclose(stop, [150, 260, 360, 450])


def test_windows_leaving_the_signal_are_left_out():
    peaks = np.array([1, 100, 200, 290])
    _, _, inside = beat_windows(peaks, FS, n_samples=300)
    # The first starts before sample 0, the last would end after the signal.
    assert inside.tolist() == [False, True, True, False]
    cut = cut_beats(np.random.default_rng(0).normal(size=300), peaks, FS)
    assert cut.index.tolist() == [1, 2] and cut.x.shape == (2, 140)


def test_resample_windows_is_linear_interpolation():
    ramp = np.arange(100, dtype=float) * 2.0
    out = resample_windows(ramp, np.array([10.0, 20.5]), np.array([19.0, 30.5]), seq_len=4)
    np.testing.assert_allclose(out, [[20, 26, 32, 38], [41, 47.6666667, 54.3333333, 61]])


def test_beats_cut_in_blocks_are_the_beats_cut_at_once(pvc_rich, monkeypatch):
    # A long recording's beats are cut a block at a time (bounded memory): the same values.
    start = np.array([10.0, 20.5, 31.25, 40.0, 55.5])
    ramp = np.sin(np.arange(100) / 7.0)
    once = resample_windows(ramp, start, start + 9.5, seq_len=8)
    np.testing.assert_array_equal(resample_windows(ramp, start, start + 9.5, 8, block=2), once)
    whole = cut_beats(pvc_rich.signal, pvc_rich.peaks, pvc_rich.fs, polarity=1)
    monkeypatch.setattr(segment, "BLOCK", 7)
    blocks = cut_beats(pvc_rich.signal, pvc_rich.peaks, pvc_rich.fs, polarity=1)
    assert len(whole.x) > 7 * 3
    np.testing.assert_array_equal(blocks.x, whole.x)
    np.testing.assert_array_equal(blocks.index, whole.index)


def test_znormalize_uses_the_sample_standard_deviation():
    x = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0]])
    z = znormalize(x)
    np.testing.assert_allclose(z[0], (x[0] - 2.5) / np.std(x[0], ddof=1))
    np.testing.assert_allclose(z[1], 0.0)  # a flat beat stays flat instead of dividing by 0


def test_output_qrs_points_down_whatever_the_recording(pvc_rich):
    normal = ~pvc_rich.ectopic
    up = cut_beats(pvc_rich.signal, pvc_rich.peaks, pvc_rich.fs, polarity=1)
    down = cut_beats(-pvc_rich.signal, pvc_rich.peaks, pvc_rich.fs, polarity=-1)
    np.testing.assert_allclose(up.x, down.x, atol=1e-6)
    mean = up.x[normal[up.index]].mean(0)
    assert np.argmin(mean) < 10  # the QRS, just after the window start, points down
    as_recorded = cut_beats(pvc_rich.signal, pvc_rich.peaks, pvc_rich.fs, 1, qrs_sign=None)
    np.testing.assert_allclose(as_recorded.x, -up.x, atol=1e-6)
    assert up.x.dtype == np.float32
    np.testing.assert_allclose(up.x.mean(1), 0.0, atol=1e-5)
    np.testing.assert_allclose(up.x.std(1, ddof=1), 1.0, atol=1e-5)


def test_unknown_window_name():
    assert as_window("centred") == Window(0.0, 0.5, 0.5, 0.0)
    with pytest.raises(ConfigError, match=r"'middle'.*ecg5000, centred"):
        as_window("middle")
