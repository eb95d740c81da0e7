"""Where the Hydra configs are, and instantiating config groups into objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig


class ConfigError(ValueError):
    """A setting that cannot work (the message names it and the fix); reported without traceback."""


def config_dir() -> str:
    """Absolute path of the Hydra config folder.

    An installed wheel carries the configs as ``ecg_anomaly/conf``; a source checkout (and an
    editable install) reads the top-level ``conf/``.
    """
    here = Path(__file__).resolve().parents[1]
    packaged = here / "conf"
    return str(packaged if packaged.is_dir() else here.parent / "conf")


def instantiate_group(group: DictConfig | None) -> list[Any]:
    """Instantiate every entry of a config group that has a ``_target_`` (callbacks, loggers).

    Entries set to ``null`` are skipped, so ``callbacks.plots=null`` switches one off.
    """
    if not group:
        return []
    return [instantiate(node) for node in group.values() if node and "_target_" in node]
