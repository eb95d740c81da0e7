"""Open a data file: compressed files unpacked, text decoded, every failure a clear message.

``.gz``, ``.bz2``, ``.xz`` and ``.zip`` (one data file inside) are read transparently; the name
left once the compression suffix is taken off (``ecg.csv.gz`` -> ``ecg.csv``), or the zip member's
name, is what tells the layout. Text is UTF-8 (a byte-order mark is dropped) or UTF-16 with a
byte-order mark, as spreadsheets write it; bytes that are not UTF-8 are kept as lone surrogates
(``surrogateescape``) so the parser can name the exact line and column that holds them.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path, PurePosixPath

from ecg_anomaly.data.errors import DataFormatError, DataNotFoundError

#: Compression suffixes read transparently, and the format each one means.
COMPRESSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zip": "zip"}
#: Suffixes of the data files themselves (before any compression suffix).
DATA_SUFFIXES = (".csv", ".txt", ".tsv", ".npy")
_MAGIC = {"gzip": b"\x1f\x8b", "bzip2": b"BZh", "xz": b"\xfd7zXZ\x00", "zip": b"PK\x03\x04"}
_UNPACK = {"gzip": gzip.decompress, "bzip2": bz2.decompress, "xz": lzma.decompress}
# What each decompressor raises on damaged or cut-short data.
_DAMAGED = (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error)


@dataclass(frozen=True)
class RawFile:
    """The bytes of a data file, unpacked.

    Attributes:
        data: The content (decompressed; a zip's one data member).
        name: The name whose suffix tells the layout: the file's, less its compression suffix,
            or the zip member's.
        where: How messages name the input: the path, plus the member for a zip.
    """

    data: bytes
    name: str
    where: str

    @property
    def suffix(self) -> str:
        """The lower-case data suffix (``.csv``, ``.txt``, ...), or "" if there is none."""
        return PurePosixPath(self.name).suffix.lower()


def read_raw(path: Path) -> RawFile:
    """Read a file's bytes, unpacking a ``.gz``, ``.bz2``, ``.xz`` or one-member ``.zip``.

    Args:
        path: The file.

    Returns:
        The unpacked bytes and the name that tells the layout.

    Raises:
        DataNotFoundError: The path does not exist, is a directory or cannot be read.
        DataFormatError: The file is empty, or damaged, or compressed under a plain name.
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
    if kind == "zip":
        return _unzip(data, path)
    try:
        unpacked = _UNPACK[kind](data)
    except _DAMAGED as err:
        msg = (
            f"{path} is not a complete {kind} file ({err}): it is damaged, cut short, or not "
            f"{kind}-compressed despite its name. Download or compress it again."
        )
        raise DataFormatError(msg) from None
    if not unpacked:
        msg = f"{path} unpacks to nothing: it holds no beats. Compress the data file again."
        raise DataFormatError(msg)
    return RawFile(unpacked, path.stem, str(path))


def decode(raw: RawFile) -> str:
    """Decode text, with every line ending made a newline.

    Args:
        raw: The bytes.

    Returns:
        The text; bytes that are not UTF-8 are kept as lone surrogates (``surrogateescape``).

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
                f"{raw.where}, line {line}: broken UTF-16 text ({err.reason} at byte {err.start}). "
                "Save the file again, preferably as UTF-8 CSV."
            )
            raise DataFormatError(msg) from None
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            line = data.count(b"\n", 0, nul) + 1
            column = nul - data.rfind(b"\n", 0, nul)
            msg = (
                f"{raw.where}, line {line}, character {column}: a NUL byte. This is not a text "
                "file (binary data, or UTF-16 text without a byte-order mark). Save the beats as "
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


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        found = sorted(p.name for p in path.iterdir() if _is_data_name(p.name))
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
        msg = f"{path} is empty: it holds no beats. Download it again or use another file."
        raise DataFormatError(msg)
    return data


def _is_data_name(name: str) -> bool:
    path = PurePosixPath(name.lower())
    if path.suffix in COMPRESSIONS:
        return path.suffix == ".zip" or PurePosixPath(path.stem).suffix in DATA_SUFFIXES
    return path.suffix in DATA_SUFFIXES


def _unzip(data: bytes, path: Path) -> RawFile:
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            files = [i for i in zf.infolist() if not i.is_dir()]
            members = [i for i in files if not _is_junk(i.filename)]
            unpacked = zf.read(members[0]) if len(members) == 1 else b""
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as err:
        msg = (
            f"{path} is not a complete zip file ({err}): it is damaged, cut short, or not a zip "
            "despite its name. Download or pack it again."
        )
        raise DataFormatError(msg) from None
    except (RuntimeError, NotImplementedError) as err:  # encrypted, or an unknown compression
        msg = f"{path}: cannot unpack it here ({err}). Unpack it yourself and pass the file."
        raise DataFormatError(msg) from None
    if len(members) != 1:
        names = ", ".join(i.filename for i in files[:10]) or "nothing"
        more = f" and {len(files) - 10} more" if len(files) > 10 else ""
        msg = (
            f"{path} holds {len(members)} data files ({names}{more}), but exactly one is needed "
            "to read it directly. Unpack it (unzip) and pass the one file to use."
        )
        raise DataFormatError(msg)
    where = f"{path} (member {members[0].filename})"
    if not unpacked:
        msg = f"{where} is empty: it holds no beats."
        raise DataFormatError(msg)
    return RawFile(unpacked, members[0].filename, where)


def _is_junk(name: str) -> bool:
    """Files archivers add beside the data (macOS resource forks, .DS_Store)."""
    return name.startswith("__MACOSX/") or PurePosixPath(name).name.startswith(".")
