"""Tests of separator and header detection (data.sniff) and parsing (data.tables)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_anomaly.data import sniff, tables
from ecg_anomaly.data.beatfiles import read_beats
from ecg_anomaly.data.files import read_raw
from ecg_anomaly.errors import DataFormatError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def error(path: Path, **kwargs) -> str:
    with pytest.raises(DataFormatError) as info:
        read_beats(path, **kwargs)
    msg = str(info.value)
    assert str(path) in msg
    return msg


# --- separators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, sep",
    [
        ("1,2.5,1\n-3,2.5e-1,0\n", ","),
        ("1;2.5;1\n-3;2.5e-1;0\n", ";"),
        ("1\t2.5\t1\n-3\t2.5e-1\t0\n", "\t"),
        ("1 2.5 1\n-3 2.5e-1 0\n", " "),
        ("  1   2.5  1\n -3   2.5e-1    0\n", " "),  # runs of spaces, leading blanks
        ("1, 2.5, 1\n-3, 2.5e-1, 0\n", ","),  # spaces after the commas
    ],
)
def test_separators(tmp_path, text, sep):
    beats = read_beats(write(tmp_path, "ecg.csv", text))
    assert beats.separator == sep
    assert beats.x.tolist() == [[1, 2.5], [-3, 0.25]]
    assert beats.y.tolist() == [0, 1]


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_trailing_separator_on_every_row(tmp_path, sep):
    text = f"t0{sep}t1{sep}label{sep}\n1{sep}2{sep}1{sep}\n3{sep}4{sep}0{sep}"
    beats = read_beats(write(tmp_path, "ecg.csv", text))
    assert beats.x.tolist() == [[1, 2], [3, 4]] and beats.y.tolist() == [0, 1]
    assert beats.header_line == 1


def test_trailing_separator_on_some_rows(tmp_path):
    beats = read_beats(write(tmp_path, "ecg.csv", "1,2,1\n3,4,0,\n"))
    assert beats.x.tolist() == [[1, 2], [3, 4]]


def test_two_trailing_separators_are_one_too_many(tmp_path):
    msg = error(write(tmp_path, "ecg.csv", "1,2,1\n3,4,0,,\n"))
    assert "line 2: 4 values" in msg and "column 4 is one too many" in msg


def test_decimal_commas_between_semicolons_refused(tmp_path):
    msg = error(write(tmp_path, "ecg.csv", "1,5;2,25;1\n3;4;0\n"))
    assert "line 1, column 1" in msg
    assert "'1,5'" in msg and "decimal comma" in msg and "(1.5)" in msg and "';'" in msg
    assert "sed 's/,/./g'" in msg


def test_decimal_commas_between_tabs_refused(tmp_path):
    msg = error(write(tmp_path, "ecg.tsv", "1\t0,5\t2\n"))
    assert "line 1, column 2" in msg and "'0,5'" in msg and "tabs" in msg


def test_lines_with_different_separators_refused(tmp_path):
    msg = error(write(tmp_path, "ecg.csv", "1,2,1\n3;4;0\n"))
    assert "line 1 by ','" in msg and "line 2 by ';'" in msg


def test_one_line_with_two_separators_refused(tmp_path):
    msg = error(write(tmp_path, "ecg.csv", "1, 2\t1\n"))
    assert "line 1 holds both ',' and tabs" in msg
    assert "',' first at character 2" in msg and "tabs first at character 5" in msg


def test_spaces_on_one_line_commas_on_the_next_refused(tmp_path):
    msg = error(write(tmp_path, "ecg.csv", "1 2 1\n3,4,0\n"))
    assert "line 1: the values are separated by spaces, but line 2" in msg and "','" in msg


def test_tabs_on_one_line_spaces_on_another_refused(tmp_path):
    msg = error(write(tmp_path, "u.txt", "1 2 3\n1\t2\t3\n"))
    assert "line 1: the values are separated by spaces, but line 2" in msg and "tabs" in msg


def test_other_separator_on_a_later_line_named(tmp_path):
    lines = ["1,2,1"] * 6 + ["3;4;0"]
    msg = error(write(tmp_path, "ecg.csv", "\n".join(lines)))
    assert "line 7: 1 values" in msg


def test_cell_holding_another_separator_named(tmp_path):
    lines = ["1 2 1"] * 6 + ["3 4,5 0"]
    msg = error(write(tmp_path, "u.txt", "\n".join(lines)))
    assert "line 7, column 2: '4,5' is not a number" in msg and "It holds ','" in msg


def test_comment_line_refused(tmp_path):
    msg = error(write(tmp_path, "ecg.csv", "# ECG beats\n1,2,1\n"))
    assert "line 1, column 1 starts with '#'" in msg


# --- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "t0,t1,label",
        "att1,att2,target",
        "'a','b','c'",
        "time 0 ms,time 1 ms,class",  # names may hold spaces and digits
        "0,1,2",  # pandas' names for unnamed columns
        "0,1,label",
        "0,1,Target",
    ],
)
def test_genuine_headers_skipped(tmp_path, header):
    beats = read_beats(write(tmp_path, "ecg.csv", f"\n{header}\n1,2,1\n3,4,0\n"))
    assert beats.header_line == 2
    assert beats.x.tolist() == [[1, 2], [3, 4]]


def test_ucr_header_with_class_first(tmp_path):
    beats = read_beats(write(tmp_path, "u.txt", "class 0 1\n3 0.5 0.25\n"))
    assert beats.header_line == 1 and beats.classes.tolist() == [3]


def test_column_numbers_alone_are_a_beat(tmp_path):
    # with no line below to compare, "0,1,2" is data: its label 2 is then refused on line 1
    msg = error(write(tmp_path, "ecg.csv", "0,1,2\n"))
    assert "line 1, column 3 (the label): 2 is not a tensorflow label" in msg
    assert read_beats(tmp_path / "ecg.csv", "csv").x.tolist() == [[0, 1, 2]]


def test_column_numbers_above_a_line_of_another_width_are_a_beat(tmp_path):
    msg = error(write(tmp_path, "ecg.csv", "0,1,2\n1,2,3,1\n"))
    assert "line 2: 4 values, but line 1 (the first data line) has 3" in msg


def test_column_numbers_twice_are_beats(tmp_path):
    beats = read_beats(write(tmp_path, "b.csv", "0,1,2\n0,1,2\n"), "csv")
    assert beats.header_line is None and len(beats) == 2


@pytest.mark.parametrize("first", ["t0,1.5,label", "0,2,label", "1,2,label", "x,nan,y"])
def test_lines_with_numbers_are_not_headers(tmp_path, first):
    msg = error(write(tmp_path, "ecg.csv", f"{first}\n1,2,1\n"))
    assert "line 1, column" in msg and "not as a header" in msg


def test_pandas_index_column_explained(tmp_path):
    msg = error(write(tmp_path, "ecg.csv", ",0,1,2\n0,0.5,0.5,1\n"))
    assert "line 1, column 1 is empty" in msg and "index=False" in msg


def test_header_only(tmp_path):
    assert "only a header row (line 2)" in error(write(tmp_path, "ecg.csv", "\nt0,t1,label\n\n"))


# --- parse itself: chosen columns, missing values (the recordings' use) ------------------------


def head_of(tmp_path: Path, text: str, name: str = "r.csv") -> sniff.Head:
    return sniff.sniff(read_raw(write(tmp_path, name, text)))


def parse_error(head: sniff.Head, **kwargs) -> str:
    with pytest.raises(DataFormatError) as info:
        tables.parse(head, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("fast", [True, False])
def test_missing_values_where_allowed(tmp_path, monkeypatch, fast):
    if not fast:
        monkeypatch.setattr(tables, "_fast", lambda *args: None)
    head = head_of(tmp_path, "t,ecg\n0,1.5\n4,\n\n8,NaN\n12,NA\n16,-2\n")
    values = tables.parse(head, missing_ok=True)
    np.testing.assert_array_equal(values[:, 1], [1.5, np.nan, np.nan, np.nan, -2])
    assert values[:, 0].tolist() == [0, 4, 8, 12, 16]
    msg = parse_error(head)
    assert "line 3, column 2 is empty" in msg
    short = head_of(tmp_path, "t,ecg\n0,1.5\n4\n")  # a value missing is not a missing value
    msg = parse_error(short, missing_ok=True)
    assert "line 3: 1 values, but line 2 (the first data line) has 2" in msg


def test_only_the_columns_asked_for_are_read(tmp_path):
    head = head_of(tmp_path, "clock;ecg\n10:00:00;0.5\n10:00:01;-0.5\n")
    assert head.names == ("clock", "ecg") and head.separator == ";"
    assert tables.parse(head, columns=[1]).tolist() == [[0.5], [-0.5]]
    msg = parse_error(head)
    assert "line 2, column 1: '10:00:00' is not a number" in msg


def test_header_names_lose_quotes_and_spaces(tmp_path):
    head = head_of(tmp_path, '"time (s)", "ECG"\n0,1\n')
    assert head.names == ("time (s)", "ECG") and head.header_line == 1 and head.first_line == 2


def test_header_names_with_bytes_that_are_not_utf8_can_be_printed(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes("zeit \xb5s;EKG\n0;1\n".encode("latin-1"))
    assert sniff.sniff(read_raw(path)).names == ("zeit \ufffds", "EKG")
