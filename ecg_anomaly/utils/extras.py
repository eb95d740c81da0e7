"""Optional packages behind the logger and progress-bar presets, checked before a run starts.

``logger=tensorboard``, ``logger=wandb`` and ``logger=mlflow`` use Lightning's own loggers,
whose packages are optional extras of ecg-anomaly. Without this check a missing one surfaces
as Hydra's instantiation traceback after the data is loaded; with it the run stops at once
with the extra to install.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecg_anomaly.errors import ConfigError


@dataclass(frozen=True)
class Requirement:
    """The packages a class needs (any one of ``modules`` will do) and how to install them.

    Attributes:
        modules: Importable top-level module names; the first is the one to install.
        pip_name: The distribution to name in ``pip install``.
        extra: The ecg-anomaly extra that installs it, or None where there is none.
    """

    modules: tuple[str, ...]
    pip_name: str
    extra: str | None = None


#: Requirements by class name, so both ``lightning.pytorch`` and ``pytorch_lightning`` paths
#: (and the ``...loggers.tensorboard.TensorBoardLogger`` spelling) are recognised.
REQUIREMENTS: dict[str, Requirement] = {
    # Lightning falls back to tensorboardX when tensorboard itself is missing.
    "TensorBoardLogger": Requirement(("tensorboard", "tensorboardX"), "tensorboard", "tensorboard"),
    "WandbLogger": Requirement(("wandb",), "wandb", "wandb"),
    "MLFlowLogger": Requirement(("mlflow",), "mlflow", "mlflow"),
    "CometLogger": Requirement(("comet_ml",), "comet-ml"),
    "NeptuneLogger": Requirement(("neptune",), "neptune"),
    "RichProgressBar": Requirement(("rich",), "rich", "rich"),
    "RichModelSummary": Requirement(("rich",), "rich", "rich"),
}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken or half-imported package counts as missing
        return False


def install_command(extra: str | None, package: str) -> str:
    """How to install an optional package: the extra from this checkout, or the package itself.

    ecg-anomaly is installed from a checkout (``pip install -e .``), not from PyPI, so an extra
    is named with the checkout's folder: ``pip install -e "/path/to/ecg-anomaly[umap]"``.
    """
    plain = f"pip install {package}"
    checkout = _checkout()
    if extra is None or checkout is None:
        return plain
    return f'pip install -e "{checkout}[{extra}]" (or {plain})'


def _checkout() -> Path | None:
    """The source checkout this package runs from (an editable install), or None."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


def missing_packages(group: Mapping[str, Any] | None, group_name: str) -> list[str]:
    """One line per entry of a config group whose optional package is not installed.

    Args:
        group: A config group of ``name: {_target_: ...}`` entries (``cfg.logger``,
            ``cfg.callbacks``); None or empty for none. Entries set to null are skipped.
        group_name: The group's key in the config, used to name the entry (``logger``).

    Returns:
        Messages such as ``logger.tensorboard (lightning.pytorch.loggers.TensorBoardLogger)
        needs the package 'tensorboard': pip install -e "<checkout>[tensorboard]" ...``; empty
        when everything is installed.
    """
    problems = []
    for key, node in (group or {}).items():
        if not isinstance(node, Mapping) or "_target_" not in node:
            continue
        target = str(node["_target_"])
        need = REQUIREMENTS.get(target.rsplit(".", 1)[-1])
        if need is None or any(_installed(m) for m in need.modules):
            continue
        install = install_command(need.extra, need.pip_name)
        problems.append(
            f"{group_name}.{key} ({target}) needs the package {need.pip_name!r}, "
            f"which is not installed: {install}"
        )
    return problems


def check_logger_packages(cfg_logger: Mapping[str, Any] | None) -> None:
    """Stop before the run when a chosen logger's package is missing.

    Call it before instantiating ``cfg.logger``.

    Args:
        cfg_logger: The ``logger`` node of the composed config (None for ``logger=none``).

    Raises:
        ConfigError: Some logger needs a package that is not installed; the message names the
            logger, the package and the extra to install, or ``logger=csv`` to do without.
    """
    problems = missing_packages(cfg_logger, "logger")
    if problems:
        msg = "; ".join(problems) + "; or choose a logger that needs nothing more: logger=csv"
        raise ConfigError(msg)


def check_callback_packages(cfg_callbacks: Mapping[str, Any] | None) -> None:
    """Stop before the run when a chosen callback (the rich progress bar) lacks its package.

    Args:
        cfg_callbacks: The ``callbacks`` node of the composed config.

    Raises:
        ConfigError: A callback needs a package that is not installed; the message says which
            and how to install it.
    """
    problems = missing_packages(cfg_callbacks, "callbacks")
    if problems:
        raise ConfigError("; ".join(problems))
