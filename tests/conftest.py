"""Shared fixtures: synthetic ECG-like data, the real ECG5000 copy, and composed configs."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from ecg_anomaly.utils.config import config_dir

# Tests compose the repository's configs only: a developer's own config folder (read by the
# search-path plugin in hydra_plugins/) must not change what they compose.
os.environ.pop("ECG_ANOMALY_CONFIG_DIR", None)

#: The project's shared copy of ECG5000, beside the checkout.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ecg5000"


def real_ecg5000() -> tuple[Path, str]:
    """Where the real ``ecg.csv`` should be, and where that answer came from.

    ``$ECG_ANOMALY_DATA`` (a file, or a folder holding ``ecg.csv``, as the data module reads
    it) when set, else the shared copy beside the checkout.
    """
    env = os.environ.get("ECG_ANOMALY_DATA")
    if env:
        path = Path(env).expanduser()
        return (path / "ecg.csv" if path.is_dir() else path), f"$ECG_ANOMALY_DATA={env}"
    return SHARED_DATA / "ecg.csv", "the shared copy beside the checkout"


def synthetic_beats(
    n_normal: int, n_abnormal: int, seq_len: int = 140, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """ECG-like beats: a P wave, a QRS spike and a T wave; abnormal beats change their shape.

    Returns:
        ``(x, y)`` with ``y`` 0 = normal, 1 = abnormal (the package's convention).
    """
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, seq_len)

    def bump(centre: np.ndarray, width: float, height: np.ndarray) -> np.ndarray:
        return height[:, None] * np.exp(-((t[None, :] - centre[:, None]) ** 2) / (2 * width**2))

    def beats(n: int, abnormal: bool) -> np.ndarray:
        jitter = rng.normal(0.0, 0.01, n)
        qrs = 3.0 if not abnormal else rng.uniform(1.0, 2.0, n)
        t_wave = 0.8 if not abnormal else -rng.uniform(0.5, 1.2, n)
        x = (
            bump(0.2 + jitter, 0.03, np.full(n, 0.4))
            + bump(0.4 + jitter, 0.012 if not abnormal else 0.04, np.broadcast_to(qrs, n))
            + bump(0.7 + jitter, 0.06, np.broadcast_to(t_wave, n))
            - 1.0
        )
        return x + rng.normal(0.0, 0.05, x.shape)

    x = np.concatenate([beats(n_normal, False), beats(n_abnormal, True)]).astype(np.float32)
    y = np.concatenate([np.zeros(n_normal, np.int64), np.ones(n_abnormal, np.int64)])
    order = rng.permutation(len(y))
    return x[order], y[order]


def write_tf_csv(path: Path, x: np.ndarray, y: np.ndarray) -> Path:
    """Write beats in the TensorFlow tutorial's layout (values, then 1.0 normal / 0.0 abnormal)."""
    tf_label = (y == 0).astype(np.float64)
    np.savetxt(path, np.column_stack([x, tf_label]), delimiter=",", fmt="%.6f")
    return path


@pytest.fixture(scope="session")
def synthetic_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The beats of :func:`synthetic_csv` as arrays: 400 beats of 140 samples, 0/1 labels."""
    return synthetic_beats(240, 160)


@pytest.fixture(scope="session")
def synthetic_csv(tmp_path_factory: pytest.TempPathFactory, synthetic_arrays) -> Path:
    """A small ECG5000-like file (400 beats of 140 samples) in the tutorial's layout."""
    x, y = synthetic_arrays
    return write_tf_csv(tmp_path_factory.mktemp("data") / "synthetic_ecg.csv", x, y)


@pytest.fixture(scope="session")
def ecg5000_csv() -> Path:
    """The real ECG5000 ``ecg.csv`` (tests using it are skipped where it is missing).

    Set ``ECG_ANOMALY_DATA`` to use a copy elsewhere: ``pytest -m ecg5000`` then runs them.
    """
    path, origin = real_ecg5000()
    if not path.is_file():
        pytest.skip(f"ECG5000 not found at {path} ({origin})")
    return path


@pytest.fixture(scope="session")
def ecg5000_ucr_train(ecg5000_csv: Path) -> Path:
    """The UCR archive's ``ECG5000_TRAIN.txt`` beside ``ecg.csv`` (skipped where missing)."""
    path = ecg5000_csv.parent / "ECG5000_TRAIN.txt"
    if not path.is_file():
        pytest.skip(f"ECG5000_TRAIN.txt not found beside {ecg5000_csv}")
    return path


@pytest.fixture
def make_cfg(tmp_path: Path, synthetic_csv: Path) -> Callable[..., DictConfig]:
    """Compose a config as ``ecg-anomaly-train`` would, on synthetic data in a temp folder.

    Call it with overrides (``make_cfg("experiment=tf_tutorial_dense_ae")``); it adds the data
    path, CPU, few epochs, no report and the temp output folder unless the overrides set them.
    """

    def _make(*overrides: str, config_name: str = "train") -> DictConfig:
        defaults = {
            "data.path": str(synthetic_csv),
            "data.download": "false",
            "trainer.max_epochs": "2",
            "trainer.accelerator": "cpu",
            "trainer.enable_progress_bar": "false",
            "callbacks.progress_bar": "null",
            "paths.output_dir": str(tmp_path),
            "report": "false",  # the plots cost seconds: on only where a test looks at them
        }
        given = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
        if "data" in given:  # another data source: the ECG5000 file's keys do not apply
            given |= {"data.path", "data.download"}
        extra = [f"{k}={v}" for k, v in defaults.items() if k not in given]
        GlobalHydra.instance().clear()
        with initialize_config_dir(version_base="1.3", config_dir=config_dir()):
            cfg = compose(config_name, overrides=[*overrides, *extra], return_hydra_config=True)
        HydraConfig().set_config(cfg)
        return cfg

    yield _make
    GlobalHydra.instance().clear()


def run_entry_point(main: Callable[[], object], *argv: str) -> int:
    """Run a console entry point's ``main()`` in this process, as ``ecg-anomaly-x argv...``.

    Returns:
        The exit code (0 when ``main`` returns).
    """
    saved = sys.argv
    sys.argv = ["ecg-anomaly", *argv]
    try:
        main()
    except SystemExit as exit_:
        return int(exit_.code or 0)
    finally:
        sys.argv = saved
        GlobalHydra.instance().clear()
    return 0


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, synthetic_csv: Path) -> tuple[Path, dict]:
    """One tiny training run shared by the tests that need a checkpoint (2 epochs, no report).

    The tutorial's setting: no validation split (train 320 synthetic beats, test 80).

    Returns:
        ``(run folder, results)``; the checkpoint is ``<run>/checkpoints/model.ckpt``.
    """
    from ecg_anomaly.train import train

    run = tmp_path_factory.mktemp("trained_run")
    cfg = compose_train(
        run, f"data.path={synthetic_csv}", "data.download=false", "data.val_size=0",
        "trainer.max_epochs=2", "report=false",
    )  # fmt: skip
    return run, train(cfg)


def compose_train(out_dir: Path, *overrides: str, config_name: str = "train") -> DictConfig:
    """Compose a config as the entry point would, writing into ``out_dir`` (any scope)."""
    defaults = {"paths.output_dir": str(out_dir)}
    if config_name == "train":
        defaults |= {"trainer.enable_progress_bar": "false", "callbacks.progress_bar": "null"}
    given = {o.split("=", 1)[0].lstrip("+~") for o in overrides}
    extra = [f"{k}={v}" for k, v in defaults.items() if k not in given]
    GlobalHydra.instance().clear()
    with initialize_config_dir(version_base="1.3", config_dir=config_dir()):
        cfg = compose(config_name, overrides=[*overrides, *extra], return_hydra_config=True)
    HydraConfig().set_config(cfg)
    GlobalHydra.instance().clear()
    return cfg
