"""Find the ECG5000 file: an explicit path, ``$ECG_ANOMALY_DATA``, the cache, or a download.

Downloads use only the standard library. They go to a temporary file beside the destination,
are checked with :func:`~ecg_anomaly.data.beatfiles.read_beats` and against their pinned digests
(:mod:`ecg_anomaly.data.pins`), and only then are moved into place with :func:`os.replace`, so an
interrupted or bad download never leaves a file behind that a later run would trust. A file
already in the cache is checked against its pin too before it is used; a file the user names
(``data.path``, ``$ECG_ANOMALY_DATA``) is not.
"""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ecg_anomaly.data.beatfiles import read_beats
from ecg_anomaly.data.files import COMPRESSIONS
from ecg_anomaly.data.pins import check_cached, check_pinned
from ecg_anomaly.errors import DataError, DataFormatError, DataNotFoundError

log = logging.getLogger(__name__)

TF_ECG_URL = "http://storage.googleapis.com/download.tensorflow.org/data/ecg.csv"
#: A zip holding ``ECG5000_TRAIN.txt`` and ``ECG5000_TEST.txt`` (and other formats).
UCR_ECG5000_URL = "https://www.timeseriesclassification.com/aeon-toolkit/ECG5000.zip"
ENV_VAR = "ECG_ANOMALY_DATA"
CACHE_ENV_VAR = "ECG_ANOMALY_CACHE"
SOURCES = ("tensorflow", "ucr")
#: The file each source resolves to, in the cache or in a folder given as the path.
FILENAMES = {"tensorflow": "ecg.csv", "ucr": "ECG5000_TRAIN.txt"}
URLS = {"tensorflow": TF_ECG_URL, "ucr": UCR_ECG5000_URL}
# TRAIN is written last: its presence in the cache means the extraction finished.
_UCR_MEMBERS = ("ECG5000_TEST.txt", "ECG5000_TRAIN.txt")


def default_cache_dir() -> Path:
    """The download cache: ``$ECG_ANOMALY_CACHE``, else ``$XDG_CACHE_HOME/ecg_anomaly``.

    Returns:
        The folder (it may not exist yet); ``~/.cache/ecg_anomaly`` when neither is set.
    """
    if os.environ.get(CACHE_ENV_VAR):
        return Path(os.environ[CACHE_ENV_VAR]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "ecg_anomaly"


def resolve_data_path(
    path: str | os.PathLike | None = None,
    *,
    source: str = "tensorflow",
    cache_dir: str | os.PathLike | None = None,
    download: bool = True,
    timeout: float = 30.0,
    url: str | None = None,
) -> Path:
    """Find the data file, downloading it into the cache if needed.

    The first of these wins: ``path``; ``$ECG_ANOMALY_DATA``; the file in the cache; a download
    into the cache. ``path`` and the variable may name a file or a folder holding the source's
    file (``ecg.csv`` or ``ECG5000_TRAIN.txt``). For ``source="ucr"`` the archive's zip is
    downloaded, ``ECG5000_TRAIN.txt`` and ``ECG5000_TEST.txt`` are extracted beside each other
    and the TRAIN path is returned (the TEST file is its sibling). Downloaded and cached files
    must match their pins (:data:`~ecg_anomaly.data.pins.PINS`); given files are not checked.

    Args:
        path: A file or folder given by the user; it must exist. None or "" to look elsewhere.
        source: One of :data:`SOURCES`.
        cache_dir: The cache folder; None for :func:`default_cache_dir`.
        download: Whether to download when nothing else is found.
        timeout: Seconds to wait for the server to connect or to send more data.
        url: Download from here instead of the source's URL (mirrors, tests).

    Returns:
        The absolute path of the data file.

    Raises:
        DataNotFoundError: The given file does not exist, or nothing was found and the download
            failed or was turned off; the message says why and how to provide the file.
        DataFormatError: The cached file differs from its pin (truncated or damaged); the
            message says which file to delete.
    """
    if source not in SOURCES:
        msg = f"unknown data source {source!r}; use one of {', '.join(SOURCES)}"
        raise ValueError(msg)
    name = FILENAMES[source]
    if path is not None and str(path) != "":
        return _existing(Path(path).expanduser(), name, "the data path given")
    if os.environ.get(ENV_VAR):
        return _existing(Path(os.environ[ENV_VAR]).expanduser(), name, f"${ENV_VAR}")
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    cached = cache.absolute() / name
    if cached.is_file():
        # the archive's TRAIN marks a complete extraction: its TEST sibling is checked with it
        check_cached(cached, _UCR_MEMBERS if source == "ucr" else (name,))
        return cached
    url = url or URLS[source]
    error: DataError | None = None
    if download:
        try:
            _fetch(source, url, cache.absolute(), timeout)
            return cached
        except DataError as err:
            error = err
        reason = f"downloading {url} failed: {error}"
    else:
        reason = f"downloading is turned off, so {url} was not tried"
    msg = (
        f"no {source} data file found: {reason}\n"
        f"Provide {name} in one of three ways:\n"
        f"  - on the command line:  data.path=/path/to/{name}\n"
        f"  - in the environment:   export {ENV_VAR}=/path/to/{name}\n"
        f"  - put the file at:      {cached}"
    )
    raise DataNotFoundError(msg) from error


def download(
    url: str,
    dest: Path,
    *,
    timeout: float = 30.0,
    validate: Callable[[Path], None] | None = None,
) -> Path:
    """Download ``url`` to ``dest`` atomically, showing progress on stderr.

    Args:
        url: What to download.
        dest: Where to put it; its folder is created.
        timeout: Seconds to wait for the server to connect or to send more data.
        validate: Called on the downloaded temporary file; raise ``DataFormatError`` to reject it.

    Returns:
        ``dest``, which now holds the complete, validated file.

    Raises:
        DataNotFoundError: The download failed (no connection, timeout, HTTP error, cut short).
        DataFormatError: ``validate`` rejected the file; nothing was written to ``dest``.
    """
    dest = Path(dest).expanduser()

    def fetch(out: BinaryIO) -> None:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                _copy(resp, out, url, dest.name)
        except urllib.error.HTTPError as err:
            msg = f"the server answered HTTP {err.code} {err.reason} for {url}"
            raise DataNotFoundError(msg) from None
        except urllib.error.URLError as err:
            msg = f"could not reach {url}: {_why(err.reason, timeout)}"
            raise DataNotFoundError(msg) from None
        except (OSError, http.client.HTTPException, ValueError) as err:
            msg = f"could not download {url}: {_why(err, timeout)}"
            raise DataNotFoundError(msg) from None

    log.info("downloading %s to %s", url, dest)
    return _atomic_write(dest, fetch, validate, url)


def _why(err: object, timeout: float) -> str:
    if isinstance(err, TimeoutError):
        return f"no answer within {timeout:g} s (no internet connection, or a slow server?)"
    return f"{err or type(err).__name__} (no internet connection, or a proxy or firewall?)"


def _existing(path: Path, name: str, what: str) -> Path:
    if path.is_dir():
        for candidate in (name, *(f"{name}{s}" for s in COMPRESSIONS)):
            if (path / candidate).is_file():
                return (path / candidate).absolute()
    if path.is_file():
        return path.absolute()
    packed = "/".join(COMPRESSIONS)
    kind = f"a folder without {name} (or {name}{packed})" if path.is_dir() else "not found"
    msg = (
        f"data file {kind}: {path} (from {what}; relative paths start from {Path.cwd()}). "
        "Check the path, or give an absolute one."
    )
    raise DataNotFoundError(msg)


def _fetch(source: str, url: str, cache: Path, timeout: float) -> None:
    if source == "tensorflow":
        download(url, cache / FILENAMES[source], timeout=timeout, validate=_check_tensorflow)
        return
    archive = download(url, cache / "ECG5000.zip", timeout=timeout, validate=_check_ucr_zip)
    try:
        with zipfile.ZipFile(archive) as zf:
            members = {PurePosixPath(i.filename).name: i for i in zf.infolist()}
            for name in _UCR_MEMBERS:
                if name in members:
                    member = members[name]

                    def extract(out: BinaryIO, member: zipfile.ZipInfo = member) -> None:
                        with zf.open(member) as src:
                            shutil.copyfileobj(src, out)

                    check = partial(_check_ucr, name=name)
                    _atomic_write(cache / name, extract, check, f"{url} ({name})")
    except (zipfile.BadZipFile, zlib.error, EOFError) as err:
        msg = f"the zip from {url} is damaged ({err}); try again"
        raise DataFormatError(msg) from None
    finally:
        archive.unlink(missing_ok=True)


def _atomic_write(
    dest: Path,
    write: Callable[[BinaryIO], None],
    validate: Callable[[Path], None] | None,
    origin: str,
) -> Path:
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as err:
        msg = (
            f"cannot write to {dest.parent} ({err.strerror or err}); set {CACHE_ENV_VAR} to a "
            "writable folder"
        )
        raise DataNotFoundError(msg) from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
        if validate is not None:
            try:
                validate(tmp)
            except DataFormatError as err:
                why = str(err).replace(str(tmp), origin)
                msg = f"the file from {origin} is not usable, so it was not saved: {why}"
                raise DataFormatError(msg) from None
        tmp.chmod(0o644)  # mkstemp makes it private; a cache file is not secret
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def _copy(resp: http.client.HTTPResponse, out: BinaryIO, url: str, name: str) -> None:
    try:
        total = int(resp.headers.get("Content-Length") or 0)
    except ValueError:
        total = 0
    live = sys.stderr.isatty()
    done, shown = 0, -1
    while chunk := resp.read(1 << 16):
        out.write(chunk)
        done += len(chunk)
        pct = done * 100 // total if total else done >> 20
        if live and pct != shown:
            shown = pct
            size = f"{pct:3d}% of {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
            print(f"\rdownloading {name}: {size}", end="", file=sys.stderr, flush=True)
    if live:
        print(file=sys.stderr)
    if total and done < total:
        msg = f"the download of {url} stopped after {done} of {total} bytes; try again"
        raise DataNotFoundError(msg)
    log.info("downloaded %s (%.1f MB)", name, done / 1e6)


def _check_download(path: Path, name: str, layout: str) -> None:
    read_beats(path, layout=layout)  # a format error names its line and column
    try:
        check_pinned(path, name)
    except DataFormatError as err:
        msg = (
            f"{err}. Try again (a download cut short?); if it is refused again, the server "
            "or a proxy serves another file"
        )
        raise DataFormatError(msg) from None


def _check_tensorflow(path: Path) -> None:
    _check_download(path, FILENAMES["tensorflow"], "tensorflow")


def _check_ucr(path: Path, name: str = FILENAMES["ucr"]) -> None:
    _check_download(path, name, "ucr")


def _check_ucr_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = [PurePosixPath(n).name for n in zf.namelist()]
    except zipfile.BadZipFile:
        msg = f"{path} is not a zip archive"
        raise DataFormatError(msg) from None
    if FILENAMES["ucr"] not in names:
        msg = f"{path} holds no {FILENAMES['ucr']} (it holds: {', '.join(names[:8]) or 'nothing'})"
        raise DataFormatError(msg)
