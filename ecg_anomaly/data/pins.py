"""Pinned digests of the files the project downloads: a file that differs is never used.

A download, or a file already in the cache, is checked against its pin before anything reads
it, so a truncated or damaged copy (an interrupted copy into the cache, a proxy's error page
that happens to parse) stops the run instead of being trained on. Files a user names
(``data.path``, ``$ECG_ANOMALY_DATA``) are not checked: any file in a supported layout loads.

Each pin holds the sha256 of the published bytes where it is known, and the sha256 of the
values (float32, little-endian) and 0/1 labels of the file's first rows. The values digest
stands in where the bytes' digest cannot be known on a machine without internet (the UCR
archive's ``ECG5000_TEST.txt``: its first 4,498 beats are rows 500-4,997 of the tutorial's
``ecg.csv``) and explains a mismatch (same values in other bytes, or a truncated file).
docs/benchmark.md says how to complete the pins on a machine with internet.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecg_anomaly.data.beatfiles import read_beats
from ecg_anomaly.errors import DataError, DataFormatError


@dataclass(frozen=True)
class Pin:
    """What a published file must be.

    Args:
        layout: Its layout for :func:`~ecg_anomaly.data.beatfiles.read_beats`.
        rows: Its number of beats.
        sha256: The sha256 of its bytes; None where not known yet (then its values decide).
        values_sha256: :func:`values_sha256` of its first ``values_rows`` beats.
        values_rows: How many of its first beats ``values_sha256`` covers.
    """

    layout: str
    rows: int
    sha256: str | None
    values_sha256: str
    values_rows: int


#: The pin of each file the project downloads, by its name in the cache.
PINS: dict[str, Pin] = {
    # the TensorFlow tutorial's ecg.csv (storage.googleapis.com/download.tensorflow.org)
    "ecg.csv": Pin(
        "tensorflow",
        4998,
        "72ce7b040ca0c6ed36c3368e570c6ac4ddf20100476e47373c63b2395e012df1",
        "f938670c9e4c2b292cc118f8325e6f8322bde907310ddc0830e8a4c4f86cece6",
        4998,
    ),
    # the UCR archive's ECG5000 (timeseriesclassification.com): its TRAIN beats are rows
    # 0-499 of ecg.csv, value for value
    "ECG5000_TRAIN.txt": Pin(
        "ucr",
        500,
        "0d96aff193311a6dc6111bf0dbd2f7d2313987fbf7a1da4a383d92563876057b",
        "499198e022680cbe136f161f4a1987fafcbd7a2bec334306503496bbd366ab4a",
        500,
    ),
    # its TEST beats: the first 4,498 are rows 500-4,997 of ecg.csv (the tutorial's file
    # lacks the archive's last two beats); the bytes' sha256 is not known here
    "ECG5000_TEST.txt": Pin(
        "ucr",
        4500,
        None,
        "7eaf13dd5ccf09e4eee50cddf8be6d691f0f220a4c988cc7dcab94d07875ecd1",
        4498,
    ),
}

# Files checked in this process, by (path, size, modification time): the data module resolves
# its file more than once per run, and a file that changes is checked again.
_checked: set[tuple[str, int, int]] = set()


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes, as ``sha256sum`` prints it."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def values_sha256(x: np.ndarray, y: np.ndarray) -> str:
    """The sha256 of beats' values as little-endian float32, then their 0/1 labels as bytes.

    Args:
        x: Beats ``(n, seq_len)``.
        y: Labels ``(n,)``, 0 normal / 1 abnormal.
    """
    digest = hashlib.sha256(np.ascontiguousarray(x, dtype="<f4").tobytes())
    digest.update(np.asarray(y, dtype=np.uint8).tobytes())
    return digest.hexdigest()


def check_pinned(path: str | os.PathLike, name: str) -> None:
    """Refuse a file that is not the published ``name`` (no pin for ``name``: nothing to check).

    Args:
        path: The file (a download or a cached copy).
        name: Its published name, a key of :data:`PINS`.

    Raises:
        DataFormatError: The file differs from its pin; the message says how (digest, rows).
    """
    pin = PINS.get(name)
    if pin is None:
        return
    path = Path(path)
    stat = path.stat()
    key = (str(path.absolute()), stat.st_size, stat.st_mtime_ns)
    if key in _checked:
        return
    digest = file_sha256(path) if pin.sha256 else None
    if digest is None or digest != pin.sha256:
        problem = _values_problem(path, pin)
        if digest is not None:
            bytes_differ = f"its sha256 is {digest}, not the published {pin.sha256}"
            # same values in other bytes (line endings, number format): say so, still refuse
            problem = f"{bytes_differ}; {problem or 'its values are the published ones'}"
        if problem:
            msg = f"{path} ({stat.st_size:,} bytes) is not the published {name}: {problem}"
            raise DataFormatError(msg)
    _checked.add(key)


def _values_problem(path: Path, pin: Pin) -> str | None:
    """How the file's beats differ from the pin's, or None when they match it."""
    try:
        beats = read_beats(path, layout=pin.layout, require_labels=True)
    except DataError as err:
        return f"it cannot be read as the published file ({err})"
    if len(beats.x) != pin.rows:
        return f"it holds {len(beats.x):,} beats, not {pin.rows:,} (truncated or cut?)"
    first = slice(0, pin.values_rows)
    if values_sha256(beats.x[first], beats.y[first]) != pin.values_sha256:
        return f"the values of its first {pin.values_rows:,} beats differ from the published ones"
    return None


def check_cached(cached: Path, names: Sequence[str]) -> None:
    """Refuse a cache holding a file that differs from its pin, saying what to delete.

    Args:
        cached: The cached file a run is about to use.
        names: The files of the cache that come with it (their pins are checked; a missing
            one is skipped): deleting all of them makes the next run download them again.

    Raises:
        DataFormatError: One of them differs from its pin.
    """
    for name in names:
        path = cached.with_name(name)
        if not path.is_file():  # the archive's TEST: only data.protocol=ucr needs it, and says so
            continue
        try:
            check_pinned(path, name)
        except DataFormatError as err:
            remove = " ".join(f"'{cached.with_name(n)}'" for n in names)
            msg = (
                f"the cached data file is not used: {err}. Delete it and run again to download "
                f"it afresh:\n  rm -f {remove}\nor give a file of your own, which is not "
                f"checked: data.path=/path/to/{cached.name}"
            )
            raise DataFormatError(msg) from None
