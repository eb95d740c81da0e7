"""The wheel carries the Hydra configs and the search-path plugin: an installed ecg-anomaly runs
from any folder and finds a user's own experiments through ``$ECG_ANOMALY_CONFIG_DIR``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
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


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed as a user would (not editable).

    Its dependencies are this environment's, reached through a ``.pth`` file, so the test needs
    no network and takes seconds; ecg_anomaly itself comes only from the wheel.
    """
    env_dir = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    subprocess.run(
        [*pip, "install", "--no-deps", "--ignore-installed", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # after the install, which must not see (nor touch) this environment's ecg-anomaly
    Path(site, "deps-from-test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir


def run_installed(venv: Path, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """A console script of the installed package, with no path to this checkout."""
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    clean.pop("ECG_ANOMALY_CONFIG_DIR", None)
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        cwd=cwd,
        env={**clean, "OMP_NUM_THREADS": "1", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_wheel_contains_every_config_and_the_search_path_plugin(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        n.removeprefix("ecg_anomaly/conf/") for n in names if n.startswith("ecg_anomaly/conf/")
    }
    expected = {str(p.relative_to(ROOT / "conf")) for p in (ROOT / "conf").rglob("*.yaml")}
    expected = {p for p in expected if not p.startswith("local/")}
    assert expected <= shipped
    # a developer's git-ignored settings never travel in the wheel
    assert not {p for p in shipped if p.startswith("local/")}
    assert "hydra_plugins/ecg_anomaly_searchpath/ecg_anomaly_searchpath.py" in names
    assert "hydra_plugins/__init__.py" not in names  # a namespace package shared with Hydra's


@pytest.mark.slow
def test_installed_package_composes_the_config_from_another_folder(venv, tmp_path):
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import ecg_anomaly; print(ecg_anomaly.__file__)"],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(venv)), where
    proc = run_installed(
        venv, "ecg-anomaly-train", "experiment=tf_tutorial_dense_ae", "--cfg", "job", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "name: tf_tutorial_dense_ae" in proc.stdout
    assert "ecg_anomaly.models.DenseAutoencoder" in proc.stdout


@pytest.mark.slow
def test_installed_package_runs_a_user_experiment_from_the_user_config_dir(
    venv, synthetic_csv, tmp_path
):
    user = tmp_path / "my-configs"
    (user / "experiment").mkdir(parents=True)
    (user / "local").mkdir()
    (user / "experiment" / "my_exp.yaml").write_text(
        textwrap.dedent(
            """\
            # @package _global_
            defaults:
              - override /model: small_dense_ae
            name: my_user_experiment
            seed: 7
            """
        )
    )
    (user / "local" / "default.yaml").write_text("# @package _global_\ndata:\n  batch_size: 64\n")
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    run = tmp_path / "run"
    proc = run_installed(
        venv,
        "ecg-anomaly-train",
        "experiment=my_exp",
        f"data.path={synthetic_csv}",
        "data.download=false",
        "trainer.max_epochs=1",
        "trainer.enable_progress_bar=false",
        "callbacks.progress_bar=null",
        "report=false",
        f"hydra.run.dir={run}",
        cwd=workdir,
        ECG_ANOMALY_CONFIG_DIR=str(user),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["experiment"] == "my_user_experiment"
    assert metrics["model"] == "SmallDenseAutoencoder"
    assert metrics["seed"] == 7
    assert "batch_size: 64" in (run / ".hydra" / "config.yaml").read_text()  # local/default.yaml
    assert sorted(p.name for p in workdir.iterdir()) == []  # nothing written where it ran

    # without the variable the experiment is unknown, and Hydra says so
    proc = run_installed(venv, "ecg-anomaly-train", "experiment=my_exp", "--cfg=job", cwd=workdir)
    assert proc.returncode != 0
    assert "Could not find 'experiment/my_exp'" in proc.stderr
