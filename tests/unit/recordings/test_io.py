"""Reading recordings: each format, the channel choice, and every bad input named clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecg_anomaly.errors import DataFormatError, DataNotFoundError
from ecg_anomaly.errors import ConfigError
from ecg_anomaly.recordings.gaps import MAX_GAP_S
from ecg_anomaly.recordings.io import MIN_DURATION_S, read_recording, recording_from_array

FS = 250


def spikes(seconds: float = 10.0, fs: int = FS) -> np.ndarray:
    """A QRS-like spike every 0.8 s on a flat line (values in mV, exact in 3 decimals)."""
    t = np.arange(int(seconds * fs)) / fs
    return np.round(np.exp(-(((t % 0.8) - 0.4) ** 2) / (2 * 0.01**2)), 3)


def write_wfdb(folder: Path, name: str = "rec", seconds: float = 10.0) -> Path:
    lead = spikes(seconds)
    signals = np.column_stack([lead, -lead])
    wfdb.wrsamp(
        name,
        fs=FS,
        units=["mV", "mV"],
        sig_name=["V1", "MLII"],
        p_signal=signals,
        fmt=["16", "16"],
        adc_gain=[1000, 1000],
        baseline=[0, 0],
        write_dir=str(folder),
    )
    wfdb.wrann(
        name, "atr", np.array([100, 300, 500]), np.array(["N", "+", "V"]), write_dir=str(folder)
    )
    return folder / name


def message(exc: type[Exception], *args, **kwargs) -> str:
    with pytest.raises(exc) as info:
        read_recording(*args, **kwargs)
    return str(info.value)


# --- good files -------------------------------------------------------------------------------


def test_wfdb_default_channel_is_mlii_and_annotations_are_read(tmp_path):
    base = write_wfdb(tmp_path)
    rec = read_recording(base)
    assert rec.channel == "MLII"
    assert rec.channels == ("V1", "MLII")
    assert rec.fs == FS and rec.units == "mV"
    np.testing.assert_allclose(rec.signal, -spikes(), atol=1e-9)
    assert rec.annotations.sample.tolist() == [100, 300, 500]
    assert rec.annotations.symbol.tolist() == ["N", "+", "V"]
    assert rec.duration_s == pytest.approx(10.0)


def test_wfdb_by_hea_path_channel_name_and_index(tmp_path):
    base = write_wfdb(tmp_path)
    by_name = read_recording(base.with_suffix(".hea"), channel="V1")
    by_index = read_recording(base, channel=0)
    by_text_index = read_recording(base, channel="0")
    for rec in (by_name, by_index, by_text_index):
        assert rec.channel == "V1"
        np.testing.assert_allclose(rec.signal, spikes(), atol=1e-9)


def test_wfdb_fs_may_repeat_the_header_but_not_contradict_it(tmp_path):
    base = write_wfdb(tmp_path)
    assert read_recording(base, fs=FS).fs == FS
    msg = message(ConfigError, base, fs=360)
    assert "250 Hz" in msg and "fs=360" in msg


def test_mitdb_record_100(record100):
    assert record100.channel == "MLII" and record100.channels == ("MLII", "V5")
    assert record100.fs == 360 and len(record100) == 650_000
    beats = record100.annotations.beats()
    assert len(record100.annotations) == 2274 and len(beats) == 2273


def test_csv_with_header_by_name_index_and_default(tmp_path):
    sig = spikes()
    path = tmp_path / "sensor.csv"
    t = np.arange(len(sig)) / FS
    np.savetxt(
        path,
        np.column_stack([t, sig, 2 * sig]),
        delimiter=",",
        header="time,ecg,other",
        comments="",
        fmt="%.6f",
    )
    default = read_recording(path, fs=FS)
    assert default.channel == "ecg"  # the time column is never the default
    assert default.channels == ("time", "ecg", "other")
    np.testing.assert_allclose(default.signal, sig)
    np.testing.assert_allclose(read_recording(path, fs=FS, channel="other").signal, 2 * sig)
    np.testing.assert_allclose(read_recording(path, fs=FS, channel=0).signal, t, atol=1e-6)


def test_csv_without_header(tmp_path):
    sig = spikes()
    path = tmp_path / "plain.csv"
    np.savetxt(path, np.column_stack([sig, -sig]), delimiter=",", fmt="%.4f")
    rec = read_recording(path, fs=FS, channel=1)
    assert rec.channels == ("0", "1") and rec.channel == "1"
    np.testing.assert_allclose(rec.signal, -sig)


def test_npy_1d_and_2d(tmp_path):
    sig = spikes()
    np.save(tmp_path / "one.npy", sig)
    np.save(tmp_path / "two.npy", np.column_stack([sig, 3 * sig]).astype(np.float32))
    np.testing.assert_allclose(read_recording(tmp_path / "one.npy", fs=FS).signal, sig)
    rec = read_recording(tmp_path / "two.npy", fs=FS, channel=1)
    assert rec.signal.dtype == np.float64
    np.testing.assert_allclose(rec.signal, 3 * sig, rtol=1e-6)


def test_any_sampling_rate_in_range(tmp_path):
    for fs in (100, 128, 1000):
        np.save(tmp_path / "s.npy", spikes(fs=fs))
        assert read_recording(tmp_path / "s.npy", fs=fs).fs == fs


# --- bad input --------------------------------------------------------------------------------


def test_missing_dat_file(tmp_path):
    base = write_wfdb(tmp_path)
    (tmp_path / "rec.dat").unlink()
    msg = message(DataNotFoundError, base)
    assert "rec.dat" in msg and "rec.hea" in msg and "beside" in msg


def test_missing_record(tmp_path):
    msg = message(DataNotFoundError, tmp_path / "nothing")
    assert "nothing.hea" in msg
    assert "not found" in message(DataNotFoundError, tmp_path / "nothing.csv", fs=FS)


def test_unknown_format(tmp_path):
    path = tmp_path / "holter.edf"
    path.write_bytes(b"0")
    msg = message(DataFormatError, path)
    assert "'.edf'" in msg and "WFDB" in msg and ".csv" in msg and ".npy" in msg


def test_unknown_channel_lists_the_available_ones(tmp_path):
    base = write_wfdb(tmp_path)
    msg = message(ConfigError, base, channel="II")
    assert "'II'" in msg and "0: 'V1'" in msg and "1: 'MLII'" in msg
    np.save(tmp_path / "s.npy", spikes())
    assert "0: '0'" in message(ConfigError, tmp_path / "s.npy", fs=FS, channel=3)


def test_csv_and_npy_need_fs(tmp_path):
    np.save(tmp_path / "s.npy", spikes())
    msg = message(ConfigError, tmp_path / "s.npy")
    assert "fs=" in msg and "s.npy" in msg


def test_fs_out_of_range(tmp_path):
    np.save(tmp_path / "s.npy", spikes(seconds=60, fs=50))
    msg = message(ConfigError, tmp_path / "s.npy", fs=50)
    assert "50 Hz" in msg and "100-1000 Hz" in msg


def test_too_short_says_how_long(tmp_path):
    np.save(tmp_path / "short.npy", spikes(seconds=2.0))
    msg = message(DataFormatError, tmp_path / "short.npy", fs=FS)
    assert "500 samples" in msg and "2.00 s" in msg and f"{MIN_DURATION_S:g} s" in msg


def test_long_nan_run_is_refused_with_its_place(tmp_path):
    sig = spikes()
    sig[1000:1250] = np.nan  # 1 s at 250 Hz, from 4.00 s
    np.save(tmp_path / "gap.npy", sig)
    msg = message(DataFormatError, tmp_path / "gap.npy", fs=FS)
    assert "samples 1000-1249" in msg and "at 4.00 s" in msg and "1.000 s long" in msg


def test_short_nan_gap_is_interpolated_with_a_warning(tmp_path):
    sig = np.linspace(0.0, 1.0, 10 * FS)
    gap = int(MAX_GAP_S * FS)  # the longest run still filled
    broken = sig.copy()
    broken[500 : 500 + gap] = np.nan
    path = tmp_path / "gap.csv"
    np.savetxt(path, broken, fmt="%.8f")
    with pytest.warns(UserWarning, match=rf"interpolated {gap} missing sample"):
        rec = read_recording(path, fs=FS)
    np.testing.assert_allclose(rec.signal, sig, atol=1e-7)  # a ramp is filled exactly
    assert rec.filled == gap


def test_text_cell_in_csv_names_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    rows = ["ecg"] + [f"{v:.3f}" for v in spikes()]
    rows[7] = "oops"
    path.write_text("\n".join(rows) + "\n")
    msg = message(DataFormatError, path, fs=FS)
    assert "line 8" in msg and "'oops'" in msg


def test_transposed_npy(tmp_path):
    np.save(tmp_path / "t.npy", np.vstack([spikes(), spikes()]))
    assert "arr.T" in message(DataFormatError, tmp_path / "t.npy", fs=FS)


def test_recording_from_array_checks_like_a_file():
    rec = recording_from_array(spikes(), FS)
    assert rec.fs == FS and rec.channel == "0" and rec.path is None
    with pytest.raises(
        DataFormatError, match=r"the signal, channel '0': the signal is 250 samples"
    ):
        recording_from_array(spikes(seconds=1.0), FS)
    with pytest.raises(DataFormatError, match="1-D"):
        recording_from_array(np.zeros((10, 10, 3)), FS)


def test_copied_record_keeps_annotations(tmp_path, mitdb):
    for ext in ("hea", "dat"):
        shutil.copy(mitdb / f"100.{ext}", tmp_path / f"100.{ext}")
    rec = read_recording(tmp_path / "100", channel="V5")
    assert rec.annotations is None and rec.channel == "V5"
