"""Reading recordings: each format, the channel choice, and every bad input named clearly."""

from __future__ import annotations

import gzip
import lzma
import shutil
from pathlib import Path

import numpy as np
import pytest
import wfdb

from ecg_anomaly.errors import ConfigError, DataFormatError, DataNotFoundError
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
    path = tmp_path / "holter.mat"
    path.write_bytes(b"0")
    msg = message(DataFormatError, path)
    assert "'.mat'" in msg and "WFDB" in msg and ".csv" in msg and ".npy" in msg and ".edf" in msg


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


# --- tables: the beat files' reader (separators, compression), and the channel never guessed ---


def table_text(header: str, columns: list[np.ndarray], sep: str = ",") -> str:
    rows = [sep.join(f"{v:.4f}" for v in row) for row in np.column_stack(columns)]
    return "\n".join(([header] if header else []) + rows) + "\n"


@pytest.mark.parametrize(
    "name, sep, pack",
    [
        ("semi.csv", ";", bytes),
        ("tabs.tsv", "\t", bytes),
        ("spaces.txt", " ", bytes),
        ("packed.csv.gz", ",", gzip.compress),
        ("packed.tsv.xz", "\t", lzma.compress),
    ],
)
def test_tables_with_any_separator_and_compression(tmp_path, name, sep, pack):
    sig = spikes()
    text = table_text(sep.join(["time_ms", "ECG"]), [np.arange(len(sig)) * 4.0, sig], sep)
    (tmp_path / name).write_bytes(pack(text.encode()))
    rec = read_recording(tmp_path / name, fs=FS)
    assert rec.channels == ("time_ms", "ECG") and rec.channel == "ECG"
    np.testing.assert_allclose(rec.signal, sig)


def test_semicolon_table_errors_name_line_and_column(tmp_path):
    lines = table_text("time_ms;ecg", [np.arange(FS * 6) * 4.0, spikes(6)], ";").splitlines()
    lines[19] = "76.0000;0,5"  # a decimal comma on line 20
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    msg = message(DataFormatError, tmp_path / "r.csv", fs=FS)
    assert "r.csv, line 20, column 2: '0,5' is not a number" in msg and "It holds ','" in msg
    lines[2] = "4.0000;0,5"  # among the first lines: the decimal comma is named as such
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    msg = message(DataFormatError, tmp_path / "r.csv", fs=FS)
    assert "line 3, column 2: '0,5' looks like a number with a decimal comma (0.5)" in msg


def test_time_column_is_never_the_ecg(tmp_path):
    sig, ms = spikes(), np.arange(len(spikes())) * 4.0
    # named like an ECG: that column, wherever it is
    (tmp_path / "named.csv").write_text(table_text("time_ms,ecg", [ms, sig]))
    assert read_recording(tmp_path / "named.csv", fs=FS).channel == "ecg"
    (tmp_path / "lead.csv").write_text(table_text("sample,resp,II", [ms, 2 * sig, sig]))
    assert read_recording(tmp_path / "lead.csv", fs=FS).channel == "II"
    # no name says ECG: the one column that is not a clock (by its name or its even steps)
    (tmp_path / "value.csv").write_text(table_text("time_ms,value", [ms, sig]))
    rec = read_recording(tmp_path / "value.csv", fs=FS)
    assert rec.channel == "value"
    np.testing.assert_allclose(rec.signal, sig)
    (tmp_path / "bare.csv").write_text(table_text("", [ms / 1000, sig]))
    assert read_recording(tmp_path / "bare.csv", fs=FS).channel == "1"


def test_ambiguous_columns_are_refused_with_their_names(tmp_path):
    sig, ms = spikes(), np.arange(len(spikes())) * 4.0
    (tmp_path / "two.csv").write_text(table_text("time_ms,a,b", [ms, sig, -sig]))
    msg = message(ConfigError, tmp_path / "two.csv", fs=FS)
    assert (
        "cannot tell which channel is the ECG" in msg and "2 columns could be it ('a', 'b')" in msg
    )
    assert "0: 'time_ms', 1: 'a', 2: 'b'" in msg and "channel=a" in msg
    np.testing.assert_allclose(
        read_recording(tmp_path / "two.csv", fs=FS, channel="b").signal, -sig
    )
    (tmp_path / "clock.csv").write_text(table_text("time_ms,sample", [ms, np.arange(len(sig))]))
    msg = message(ConfigError, tmp_path / "clock.csv", fs=FS)
    assert "every column is a time or sample index" in msg
    np.save(tmp_path / "two.npy", np.column_stack([sig, -sig]))
    assert "0: '0', 1: '1'" in message(ConfigError, tmp_path / "two.npy", fs=FS)


def test_header_of_another_width_is_refused(tmp_path):
    (tmp_path / "h.csv").write_text(table_text("time_ms,ecg", [np.arange(3000.0)] * 3))
    msg = message(DataFormatError, tmp_path / "h.csv", fs=FS)
    assert "header (line 1) names 2 columns, but line 2 has 3 values" in msg


def test_one_column_without_header_is_the_signal(tmp_path):
    (tmp_path / "one.csv").write_text(table_text("", [np.linspace(0, 1, FS * 6)]))
    assert read_recording(tmp_path / "one.csv", fs=FS).channel == "0"


def test_text_columns_are_skipped(tmp_path):
    sig = spikes()
    clock = [f"10:00:{i / FS:06.3f}" for i in range(len(sig))]
    rows = [f"{c},{v:.4f}" for c, v in zip(clock, sig, strict=True)]
    (tmp_path / "clock.csv").write_text("clock,value\n" + "\n".join(rows) + "\n")
    rec = read_recording(tmp_path / "clock.csv", fs=FS)
    assert rec.channel == "value"
    np.testing.assert_allclose(rec.signal, sig)
    msg = message(DataFormatError, tmp_path / "clock.csv", fs=FS, channel="clock")
    assert "line 2, column 1: '10:00:00.000' is not a number" in msg


@pytest.mark.parametrize("fs", ["abc", "", 0, -250, float("nan"), float("inf"), True])
def test_fs_must_be_a_positive_number(tmp_path, fs):
    np.save(tmp_path / "s.npy", spikes())
    msg = message(ConfigError, tmp_path / "s.npy", fs=fs)
    assert msg.startswith(f"fs={fs!r} is not allowed") and "number > 0" in msg
    with pytest.raises(ConfigError, match="fs="):
        recording_from_array(spikes(), fs)


def test_fs_given_as_text_is_read_as_a_number(tmp_path):
    np.save(tmp_path / "s.npy", spikes())
    assert read_recording(tmp_path / "s.npy", fs="250").fs == 250.0


def write_segments(folder: Path) -> tuple[Path, np.ndarray]:
    """A two-segment WFDB record (6 s + 4 s, channels MLII and V1), written by hand."""
    sig = spikes()
    for i, part in enumerate(np.split(sig, [6 * FS])):
        wfdb.wrsamp(
            f"multi_{i}",
            fs=FS,
            units=["mV", "mV"],
            sig_name=["MLII", "V1"],
            p_signal=np.column_stack([part, -part]),
            fmt=["16", "16"],
            adc_gain=[1000, 1000],
            baseline=[0, 0],
            write_dir=str(folder),
        )
    (folder / "multi.hea").write_text(
        f"multi/2 2 {FS} {len(sig)}\nmulti_0 {6 * FS}\nmulti_1 {4 * FS}\n"
    )
    return folder / "multi", sig


def test_multi_segment_record(tmp_path):
    base, sig = write_segments(tmp_path)
    rec = read_recording(base)
    assert rec.channel == "MLII" and rec.channels == ("MLII", "V1") and rec.fs == FS
    np.testing.assert_allclose(rec.signal, sig, atol=1e-9)
    np.testing.assert_allclose(read_recording(base, channel="V1").signal, -sig, atol=1e-9)
    (tmp_path / "multi_1.dat").unlink()
    msg = message(DataNotFoundError, base)
    assert "multi.hea" in msg and "multi_1.dat" in msg and "missing" in msg
    (tmp_path / "multi_1.hea").unlink()
    assert "multi_1.hea" in message(DataNotFoundError, base)


def write_edf(path: Path, signals: dict[str, tuple[np.ndarray, int]]) -> Path:
    """An EDF file written by hand: one-second data records, 16-bit samples for -5 to 5 mV."""
    rates = [rate for _, rate in signals.values()]
    seconds, n = len(next(iter(signals.values()))[0]) // rates[0], len(signals)

    def text(values: list, width: int) -> bytes:
        return b"".join(str(v).ljust(width).encode() for v in values)

    head = text(["0"], 8) + text(["patient", "recording"], 80)
    head += text(["01.01.24", "00.00.00", 256 * (n + 1)], 8) + b" " * 44
    head += text([seconds, 1], 8) + text([n], 4) + text(list(signals), 16) + text([""] * n, 80)
    head += text(["mV"] * n + [-5] * n + [5] * n + [-32768] * n + [32767] * n, 8)
    head += text([""] * n, 80) + text(rates, 8) + text([""] * n, 32)
    digital = [np.round((x + 5) / 10 * 65535 - 32768).astype("<i2") for x, _ in signals.values()]
    blocks = [
        d[k * r : (k + 1) * r].tobytes()
        for k in range(seconds)
        for d, r in zip(digital, rates, strict=True)
    ]
    path.write_bytes(head + b"".join(blocks))
    return path


def test_edf(tmp_path):
    sig = spikes()
    path = write_edf(tmp_path / "rec.edf", {"Resp": (sig / 2, FS), "ECG": (-sig, FS)})
    rec = read_recording(path)
    assert rec.channel == "ECG" and rec.channels == ("Resp", "ECG") and rec.fs == FS
    assert rec.units == "mV" and rec.annotations is None
    np.testing.assert_allclose(rec.signal, -sig, atol=2e-4)  # 10 mV in 65536 steps
    np.testing.assert_allclose(read_recording(path, channel=0).signal, sig / 2, atol=2e-4)
    assert "250 Hz" in message(ConfigError, path, fs=500)


def test_edf_with_mixed_rates_or_damaged_is_refused(tmp_path):
    sig = spikes()
    path = write_edf(tmp_path / "mixed.edf", {"ECG": (sig, FS), "Resp": (sig[::10], FS // 10)})
    msg = message(DataFormatError, path)
    assert "different sampling rates" in msg and "'ECG' 250 Hz, 'Resp' 25 Hz" in msg
    (tmp_path / "bad.edf").write_bytes(b"0" * 100)
    assert "not a readable EDF file" in message(DataFormatError, tmp_path / "bad.edf")


def test_empty_and_na_cells_are_missing_samples(tmp_path):
    sig = np.linspace(0.0, 1.0, 10 * FS)
    rows = [f"{4 * i},{v:.8f}" for i, v in enumerate(sig)]
    rows[100], rows[200] = "400,", "800,NA"  # short gaps: one sample each
    (tmp_path / "gaps.csv").write_text("time_ms,ecg\n" + "\n".join(rows) + "\n")
    with pytest.warns(UserWarning, match="interpolated 2 missing sample"):
        rec = read_recording(tmp_path / "gaps.csv", fs=FS)
    np.testing.assert_allclose(rec.signal, sig, atol=1e-7)


def test_table_without_numbers_is_refused(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\nc,d\ne,f\n")
    assert "line 2: no column holds a number" in message(DataFormatError, tmp_path / "t.csv", fs=FS)
