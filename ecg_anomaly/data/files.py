"""Open a data file: archives unpacked, text decoded, ``.npy`` loaded, every failure a message.

``.gz``, ``.bz2``, ``.xz`` and ``.zip`` (one data file inside) are read transparently; the name
left once the compression suffix is taken off (``ecg.csv.gz`` -> ``ecg.csv``), or the zip member's
name, is what tells the layout. Text is UTF-8 (a byte-order mark is dropped) or UTF-16 with a
byte-order mark, as spreadsheets write it; bytes that are not UTF-8 are kept as lone surrogates
(``surrogateescape``) so that a message can name the line and column that holds them.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import numpy as np

from ecg_anomaly.errors import DataFormatError, DataNotFoundError

#: Compression suffixes read transparently, and the format each one means.
COMPRESSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip"}
_MAGIC = {"gzip": b"\x1f\x8b", "bzip2": b"BZh", "xz": b"\xfd7zXZ\x00", "zip": b"PK\x03\x04"}
_UNPACK = {"gzip": gzip.decompress, "bzip2": bz2.decompress, "xz": lzma.decompress}
# What the decompressors raise on damaged or cut-short data.
_DAMAGED = (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error, zipfile.BadZipFile)


class RawFile(NamedTuple):
    """A data file's bytes, unpacked: ``name`` tells the layout, ``where`` names it in messages."""

    data: bytes
    name: str
    where: str

    @property
    def suffix(self) -> str:
        """The lower-case data suffix (``.csv``, ``.txt``, ...), or "" if there is none."""
        return PurePosixPath(self.name).suffix.lower()


def read_raw(path: Path) -> RawFile:
    """Read a file's bytes, unpacking a ``.gz``, ``.bz2``, ``.xz`` or one-member ``.zip``.

    Raises:
        DataNotFoundError: The path does not exist, is a directory or cannot be read.
        DataFormatError: The file is empty, damaged, or compressed under a plain name.
    """
    data = _read_bytes(path)
    kind = COMPRESSIONS.get(path.suffix.lower())
    if kind is None:
        for other, magic in _MAGIC.items():
            if data.startswith(magic) and (other != "bzip2" or data[4:10] == b"1AY&SY"):
                ext = next(s for s, k in COMPRESSIONS.items() if k == other)
                msg = (
                    f"{path} is {other}-compressed data, but its name does not end in {ext}. "
                    f"Rename it to {path.name}{ext} (it is then unpacked when read), or unpack it."
                )
                raise DataFormatError(msg)
        return RawFile(data, path.name, str(path))
    try:
        name, unpacked = _unzip(data, path) if kind == "zip" else (path.stem, _UNPACK[kind](data))
    except DataFormatError:
        raise
    except (RuntimeError, NotImplementedError) as err:  # an encrypted zip, an unknown method
        msg = f"{path}: cannot unpack it here ({err}). Unpack it yourself and pass the file."
        raise DataFormatError(msg) from None
    except _DAMAGED as err:
        msg = (
            f"{path} is not a complete {kind} file ({err}): it is damaged, cut short, or not "
            f"{kind}-compressed despite its name. Download or compress it again."
        )
        raise DataFormatError(msg) from None
    where = f"{path} (member {name})" if kind == "zip" else str(path)
    if not unpacked:
        msg = f"{where} unpacks to nothing: it holds no data. Compress the data file again."
        raise DataFormatError(msg)
    return RawFile(unpacked, name, where)


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        found = sorted(p.name for p in path.iterdir() if p.is_file() and p.name[0] != ".")
        hint = f" (it holds: {', '.join(found[:5])})" if found else ""
        msg = f"{path} is a directory, not a file; pass a data file inside it{hint}."
        raise DataNotFoundError(msg)
    if not path.is_file():
        msg = (
            f"data file not found: {path} (relative paths start from {Path.cwd()}). Check the "
            "path, or give an absolute one."
        )
        raise DataNotFoundError(msg)
    try:
        data = path.read_bytes()
    except OSError as err:
        msg = (
            f"cannot read {path}: {err.strerror or err}. Check that you may read it "
            f"(ls -l {path}) and that it is a regular file."
        )
        raise DataNotFoundError(msg) from None
    if not data:
        msg = f"{path} is empty: it holds no data. Download it again or use another file."
        raise DataFormatError(msg)
    return data


def _unzip(data: bytes, path: Path) -> tuple[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = [i.filename for i in zf.infolist() if not i.is_dir()]
        # leave out what archivers add beside the data: macOS resource forks, .DS_Store
        members = [f for f in files if f[:9] != "__MACOSX/" and PurePosixPath(f).name[0] != "."]
        if len(members) == 1:
            return members[0], zf.read(members[0])
    more = f" and {len(files) - 10} more" if len(files) > 10 else ""
    msg = (
        f"{path} holds {len(members)} data files ({', '.join(files[:10]) or 'nothing'}{more}), "
        "but exactly one is needed to read it directly. Unpack it (unzip) and pass the one "
        "file to use."
    )
    raise DataFormatError(msg)


def decode(raw: RawFile) -> str:
    """The text, with every line ending made a newline; non-UTF-8 bytes kept as surrogates.

    Raises:
        DataFormatError: The bytes are binary (NUL bytes) or broken UTF-16, naming the line.
    """
    data = raw.data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as err:
            line = data.count(b"\n", 0, err.start) + 1
            msg = (
                f"{raw.where}, line {line}: broken UTF-16 text ({err.reason} at byte "
                f"{err.start}). Save the file again, preferably as UTF-8 CSV."
            )
            raise DataFormatError(msg) from None
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            line, column = data.count(b"\n", 0, nul) + 1, nul - data.rfind(b"\n", 0, nul)
            msg = (
                f"{raw.where}, line {line}, character {column}: a NUL byte. This is not a text "
                "file (binary data, or UTF-16 text without a byte-order mark). Save the data as "
                "UTF-8 text (CSV), or as a .npy array with numpy.save."
            )
            raise DataFormatError(msg)
        text = data.decode("utf-8-sig", errors="surrogateescape")
    if "\r" not in text:  # the common case; str.replace is slow even with nothing to replace
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def bad_bytes(cell: str) -> bytes:
    """The bytes of ``cell`` that were not UTF-8 (kept as surrogates by :func:`decode`)."""
    return bytes(ord(c) - 0xDC00 for c in cell if "\udc80" <= c <= "\udcff")


def load_npy(raw: RawFile) -> np.ndarray:
    """The array of a ``.npy`` file's bytes: numbers (int or float), of any shape.

    Raises:
        DataFormatError: Not a ``.npy`` array (an ``.npz`` archive, pickled objects, other
            bytes), or not numbers.
    """
    try:
        arr = np.load(io.BytesIO(raw.data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        msg = (
            f"{raw.where} is not a readable .npy array ({err}). Save the data with "
            "numpy.save(path, array) as one float array."
        )
        raise DataFormatError(msg) from None
    if not isinstance(arr, np.ndarray):  # an .npz archive
        arr.close()
        msg = f"{raw.where} is an .npz archive; save a single array with numpy.save instead."
        raise DataFormatError(msg)
    if arr.dtype.kind not in "iuf":
        msg = f"{raw.where} holds an array of dtype {arr.dtype}; expected numbers (float or int)."
        raise DataFormatError(msg)
    return arr
