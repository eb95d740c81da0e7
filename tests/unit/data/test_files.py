"""Tests of opening data files (ecg_anomaly.data.files): archives, encodings, bad files."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ecg_anomaly.data.beatfiles import read_beats
from ecg_anomaly.errors import DataFormatError, DataNotFoundError

# Values chosen to round differently in float32, labels both ways, a header and a blank line.
PLAIN = "t0,t1,t2,label\n0.1,-1.25e-3,3.3333333,1\n\n4.000001,5,-0.7,0\n2,2,2,1\n"


def error(exc: type[Exception], path: Path, **kwargs) -> str:
    with pytest.raises(exc) as info:
        read_beats(path, **kwargs)
    msg = str(info.value)
    assert str(path) in msg
    return msg


def zip_bytes(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "ecg.csv"
    path.write_text(PLAIN)
    return path


def same(a, b) -> None:
    assert a.layout == b.layout
    assert np.array_equal(a.x, b.x) and a.x.dtype == b.x.dtype
    assert np.array_equal(a.y, b.y)


# --- archives ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "suffix, compress",
    [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)],
)
def test_compressed_gives_the_same_arrays(tmp_path, plain, suffix, compress):
    packed = tmp_path / f"ecg.csv{suffix}"
    packed.write_bytes(compress(PLAIN.encode()))
    beats = read_beats(packed)
    same(beats, read_beats(plain))
    assert beats.path == packed and len(beats) == 3 and beats.header_line == 1


def test_zip_with_one_member(tmp_path, plain):
    path = zip_bytes(
        tmp_path / "beats.zip", {"ecg.csv": PLAIN.encode(), "__MACOSX/._ecg.csv": b"x"}
    )
    same(read_beats(path), read_beats(plain))


def test_inner_suffix_picks_the_layout(tmp_path):
    (tmp_path / "ECG5000_TRAIN.txt.gz").write_bytes(gzip.compress(b"  3  0.5  0.25\n  1  1  2\n"))
    beats = read_beats(tmp_path / "ECG5000_TRAIN.txt.gz")
    assert beats.layout == "ucr" and beats.classes.tolist() == [3, 1]
    zip_bytes(tmp_path / "u.zip", {"sub/ECG5000_TEST.txt": b"2 0.5\n"})
    assert read_beats(tmp_path / "u.zip").classes.tolist() == [2]


def test_compressed_npy(tmp_path):
    np.save(tmp_path / "b.npy", np.arange(6.0).reshape(2, 3))
    (tmp_path / "b.npy.gz").write_bytes(gzip.compress((tmp_path / "b.npy").read_bytes()))
    beats = read_beats(tmp_path / "b.npy.gz")
    assert beats.layout == "npy" and beats.x.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_compressed_with_explicit_layout(tmp_path):
    (tmp_path / "data.gz").write_bytes(gzip.compress(b"1,2,0\n"))
    assert read_beats(tmp_path / "data.gz", "tensorflow").y.tolist() == [1]
    msg = error(DataFormatError, tmp_path / "data.gz")
    assert "its name 'data'" in msg and "layout" in msg


def test_error_inside_an_archive_names_line_and_member(tmp_path):
    path = zip_bytes(tmp_path / "beats.zip", {"ecg.csv": b"1,2,1\n3,x,0\n"})
    msg = error(DataFormatError, path)
    assert "(member ecg.csv), line 2, column 2: 'x'" in msg
    (tmp_path / "ecg.csv.gz").write_bytes(gzip.compress(b"1,2,1\n3,4\n"))
    assert "line 2: 2 values" in error(DataFormatError, tmp_path / "ecg.csv.gz")


@pytest.mark.parametrize(
    "suffix, compress, kind",
    [(".gz", gzip.compress, "gzip"), (".bz2", bz2.compress, "bzip2"), (".xz", lzma.compress, "xz")],
)
def test_damaged_archives(tmp_path, suffix, compress, kind):
    packed = compress(PLAIN.encode() * 50)
    cut = tmp_path / f"cut.csv{suffix}"
    cut.write_bytes(packed[: len(packed) // 2])
    assert f"not a complete {kind} file" in error(DataFormatError, cut)
    fake = tmp_path / f"fake.csv{suffix}"
    fake.write_text(PLAIN)
    assert f"not a complete {kind} file" in error(DataFormatError, fake)


def test_damaged_zip(tmp_path):
    path = zip_bytes(tmp_path / "a.zip", {"ecg.csv": PLAIN.encode() * 50})
    path.write_bytes(path.read_bytes()[:100])
    assert "not a complete zip file" in error(DataFormatError, path)


@pytest.mark.parametrize("members", [{}, {"a.csv": b"1,1\n", "b.csv": b"1,1\n"}])
def test_zip_needs_exactly_one_data_file(tmp_path, members):
    msg = error(DataFormatError, zip_bytes(tmp_path / "a.zip", members))
    assert f"holds {len(members)} data files" in msg and "exactly one" in msg
    assert all(name in msg for name in members)


def test_compressed_data_under_a_plain_name(tmp_path):
    (tmp_path / "ecg.csv").write_bytes(gzip.compress(PLAIN.encode()))
    msg = error(DataFormatError, tmp_path / "ecg.csv", layout="tensorflow")
    assert "gzip-compressed" in msg and "ecg.csv.gz" in msg


def test_empty_archive_content(tmp_path):
    (tmp_path / "e.csv.gz").write_bytes(gzip.compress(b""))
    assert "unpacks to nothing" in error(DataFormatError, tmp_path / "e.csv.gz")


@pytest.mark.ecg5000
def test_real_ecg5000_gzipped(tmp_path, ecg5000_csv):
    packed = tmp_path / "ecg.csv.gz"
    packed.write_bytes(gzip.compress(ecg5000_csv.read_bytes(), compresslevel=1))
    same(read_beats(packed), read_beats(ecg5000_csv))


# --- encodings and line endings ---------------------------------------------------------------


def test_bom_crlf_and_lone_cr(tmp_path, plain):
    for name, data in [
        ("bom.csv", b"\xef\xbb\xbf" + PLAIN.encode()),
        ("crlf.csv", PLAIN.replace("\n", "\r\n").encode()),
        ("cr.csv", PLAIN.replace("\n", "\r").encode()),
    ]:
        (tmp_path / name).write_bytes(data)
        same(read_beats(tmp_path / name), read_beats(plain))


def test_crlf_error_line_numbers(tmp_path):
    (tmp_path / "ecg.csv").write_bytes(b"1,2,1\r\n\r\n3,4,nan\r\n")
    assert "line 3, column 3" in error(DataFormatError, tmp_path / "ecg.csv")


def test_utf16_with_bom(tmp_path, plain):
    (tmp_path / "u16.csv").write_bytes(PLAIN.encode("utf-16"))
    same(read_beats(tmp_path / "u16.csv"), read_beats(plain))


def test_latin1_byte_in_a_value(tmp_path):
    (tmp_path / "ecg.csv").write_bytes("1,2,1\n3,4\xb5,0\n".encode("latin-1"))
    msg = error(DataFormatError, tmp_path / "ecg.csv")
    assert "line 2, column 2: '4\\xb5' is not a number" in msg
    assert "b5" in msg and "Latin-1" in msg and "UTF-8" in msg


def test_latin1_header_is_read(tmp_path):
    (tmp_path / "ecg.csv").write_bytes("amplitude \xb5V,t1,label\n1,2,1\n".encode("latin-1"))
    beats = read_beats(tmp_path / "ecg.csv")
    assert beats.header_line == 1 and beats.x.tolist() == [[1, 2]]


def test_binary_file(tmp_path):
    (tmp_path / "ecg.csv").write_bytes(b"1,2,1\n3,\x00\x01,0\n")
    msg = error(DataFormatError, tmp_path / "ecg.csv")
    assert "line 2, character 3: a NUL byte" in msg and "not a text file" in msg


# --- files that cannot be read ----------------------------------------------------------------


def test_directory(tmp_path):
    (tmp_path / "ecg.csv.gz").write_bytes(gzip.compress(b"1,1\n"))
    msg = error(DataNotFoundError, tmp_path)
    assert "is a directory" in msg and "ecg.csv.gz" in msg


def test_unreadable_file(tmp_path):
    path = tmp_path / "ecg.csv"
    path.write_text("1,2,1\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):  # root reads anything
            pytest.skip("running as a user that can read a chmod 000 file")
        msg = error(DataNotFoundError, path)
        assert "cannot read" in msg and "ermission" in msg
    finally:
        path.chmod(0o644)


def test_read_error_is_a_message(tmp_path, monkeypatch):
    # what a chmod 000 file gives a non-root user, simulated so that it runs as root too
    path = tmp_path / "ecg.csv"
    path.write_text("1,2,1\n")

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    msg = error(DataNotFoundError, path)
    assert f"cannot read {path}: Permission denied" in msg and "ls -l" in msg
