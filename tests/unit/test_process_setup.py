"""What every console entry point sets before torch is imported (ecg_anomaly.cli)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ecg_anomaly import cli

ROOT = Path(__file__).resolve().parents[2]


def test_the_wait_policy_is_set_unless_the_environment_names_one(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    cli.prepare_process()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    cli.prepare_process()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def _run(code: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("OMP_WAIT_POLICY", None)
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.slow
def test_every_entry_point_prepares_the_process_before_torch_is_imported():
    out = _run(
        """
        import importlib, os, sys
        from ecg_anomaly import cli
        prepare = cli.prepare_process
        seen = []
        def spy():
            seen.append("torch" in sys.modules)
            prepare()
        cli.prepare_process = spy
        for name in ("train", "eval", "predict", "detect", "export"):
            sys.argv = ["ecg-anomaly-" + name, "--help"]
            try:
                importlib.import_module("ecg_anomaly." + name).main()
            except SystemExit:
                pass
        print(seen, os.environ.get("OMP_WAIT_POLICY"))
        """
    )
    assert out.strip().splitlines()[-1] == "[False, False, False, False, False] PASSIVE"


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's allocator")
def test_freed_large_blocks_are_reused_without_new_page_faults():
    # A 64 MiB block freed and allocated again: glibc's default unmaps it and the next one
    # faults on every page again; with keep_freed_memory() the heap keeps it for the next.
    code = """
        import ctypes, resource, sys
        if sys.argv[-1] == "keep":
            from ecg_anomaly.cli import keep_freed_memory
            keep_freed_memory()
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc.restype = ctypes.c_void_p
        libc.free.argtypes = [ctypes.c_void_p]
        size = 64 << 20
        faults = []
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            block = libc.malloc(size)
            ctypes.memset(block, 1, size)
            libc.free(block)
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        print(faults[-1])
    """
    try:
        ctypes.CDLL("libc.so.6").gnu_get_libc_version  # noqa: B018
    except (OSError, AttributeError):
        pytest.skip("not glibc")
    pages = (64 << 20) // 4096
    default = int(_run(code.replace('sys.argv[-1] == "keep"', "False")).split()[-1])
    kept = int(_run(code.replace('sys.argv[-1] == "keep"', "True")).split()[-1])
    assert kept < pages // 100
    assert kept <= default  # 16,384 here (4 KiB pages; transparent huge pages would fault fewer)
