"""The optional packages of the logger presets, checked before a run with a clear message."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ecg_anomaly.errors import ConfigError
from ecg_anomaly.utils.extras import check_callback_packages, check_logger_packages

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def without(monkeypatch):
    """Make ``find_spec`` report the given top-level modules as not installed."""
    real = importlib.util.find_spec

    def _without(*modules: str) -> None:
        def find_spec(name, *args, **kwargs):
            return None if name.split(".")[0] in modules else real(name, *args, **kwargs)

        monkeypatch.setattr(importlib.util, "find_spec", find_spec)

    return _without


@pytest.mark.parametrize("preset", ["csv", "none", "tensorboard", "many"])
def test_presets_pass_where_their_packages_are_installed(make_cfg, preset):
    pytest.importorskip("tensorboard")
    check_logger_packages(make_cfg(f"logger={preset}").logger)


def test_missing_tensorboard_names_the_logger_the_extra_and_a_way_out(make_cfg, without):
    without("tensorboard", "tensorboardX")
    with pytest.raises(ConfigError) as err:
        check_logger_packages(make_cfg("logger=many").logger)
    msg = str(err.value)
    assert "logger.tensorboard (lightning.pytorch.loggers.TensorBoardLogger)" in msg
    assert "needs the package 'tensorboard'" in msg
    # ecg-anomaly is installed from its checkout: the extra is named with the checkout's folder
    assert f'pip install -e "{ROOT}[tensorboard]" (or pip install tensorboard)' in msg
    assert "logger=csv" in msg
    assert "logger.csv" not in msg  # the CSV logger needs nothing


def test_tensorboardx_alone_is_enough(make_cfg, monkeypatch):
    # Lightning's TensorBoardLogger falls back to tensorboardX
    found = {"tensorboard": None, "tensorboardX": importlib.util.find_spec("json")}
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a, **k: found.get(name))
    check_logger_packages(make_cfg("logger=tensorboard").logger)
    found["tensorboardX"] = None
    with pytest.raises(ConfigError):
        check_logger_packages(make_cfg("logger=tensorboard").logger)


@pytest.mark.parametrize(("preset", "package"), [("wandb", "wandb"), ("mlflow", "mlflow")])
def test_missing_wandb_or_mlflow_is_a_config_error(make_cfg, without, preset, package):
    without(package)
    with pytest.raises(ConfigError, match=rf'\[{package}\]" \(or pip install {package}\)'):
        check_logger_packages(make_cfg(f"logger={preset}").logger)


def test_csv_and_none_need_nothing(make_cfg, without):
    without("tensorboard", "tensorboardX", "wandb", "mlflow")
    check_logger_packages(make_cfg("logger=csv").logger)
    check_logger_packages(make_cfg("logger=none").logger)
    check_logger_packages(None)


def test_every_missing_logger_is_named_once(without):
    without("wandb", "comet_ml")
    group = {
        "w": {"_target_": "pytorch_lightning.loggers.WandbLogger"},
        "c": {"_target_": "lightning.pytorch.loggers.CometLogger"},
        "off": None,
    }
    with pytest.raises(ConfigError) as err:
        check_logger_packages(group)
    msg = str(err.value)
    assert msg.count("needs the package") == 2
    assert "logger.w (pytorch_lightning.loggers.WandbLogger)" in msg
    assert "pip install comet-ml" in msg and "ecg-anomaly[comet" not in msg


def test_a_broken_package_counts_as_missing(monkeypatch):
    def find_spec(name, *args, **kwargs):
        raise ValueError(f"{name}.__spec__ is None")

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ConfigError, match="'mlflow'"):
        check_logger_packages({"m": {"_target_": "lightning.pytorch.loggers.MLFlowLogger"}})


def test_rich_progress_bar_without_rich(without):
    without("rich")
    callbacks = {
        "checkpoint": {"_target_": "ecg_anomaly.callbacks.ResumeCheckpoint"},
        "progress_bar": {"_target_": "lightning.pytorch.callbacks.RichProgressBar"},
    }
    with pytest.raises(ConfigError) as err:
        check_callback_packages(callbacks)
    assert str(err.value).startswith("callbacks.progress_bar (lightning.pytorch.callbacks.Rich")
    assert f'pip install -e "{ROOT}[rich]"' in str(err.value)
