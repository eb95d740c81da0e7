"""Tests of ecg_anomaly.data.sources and .pins, offline: downloads come from a server on
127.0.0.1 or from file:// URLs."""

from __future__ import annotations

import hashlib
import io
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ecg_anomaly.data import pins, sources
from ecg_anomaly.data.beatfiles import read_beats
from ecg_anomaly.data.pins import Pin, check_pinned, file_sha256, values_sha256
from ecg_anomaly.data.sources import (
    ENV_VAR,
    default_cache_dir,
    download,
    resolve_data_path,
)
from ecg_anomaly.errors import DataFormatError, DataNotFoundError
from tests.conftest import real_ecg5000

GOOD_TF = b"0.1,0.2,0.3,1.0\n0.4,0.5,0.6,0.0\n0.7,0.8,0.9,1.0\n"
GOOD_UCR = b"  1.0000000e+00  1.0e-01  2.0e-01\n  3.0000000e+00  3.0e-01  4.0e-01\n"
#: The project's own pins (the tests below pin their small synthetic files instead).
REAL_PINS = dict(pins.PINS)


class Server:
    """A loopback HTTP server: ``routes`` maps a path to ``(status, body, extra headers)``."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, headers = routes.get(self.path, (404, b"not found", {}))
                self.send_response(status)
                headers = {"Content-Length": str(len(body)), **headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def serve(self, path: str, body: bytes, status: int = 200, **headers: str) -> str:
        self.routes[path] = (status, body, {k.replace("_", "-"): v for k, v in headers.items()})
        return self.base + path


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for var in (ENV_VAR, sources.CACHE_ENV_VAR, "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")


def pin_of(body: bytes, layout: str, folder: Path, *, bytes_known: bool = True, rows=None) -> Pin:
    """The pin of a small file: its sha256 (when known) and the values of its first rows."""
    path = folder / f"pinned-{len(list(folder.iterdir()))}.txt"
    path.write_bytes(body)
    beats = read_beats(path, layout=layout)
    rows = len(beats.x) if rows is None else rows
    digest = file_sha256(path) if bytes_known else None
    return Pin(layout, len(beats.x), digest, values_sha256(beats.x[:rows], beats.y[:rows]), rows)


@pytest.fixture(autouse=True)
def _synthetic_pins(monkeypatch, tmp_path_factory):
    """Pin the synthetic files the tests serve, as the project pins the published ones."""
    folder = tmp_path_factory.mktemp("pins")
    synthetic = {
        "ecg.csv": pin_of(GOOD_TF, "tensorflow", folder),
        "ECG5000_TRAIN.txt": pin_of(GOOD_UCR, "ucr", folder),
        # like the archive's TEST: the bytes' digest unknown, the first beat's values pinned
        "ECG5000_TEST.txt": pin_of(GOOD_UCR, "ucr", folder, bytes_known=False, rows=1),
    }
    monkeypatch.setattr(pins, "PINS", synthetic)
    monkeypatch.setattr(pins, "_checked", set())


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "cache"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/ecg.csv"


def ucr_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- downloads --------------------------------------------------------------------------------


def test_download_tensorflow_into_cache(server, cache):
    url = server.serve("/good/ecg.csv", GOOD_TF)
    path = resolve_data_path(source="tensorflow", cache_dir=cache, url=url)
    assert path == cache.absolute() / "ecg.csv"
    assert path.read_bytes() == GOOD_TF
    assert files_in(cache) == ["ecg.csv"]
    assert read_beats(path).x.shape == (3, 3)
    # the cached file is used from now on, without a server
    again = resolve_data_path(cache_dir=cache, url=closed_port_url(), download=False)
    assert again == path


def test_download_ucr_zip_extracts_train_and_test(server, cache):
    body = ucr_zip(
        {
            "ECG5000/ECG5000_TRAIN.txt": GOOD_UCR,
            "ECG5000/ECG5000_TEST.txt": GOOD_UCR,
            "ECG5000/ECG5000_TRAIN.arff": b"@relation x\n",
        }
    )
    url = server.serve("/ECG5000.zip", body)
    path = resolve_data_path(source="ucr", cache_dir=cache, url=url)
    assert path == cache.absolute() / "ECG5000_TRAIN.txt"
    assert files_in(cache) == ["ECG5000_TEST.txt", "ECG5000_TRAIN.txt"]
    assert read_beats(path).classes.tolist() == [1, 3]


def test_ucr_zip_with_bad_train_file_leaves_nothing(server, cache):
    url = server.serve("/badclass.zip", ucr_zip({"ECG5000_TRAIN.txt": b"9 0.1 0.2\n"}))
    with pytest.raises(DataNotFoundError, match=r"not usable.*line 1, column 1"):
        resolve_data_path(source="ucr", cache_dir=cache, url=url)
    assert files_in(cache) == []


def test_ucr_not_a_zip(server, cache):
    url = server.serve("/notzip.zip", b"<html>login</html>")
    with pytest.raises(DataNotFoundError, match="not a zip"):
        resolve_data_path(source="ucr", cache_dir=cache, url=url)
    assert files_in(cache) == []


def test_wrongly_shaped_file_is_rejected_and_not_saved(server, cache):
    url = server.serve("/shape/ecg.csv", b"0.1,0.2,7\n0.3,0.4,1\n")
    dest = cache / "ecg.csv"
    with pytest.raises(DataFormatError) as info:
        download(url, dest, validate=sources._check_tensorflow)
    msg = str(info.value)
    assert url in msg and "line 1" in msg and "7 is not" in msg
    assert ".part" not in msg  # the temporary name is replaced by the URL
    assert files_in(cache) == []


def test_corrupted_html_page_is_rejected(server, cache):
    url = server.serve("/portal/ecg.csv", b"<html>\n<body>Please log in</body>\n</html>\n")
    with pytest.raises(DataNotFoundError, match="not usable") as info:
        resolve_data_path(cache_dir=cache, url=url)
    assert "data.path=" in str(info.value)
    assert files_in(cache) == []


def test_truncated_download_is_rejected(server, cache):
    url = server.serve("/trunc/ecg.csv", GOOD_TF, Content_Length=str(len(GOOD_TF) + 500))
    with pytest.raises(DataNotFoundError, match=r"stopped after \d+ of \d+ bytes"):
        download(url, cache / "ecg.csv", validate=sources._check_tensorflow)
    assert files_in(cache) == []


def test_ragged_truncated_download_without_length_is_rejected(server, cache):
    url = server.serve("/ragged/ecg.csv", GOOD_TF + b"0.1,0.2")
    with pytest.raises(DataNotFoundError, match="line 4"):
        resolve_data_path(cache_dir=cache, url=url)
    assert files_in(cache) == []


def test_bad_download_keeps_existing_destination(server, cache):
    cache.mkdir()
    (cache / "ecg.csv").write_bytes(GOOD_TF)
    url = server.serve("/bad2/ecg.csv", b"x\n1,2,5\n")
    with pytest.raises(DataFormatError):
        download(url, cache / "ecg.csv", validate=sources._check_tensorflow)
    assert (cache / "ecg.csv").read_bytes() == GOOD_TF
    assert files_in(cache) == ["ecg.csv"]


def test_interrupted_download_leaves_no_partial_file(server, cache):
    url = server.serve("/int/ecg.csv", GOOD_TF)

    def interrupt(path: Path) -> None:
        assert path.read_bytes() == GOOD_TF
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download(url, cache / "ecg.csv", validate=interrupt)
    assert files_in(cache) == []


def test_http_error(server, cache):
    with pytest.raises(DataNotFoundError, match="HTTP 404"):
        download(server.base + "/missing.csv", cache / "ecg.csv")
    assert files_in(cache) == []


def test_timeout(cache):
    with socket.socket() as sock:  # accepts connections (backlog) but never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/ecg.csv"
        start = time.perf_counter()
        with pytest.raises(DataNotFoundError, match=r"no answer within 0.5 s") as info:
            resolve_data_path(cache_dir=cache, url=url, timeout=0.5)
        assert time.perf_counter() - start < 3
    assert url in str(info.value)
    assert files_in(cache) == []


def test_no_internet_message(cache):
    url = closed_port_url()
    with pytest.raises(DataNotFoundError) as info:
        resolve_data_path(cache_dir=cache, url=url, timeout=2)
    msg = str(info.value)
    for part in (url, "data.path=/path/to/ecg.csv", f"export {ENV_VAR}=", str(cache / "ecg.csv")):
        assert part in msg, f"{part!r} not in {msg!r}"
    assert files_in(cache) == []


def test_download_disabled_message(cache):
    with pytest.raises(DataNotFoundError) as info:
        resolve_data_path(source="ucr", cache_dir=cache, download=False)
    msg = str(info.value)
    for part in ("turned off", sources.UCR_ECG5000_URL, "data.path=/path/to/ECG5000_TRAIN.txt"):
        assert part in msg
    assert ENV_VAR in msg and str(cache / "ECG5000_TRAIN.txt") in msg


# --- where the file comes from ----------------------------------------------------------------


def test_explicit_path_wins(tmp_path, monkeypatch, cache):
    mine = tmp_path / "mine.csv"
    mine.write_bytes(GOOD_TF)
    other = tmp_path / "other.csv"
    other.write_bytes(GOOD_TF)
    monkeypatch.setenv(ENV_VAR, str(other))
    assert resolve_data_path(mine, cache_dir=cache, download=False) == mine


def test_explicit_path_tilde_and_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "ecg.csv").write_bytes(GOOD_TF)
    assert resolve_data_path("~/ecg.csv", download=False) == tmp_path / "ecg.csv"
    assert resolve_data_path("~", download=False) == tmp_path / "ecg.csv"


def test_explicit_missing_path(tmp_path, cache):
    missing = tmp_path / "nowhere" / "ecg.csv"
    with pytest.raises(DataNotFoundError, match="not found") as info:
        resolve_data_path(missing, cache_dir=cache)
    assert str(missing) in str(info.value)


def test_folder_without_the_file(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"without ECG5000_TRAIN\.txt"):
        resolve_data_path(tmp_path, source="ucr", download=False)


def test_env_var_beats_cache(tmp_path, monkeypatch, cache):
    cache.mkdir()
    (cache / "ecg.csv").write_bytes(GOOD_TF)
    env_file = tmp_path / "env.csv"
    env_file.write_bytes(GOOD_TF)
    monkeypatch.setenv(ENV_VAR, str(env_file))
    assert resolve_data_path(cache_dir=cache, download=False) == env_file
    monkeypatch.setenv(ENV_VAR, "")
    assert resolve_data_path(cache_dir=cache, download=False) == cache.absolute() / "ecg.csv"


def test_env_var_missing_file(tmp_path, monkeypatch, cache):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "gone.csv"))
    with pytest.raises(DataNotFoundError) as info:
        resolve_data_path(cache_dir=cache)
    assert ENV_VAR in str(info.value) and "gone.csv" in str(info.value)


def test_default_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "ecg_anomaly"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "ecg_anomaly"
    monkeypatch.setenv(sources.CACHE_ENV_VAR, str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"


def test_default_cache_dir_used(server, tmp_path, monkeypatch):
    monkeypatch.setenv(sources.CACHE_ENV_VAR, str(tmp_path / "c"))
    url = server.serve("/default/ecg.csv", GOOD_TF)
    assert resolve_data_path(url=url) == tmp_path / "c" / "ecg.csv"


def test_unknown_source():
    with pytest.raises(ValueError, match="tensorflow"):
        resolve_data_path(source="kaggle")


# --- pinned digests -------------------------------------------------------------------------

#: The tutorial's ecg.csv ($ECG_ANOMALY_DATA or the shared copy), the archive's TRAIN beside it
TUTORIAL_CSV = real_ecg5000()[0]
SHARED_DATA = TUTORIAL_CSV.parent
needs_shared = pytest.mark.skipif(
    not (SHARED_DATA / "ECG5000_TRAIN.txt").is_file(), reason="the shared ECG5000 copy is absent"
)


def file_url(path: Path, body: bytes) -> str:
    path.write_bytes(body)
    return path.as_uri()


@needs_shared
def test_real_pins_are_the_shared_files():
    """The pins are the shared copies' digests; TEST's values are rows 500- of ecg.csv."""
    ecg, train = TUTORIAL_CSV, SHARED_DATA / "ECG5000_TRAIN.txt"
    assert file_sha256(ecg) == REAL_PINS["ecg.csv"].sha256
    assert file_sha256(train) == REAL_PINS["ECG5000_TRAIN.txt"].sha256
    tutorial = read_beats(ecg, layout="tensorflow")
    assert values_sha256(tutorial.x, tutorial.y) == REAL_PINS["ecg.csv"].values_sha256
    for name, rows in (
        ("ECG5000_TRAIN.txt", slice(0, 500)),
        ("ECG5000_TEST.txt", slice(500, None)),
    ):
        pin = REAL_PINS[name]
        assert values_sha256(tutorial.x[rows], tutorial.y[rows]) == pin.values_sha256
        assert len(tutorial.x[rows]) == pin.values_rows
    assert REAL_PINS["ECG5000_TEST.txt"].sha256 is None  # not known without internet


def test_corrupted_download_is_refused_and_not_saved(tmp_path, cache):
    corrupted = GOOD_TF.replace(b"0.5", b"0.6")  # still three beats of three values
    url = file_url(tmp_path / "served.csv", corrupted)
    with pytest.raises(DataNotFoundError) as info:
        resolve_data_path(cache_dir=cache, url=url)
    msg, digest = str(info.value), hashlib.sha256(corrupted).hexdigest()
    for part in ("not the published ecg.csv", f"its sha256 is {digest}",
                 "values of its first 3 beats differ", "Try again", url, "data.path="):  # fmt: skip
        assert part in msg, f"{part!r} not in {msg!r}"
    assert files_in(cache) == []
    # the published bytes from the same place are accepted
    url = file_url(tmp_path / "served.csv", GOOD_TF)
    assert resolve_data_path(cache_dir=cache, url=url).read_bytes() == GOOD_TF


def test_truncated_cache_file_is_refused_until_deleted(tmp_path, cache):
    cache.mkdir()
    cached = cache / "ecg.csv"
    cached.write_bytes(GOOD_TF.split(b"\n", 2)[0] + b"\n")  # one beat of three: still parses
    with pytest.raises(DataFormatError) as info:
        resolve_data_path(cache_dir=cache, download=False)
    msg = str(info.value)
    for part in ("cached data file is not used", "holds 1 beats, not 3", f"rm -f '{cached}'",
                 "data.path=/path/to/ecg.csv"):  # fmt: skip
        assert part in msg, f"{part!r} not in {msg!r}"
    assert cached.is_file()  # nothing is deleted behind the user's back
    cached.unlink()
    url = file_url(tmp_path / "served.csv", GOOD_TF)
    assert resolve_data_path(cache_dir=cache, url=url) == cached.absolute()
    assert resolve_data_path(cache_dir=cache, download=False) == cached.absolute()
    cached.write_bytes(GOOD_TF + b"0.1,0.1,0.1,1.0\n")  # a file that changes is checked again
    with pytest.raises(DataFormatError, match="holds 4 beats, not 3"):
        resolve_data_path(cache_dir=cache, download=False)


def test_same_values_in_other_bytes_are_refused_and_said(cache):
    cache.mkdir()
    (cache / "ecg.csv").write_bytes(GOOD_TF.replace(b"\n", b"\r\n"))
    with pytest.raises(DataFormatError, match="its values are the published ones"):
        resolve_data_path(cache_dir=cache, download=False)


@needs_shared
def test_real_pin_refuses_a_truncated_tutorial_file(monkeypatch, cache):
    monkeypatch.setattr(pins, "PINS", REAL_PINS)
    cache.mkdir()
    lines = TUTORIAL_CSV.read_bytes().splitlines(keepends=True)
    (cache / "ecg.csv").write_bytes(b"".join(lines[:4000]))
    with pytest.raises(DataFormatError, match="holds 4,000 beats, not 4,998"):
        resolve_data_path(cache_dir=cache, download=False)


@needs_shared
def test_given_files_are_not_checked_against_the_pins(tmp_path, monkeypatch, cache):
    """A user's file loads whatever its digest: e.g. the 5,000-row layout (two more beats)."""
    monkeypatch.setattr(pins, "PINS", REAL_PINS)
    lines = TUTORIAL_CSV.read_bytes().splitlines(keepends=True)
    mine = tmp_path / "ecg5000_rows.csv"
    mine.write_bytes(b"".join([*lines, lines[-1], lines[-2]]))
    assert resolve_data_path(mine, cache_dir=cache, download=False) == mine
    monkeypatch.setenv(ENV_VAR, str(mine))
    assert resolve_data_path(cache_dir=cache, download=False) == mine
    assert len(read_beats(mine).x) == 5000


def test_ucr_test_file_is_checked_by_its_pinned_values(tmp_path, cache):
    second_changed = GOOD_UCR.replace(b"4.0e-01", b"4.5e-01")  # beyond the pinned first beat
    first_changed = GOOD_UCR.replace(b"2.0e-01", b"2.5e-01")
    one_beat = GOOD_UCR.split(b"\n")[0] + b"\n"
    for test_file, problem in ((first_changed, "values of its first 1 beats differ"),
                               (one_beat, "holds 1 beats, not 2")):  # fmt: skip
        body = ucr_zip({"ECG5000_TRAIN.txt": GOOD_UCR, "ECG5000_TEST.txt": test_file})
        with pytest.raises(DataNotFoundError, match=problem):
            resolve_data_path(source="ucr", cache_dir=cache, url=file_url(tmp_path / "a.zip", body))
        assert files_in(cache) == []  # TRAIN is extracted last: never without its TEST
    body = ucr_zip({"ECG5000_TRAIN.txt": GOOD_UCR, "ECG5000_TEST.txt": second_changed})
    url = file_url(tmp_path / "a.zip", body)
    assert resolve_data_path(source="ucr", cache_dir=cache, url=url).name == "ECG5000_TRAIN.txt"
    # a damaged TEST in the cache: both files must go, so that both are downloaded again
    (cache / "ECG5000_TEST.txt").write_bytes(one_beat)
    with pytest.raises(DataFormatError) as info:
        resolve_data_path(source="ucr", cache_dir=cache, download=False)
    train, test = cache.absolute() / "ECG5000_TRAIN.txt", cache.absolute() / "ECG5000_TEST.txt"
    assert f"rm -f '{test}' '{train}'" in str(info.value)


def test_check_pinned_ignores_files_without_a_pin(tmp_path):
    path = tmp_path / "other.csv"
    path.write_bytes(b"not even numbers\n")
    check_pinned(path, "other.csv")
