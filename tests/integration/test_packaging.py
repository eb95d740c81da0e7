"""The wheel carries the Hydra configs, so a non-editable install runs from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("ecg_anomaly-*.whl"))


def test_wheel_contains_every_config(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        n.removeprefix("ecg_anomaly/conf/") for n in names if n.startswith("ecg_anomaly/conf/")
    }
    expected = {str(p.relative_to(ROOT / "conf")) for p in (ROOT / "conf").rglob("*.yaml")}
    expected = {p for p in expected if not p.startswith("local/")}
    assert expected <= shipped


def test_installed_wheel_composes_the_config_from_another_folder(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ecg_anomaly.train",
            "experiment=tf_tutorial_dense_ae",
            "--cfg",
            "job",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "name: tf_tutorial_dense_ae" in proc.stdout
    assert "ecg_anomaly.models.DenseAutoencoder" in proc.stdout
