"""Tests of ecg_anomaly.data.beatfiles: every layout, and every bad input named precisely."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_anomaly.data import labels, tables
from ecg_anomaly.data.beatfiles import LAYOUTS, Beats, check_finite, read_beats
from ecg_anomaly.errors import DataFormatError, DataNotFoundError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def raises(exc: type[Exception], path: Path, *parts: str, **kwargs) -> str:
    with pytest.raises(exc) as info:
        read_beats(path, **kwargs)
    msg = str(info.value)
    assert str(path) in msg
    for part in parts:
        assert part in msg, f"{part!r} not in {msg!r}"
    return msg


# --- good files -------------------------------------------------------------------------------


def test_tensorflow_layout(tmp_path):
    path = write(tmp_path, "ecg.csv", "0.5,-1.25,3,1.0\n4,5,6e-1,0.0\n")
    beats = read_beats(path)
    assert isinstance(beats, Beats)
    assert beats.layout == "tensorflow"
    assert beats.x.dtype == np.float32 and beats.x.shape == (2, 3)
    np.testing.assert_allclose(beats.x, [[0.5, -1.25, 3], [4, 5, 0.6]], rtol=1e-6)
    assert beats.y.dtype == np.int64
    assert beats.y.tolist() == [labels.NORMAL, labels.ABNORMAL]
    assert beats.classes is None
    assert beats.seq_len == 3 and len(beats) == 2
    assert beats.path == path


def test_header_row_skipped(tmp_path):
    path = write(tmp_path, "ecg.csv", "t0,t1,t2,label\n1,2,3,1\n4,5,6,0\n")
    beats = read_beats(path)
    assert beats.x.shape == (2, 3)
    assert beats.y.tolist() == [0, 1]


def test_pandas_style_numeric_header_skipped(tmp_path):
    path = write(tmp_path, "ecg.csv", "0,1,2,3\n1,2,3,1\n")
    assert read_beats(path).x.tolist() == [[1, 2, 3]]


def test_crlf_bom_and_blank_lines(tmp_path):
    path = write(tmp_path, "ecg.csv", "\ufeffa,b,label\r\n1,2,1.0\r\n\r\n3,4,0.0\r\n\r\n\r\n")
    beats = read_beats(path)
    assert beats.x.tolist() == [[1, 2], [3, 4]]
    assert beats.y.tolist() == [0, 1]


def test_ucr_txt_scientific_notation(tmp_path):
    text = (
        "   1.0000000e+00  -1.1252183e-01  -2.8272038e+00\n"
        "   3.0000000e+00   5.0000000e-01   2.5000000e+00\n"
        "   5.0000000e+00   1.0000000e+00  -1.0000000e+00\n"
    )
    beats = read_beats(write(tmp_path, "ECG5000_TRAIN.txt", text))
    assert beats.layout == "ucr"
    assert beats.x.shape == (3, 2)
    np.testing.assert_allclose(beats.x[0], [-0.11252183, -2.8272038], rtol=1e-6)
    assert beats.classes.dtype == np.int64 and beats.classes.tolist() == [1, 3, 5]
    assert beats.y.tolist() == [labels.NORMAL, labels.ABNORMAL, labels.ABNORMAL]


def test_ucr_tsv_with_header_and_crlf(tmp_path):
    path = write(tmp_path, "train.tsv", "class\tt0\tt1\r\n2\t0.1\t0.2\r\n1\t0.3\t0.4\r\n")
    beats = read_beats(path)
    assert beats.layout == "ucr"
    assert beats.classes.tolist() == [2, 1]
    assert beats.y.tolist() == [1, 0]


def test_ucr_layout_forced_on_csv(tmp_path):
    beats = read_beats(write(tmp_path, "x.csv", "4,1,2\n"), "ucr")
    assert beats.classes.tolist() == [4] and beats.x.tolist() == [[1, 2]]


def test_auto_csv_without_labels_when_columns_equal_seq_len(tmp_path):
    beats = read_beats(write(tmp_path, "new.csv", "1,2,3\n4,5,6\n"), seq_len=3)
    assert beats.layout == "csv" and beats.y is None and beats.classes is None
    assert beats.x.shape == (2, 3)


def test_auto_csv_with_labels_when_columns_are_seq_len_plus_one(tmp_path):
    beats = read_beats(write(tmp_path, "ecg.csv", "1,2,3,1\n4,5,6,0\n"), seq_len=3)
    assert beats.layout == "tensorflow" and beats.y.tolist() == [0, 1]


def test_auto_csv_wrong_column_count(tmp_path):
    path = write(tmp_path, "ecg.csv", "1,2,3,1\n")
    raises(DataFormatError, path, "line 1", "4 columns", "141", "140", seq_len=140)


def test_explicit_csv_layout(tmp_path):
    beats = read_beats(write(tmp_path, "b.csv", "1,2\n"), "csv")
    assert beats.layout == "csv" and beats.x.tolist() == [[1, 2]] and beats.y is None


def test_npy_2d_and_1d(tmp_path):
    np.save(tmp_path / "b.npy", np.arange(6, dtype=np.int32).reshape(2, 3))
    beats = read_beats(tmp_path / "b.npy")
    assert beats.layout == "npy" and beats.x.dtype == np.float32 and beats.x.shape == (2, 3)
    assert beats.y is None and beats.classes is None
    np.save(tmp_path / "one.npy", np.ones(5))
    assert read_beats(tmp_path / "one.npy").x.shape == (1, 5)


def test_seq_len_taken_from_data(tmp_path):
    row = ",".join(["0.5"] * 7)
    assert read_beats(write(tmp_path, "e.csv", f"{row},1\n")).seq_len == 7


def test_seq_len_mismatch(tmp_path):
    path = write(tmp_path, "ecg.csv", "1,2,3,1\n")
    raises(
        DataFormatError,
        path,
        "have 3 values but the model expects 5",
        layout="tensorflow",
        seq_len=5,
    )


def test_unknown_layout_name(tmp_path):
    with pytest.raises(ValueError, match="tensorflow"):
        read_beats(write(tmp_path, "e.csv", "1,1\n"), "excel")
    assert "auto" in LAYOUTS


def test_auto_unknown_extension(tmp_path):
    raises(DataFormatError, write(tmp_path, "e.dat", "1,1\n"), ".dat", "layout")


def test_tilde_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write(tmp_path, "ecg.csv", "1,2,1\n")
    assert read_beats("~/ecg.csv").path == tmp_path / "ecg.csv"


# --- bad files --------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    raises(DataNotFoundError, tmp_path / "nope.csv", "not found")


def test_directory_instead_of_file(tmp_path):
    write(tmp_path, "ecg.csv", "1,2,1\n")
    raises(DataNotFoundError, tmp_path, "directory", "ecg.csv")


def test_empty_file(tmp_path):
    raises(DataFormatError, write(tmp_path, "ecg.csv", ""), "empty")


def test_blank_lines_only(tmp_path):
    raises(DataFormatError, write(tmp_path, "ecg.csv", "\n \r\n\n"), "empty")


def test_header_only(tmp_path):
    raises(DataFormatError, write(tmp_path, "ecg.csv", "a,b,label\r\n"), "only a header", "line 1")


@pytest.mark.parametrize("text", ["1,2,3,1\n4,5,6,0\n7,8,1\n", "1,2,3,1\n4,5,6,0\n7,8,9,9,1\n"])
def test_rows_of_different_lengths(tmp_path, text):
    n = len(text.splitlines()[2].split(","))
    raises(
        DataFormatError,
        write(tmp_path, "ecg.csv", text),
        "line 3",
        f"{n} values",
        "line 1",
        "has 4",
    )


def test_ragged_ucr_rows(tmp_path):
    raises(
        DataFormatError, write(tmp_path, "u.txt", "1 2 3\n\n2 4\n"), "line 3", "2 values", "has 3"
    )


def test_non_numeric_cell(tmp_path):
    path = write(tmp_path, "ecg.csv", "h1,h2,h3,h4\n1,2,3,1\n\n4,abc,6,0\n")
    raises(DataFormatError, path, "line 4", "column 2", "'abc'")


def test_non_numeric_cell_ucr(tmp_path):
    raises(
        DataFormatError, write(tmp_path, "u.txt", "1 2 3\n1 2 3o\n"), "line 2", "column 3", "'3o'"
    )


def test_empty_cell(tmp_path):
    raises(
        DataFormatError,
        write(tmp_path, "ecg.csv", "1,2,3,1\n4,,6,0\n"),
        "line 2",
        "column 2",
        "empty",
    )


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-Infinity"])
def test_nan_or_infinite_value(tmp_path, bad):
    path = write(tmp_path, "ecg.csv", f"1,2,3,1\n4,5,6,0\n7,{bad},9,1\n")
    raises(DataFormatError, path, "line 3", "column 2", bad, "NaN or infinite")


def test_float32_overflow_names_line_and_column(tmp_path):
    # 1e300 is a fine float64 but beyond float32's ±3.4e38: line 2, column 2 of the file
    path = write(tmp_path, "ecg.csv", "t0,t1,label\n1,1e300,1\n")
    raises(DataFormatError, path, "line 2, column 2", "1e+300", "float32")


@pytest.mark.parametrize("label", ["2.0", "-1", "0.5"])
def test_tensorflow_label_outside_set(tmp_path, label):
    path = write(tmp_path, "ecg.csv", f"a,b,c\n1,2,1\n\n3,4,{label}\n")
    msg = raises(DataFormatError, path, "line 4", "column 3", "1 (normal) or 0 (abnormal)")
    assert f"{float(label):g} is not" in msg


@pytest.mark.parametrize("cls", ["0", "6", "1.5", "-1.0000000e+00"])
def test_ucr_class_outside_set(tmp_path, cls):
    path = write(tmp_path, "u.txt", f"1 0.1 0.2\n{cls} 0.3 0.4\n")
    msg = raises(DataFormatError, path, "line 2", "column 1", "1 (normal), 2, 3, 4 or 5")
    assert f"{float(cls):g} is not" in msg


@pytest.mark.parametrize("layout", ["tensorflow", "ucr"])
def test_labelled_layout_needs_two_columns(tmp_path, layout):
    raises(DataFormatError, write(tmp_path, "one.csv", "1\n0\n"), "one column", layout=layout)


def test_require_labels_csv(tmp_path):
    path = write(tmp_path, "b.csv", "1,2\n")
    raises(DataFormatError, path, "no labels", layout="csv", require_labels=True)


def test_require_labels_npy(tmp_path):
    np.save(tmp_path / "b.npy", np.ones((2, 3)))
    raises(DataFormatError, tmp_path / "b.npy", "no labels", require_labels=True)


def test_require_labels_ok_with_labels(tmp_path):
    assert read_beats(write(tmp_path, "e.csv", "1,1\n"), require_labels=True).y.tolist() == [0]


@pytest.mark.parametrize("shape", [(), (2, 2, 2), (0, 3), (0,)])
def test_npy_wrong_shape(tmp_path, shape):
    np.save(tmp_path / "b.npy", np.zeros(shape))
    raises(DataFormatError, tmp_path / "b.npy", "shape", str(shape))


@pytest.mark.parametrize("arr", [np.array(["a", "b"]), np.array([True, False]), np.array([1 + 2j])])
def test_npy_non_numeric_dtype(tmp_path, arr):
    np.save(tmp_path / "b.npy", arr)
    raises(DataFormatError, tmp_path / "b.npy", "dtype", str(arr.dtype))


def test_npy_object_array_refused(tmp_path):
    np.save(tmp_path / "b.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    raises(DataFormatError, tmp_path / "b.npy", "not a readable .npy")


def test_npy_not_an_npy_file(tmp_path):
    raises(DataFormatError, write(tmp_path, "b.npy", "1,2,3\n"), "not a readable .npy")


def test_npy_nan(tmp_path):
    arr = np.zeros((3, 4))
    arr[1, 2] = np.nan
    arr[2, 0] = np.inf
    np.save(tmp_path / "b.npy", arr)
    raises(DataFormatError, tmp_path / "b.npy", "beat 1, time step 2 (0-based)", "2 value(s)")


def test_check_finite_in_memory():
    check_finite(np.ones((2, 3)), "x")
    x = np.ones((2, 3), dtype=np.float32)
    x[1, 0] = -np.inf
    with pytest.raises(DataFormatError, match=r"the beats passed: beat 1, time step 0"):
        check_finite(x, "the beats passed")
    with pytest.raises(DataFormatError, match=r"value 2"):
        check_finite(np.array([1.0, 2.0, np.nan]), "one beat")


def test_no_raw_numpy_traceback_chained(tmp_path):
    with pytest.raises(DataFormatError) as info:
        read_beats(write(tmp_path, "ecg.csv", "1,2,1\n1,x,0\n"))
    assert info.value.__cause__ is None


# --- every error names the line and column of the file ---------------------------------------


def test_text_label_on_line_1_is_an_error_not_a_header(tmp_path):
    # the old parser took line 1 for a header and silently read 299 of 300 beats
    rows = [f"0.{i % 10},0.5,0.25,1" for i in range(300)]
    rows[0] = "0.1,0.5,0.25,normal"
    path = write(tmp_path, "ecg.csv", "\n".join(rows) + "\n")
    msg = raises(DataFormatError, path, "line 1, column 4 (the label)", "'normal'")
    assert "1 (normal) or 0 (abnormal)" in msg
    assert "not as a header" in msg and "column 1: '0.1'" in msg


def test_value_cell_on_line_1_is_an_error_naming_line_1(tmp_path):
    path = write(tmp_path, "ecg.csv", "0.1,abc,0.3,1\n0.4,0.5,0.6,0\n")
    raises(DataFormatError, path, "line 1, column 2", "'abc'", "not as a header")


def test_label_error_on_line_3(tmp_path):
    path = write(tmp_path, "ecg.csv", "1,2,3,1\n4,5,6,0\n7,8,9,7\n")
    raises(DataFormatError, path, "line 3, column 4 (the label)", "7 is not a tensorflow label")


def test_text_label_on_line_3(tmp_path):
    path = write(tmp_path, "ecg.csv", "1,2,3,1\n4,5,6,0\n7,8,9,abnormal\n")
    raises(DataFormatError, path, "line 3, column 4 (the label)", "'abnormal'", "1 (normal)")


def test_ucr_label_error_names_column_1(tmp_path):
    path = write(tmp_path, "u.txt", "1 0.5 0.5\n\n9 0.5 0.5\n")
    raises(DataFormatError, path, "line 3, column 1 (the label)", "9 is not a ucr label")


def test_non_number_on_line_2_column_5(tmp_path):
    path = write(tmp_path, "ecg.csv", "1,2,3,4,5,6,1\n1,2,3,4,x5,6,0\n")
    raises(DataFormatError, path, "line 2, column 5:", "'x5' is not a number", "line 2")


def test_ragged_line_4(tmp_path):
    path = write(tmp_path, "ecg.csv", "1,2,3,1\n4,5,6,0\n7,8,9,1\n1,2,0\n")
    raises(
        DataFormatError, path, "line 4: 3 values", "line 1 (the first data line) has 4", "column 4"
    )


def test_nan_on_line_2(tmp_path):
    path = write(tmp_path, "ecg.csv", "1,2,3,1\n4,NaN,6,0\n")
    raises(DataFormatError, path, "line 2, column 2", "'NaN'", "NaN or infinite")


def test_empty_middle_cell_with_trailing_separators(tmp_path):
    # the trailing separator on every row is fine; the empty cell in the middle is not
    path = write(tmp_path, "ecg.csv", "1,2,3,1,\n4,5,,0,\n")
    raises(DataFormatError, path, "line 2, column 3 is empty", "two separators in a row")


def test_line_numbers_count_blank_lines_and_header(tmp_path):
    path = write(tmp_path, "ecg.csv", "\na,b,label\n\n1,2,1\n\n3,inf,0\n")
    raises(DataFormatError, path, "line 6, column 2", "'inf'")


def test_value_too_large_for_float64(tmp_path):
    raises(DataFormatError, write(tmp_path, "ecg.csv", "1,1e400,1\n"), "line 1, column 2", "1e400")


def test_one_row_file(tmp_path):
    beats = read_beats(write(tmp_path, "ecg.csv", "0.5,-0.5,1"))
    assert len(beats) == 1 and beats.x.tolist() == [[0.5, -0.5]] and beats.y.tolist() == [0]


def test_one_row_one_column(tmp_path):
    assert read_beats(write(tmp_path, "b.csv", "2.5\n"), "csv").x.tolist() == [[2.5]]
    raises(DataFormatError, write(tmp_path, "e.csv", "2.5\n"), "line 1", "one column")


def test_only_separators(tmp_path):
    raises(DataFormatError, write(tmp_path, "ecg.csv", ",,,\n,,,\n"), "line 1, column 1 is empty")


def _slow_only(monkeypatch):
    monkeypatch.setattr(tables, "_fast", lambda *args: None)


@pytest.mark.parametrize(
    "name, text",
    [
        ("ecg.csv", "t0,t1,label\n0.1,1e-3,1\n\n-2.5,.5,0\n"),
        ("ecg.csv", "0.1;0.2;1;\n0.3;0.4;0;\n"),
        ("u.txt", "  1.0e+00  -1.5e-01\n  2.0e+00   3.3e-01\n"),
        ("u.tsv", "1\t0.3333333333333333\n2\t0.1\n"),
    ],
)
def test_fast_and_slow_pass_give_the_same_arrays(tmp_path, monkeypatch, name, text):
    path = write(tmp_path, name, text)
    fast = read_beats(path)
    _slow_only(monkeypatch)
    slow = read_beats(path)
    assert np.array_equal(fast.x, slow.x) and np.array_equal(fast.y, slow.y)


@pytest.mark.parametrize(
    "text",
    [
        "1,2,1\n3,4,0\n",
        "a,b,label\n1,2,1\n3,4,0\n",
        "1,2,1,\n3,4,0,\n",
        "1;2;1\r\n3;4;0\r\n",
        "\ufeff1\t2\t1\n3\t4\t0\n",
    ],
)
def test_good_files_take_the_fast_path(tmp_path, monkeypatch, text):
    def fail(*args):
        raise AssertionError("the slow pass ran on a good file")

    monkeypatch.setattr(tables._Check, "row", fail)
    beats = read_beats(write(tmp_path, "ecg.csv", text))
    assert beats.x.tolist() == [[1, 2], [3, 4]] and beats.y.tolist() == [0, 1]


# --- the real ECG5000 -------------------------------------------------------------------------


@pytest.mark.ecg5000
def test_real_ecg5000(ecg5000_csv, ecg5000_ucr_train):
    beats = read_beats(ecg5000_csv)
    assert beats.layout == "tensorflow"
    # the TensorFlow tutorial's file: 4,998 rows, 2,919 normal and 2,079 abnormal
    assert beats.x.shape == (4998, 140) and beats.x.dtype == np.float32
    assert int((beats.y == labels.NORMAL).sum()) == 2919
    assert int((beats.y == labels.ABNORMAL).sum()) == 2079

    train = read_beats(ecg5000_ucr_train, seq_len=140, require_labels=True)
    assert train.layout == "ucr"
    assert train.x.shape == (500, 140)
    assert set(train.classes.tolist()) <= {1, 2, 3, 4, 5}
    assert ((train.classes == 1) == (train.y == labels.NORMAL)).all()
    # the UCR TRAIN part is the first 500 rows of ecg.csv, at float32 precision
    np.testing.assert_allclose(train.x, beats.x[:500], atol=1e-6)
    assert (train.y == beats.y[:500]).all()
