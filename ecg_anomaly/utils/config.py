"""Where the Hydra configs are, and instantiating config nodes with errors a user can act on."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from ecg_anomaly.errors import ConfigError, EcgAnomalyError

__all__ = ["config_dir", "instantiate_group", "instantiate_node"]

# The default run folder ends in the process id: two runs started in the same second (a seed
# loop with '&', array jobs) get folders of their own (conf/hydra/default.yaml).
OmegaConf.register_new_resolver(
    "ecg_anomaly_pid", lambda: str(os.getpid()), replace=True, use_cache=True
)


def register_search_path_plugin() -> None:
    """Register ecg-anomaly's Hydra plugins by hand (config search path, ``one_check`` sweeper).

    The search path adds the folders of ``$ECG_ANOMALY_CONFIG_DIR``; ``hydra/sweeper=one_check``
    is the sweeper of the records benchmark. Hydra finds plugins by scanning the
    ``hydra_plugins`` namespace package, which an editable install hides from that scan;
    registering them here works in every kind of install.
    """
    try:
        from hydra.core.plugins import Plugins

        from hydra_plugins.ecg_anomaly_searchpath.ecg_anomaly_searchpath import (
            EcgAnomalySearchPathPlugin,
        )
        from hydra_plugins.ecg_anomaly_sweeper.ecg_anomaly_sweeper import OneCheckSweeper
    except ImportError:  # the package's files incomplete: the plugin is then simply absent
        return
    Plugins.instance().register(EcgAnomalySearchPathPlugin)
    Plugins.instance().register(OneCheckSweeper)  # hydra/sweeper=one_check (records benchmark)


def config_dir() -> str:
    """Absolute path of the Hydra config folder.

    An installed wheel carries the configs as ``ecg_anomaly/conf``; a source checkout (and an
    editable install) reads the top-level ``conf/``.
    """
    here = Path(__file__).resolve().parents[1]
    packaged = here / "conf"
    return str(packaged if packaged.is_dir() else here.parent / "conf")


def instantiate_node(node: DictConfig, key: str, **kwargs: Any) -> Any:
    """Instantiate one config node; a bad value becomes a :class:`ConfigError` naming ``key``.

    Our own errors (raised by constructors that check their arguments) pass through unchanged;
    anything else raised while building the object (an unknown argument, a wrong type) is
    reported with the config key and the constructor's message instead of a traceback.

    Args:
        node: The config node (with ``_target_``).
        key: Its key as a user types it (``model``, ``callbacks.detection``).
        **kwargs: Extra arguments for the constructor.
    """
    try:
        return instantiate(node, **kwargs)
    except InstantiationException as err:
        cause = err.__cause__
        while isinstance(cause, InstantiationException) and cause.__cause__ is not None:
            cause = cause.__cause__
        if isinstance(cause, EcgAnomalyError):
            raise cause from None
        target = node.get("_target_", "?") if isinstance(node, DictConfig) else "?"
        detail = f"{type(cause).__name__}: {cause}" if cause is not None else str(err)
        msg = (
            f"the config {key} ({target}) cannot be built: {detail}. Check the keys and values "
            f"under {key} (ecg-anomaly-train --cfg job shows the composed config)."
        )
        raise ConfigError(msg) from None


def instantiate_group(group: DictConfig | None, key: str = "callbacks") -> list[Any]:
    """Instantiate every entry of a config group that has a ``_target_`` (callbacks, loggers).

    Entries set to ``null`` are skipped, so ``callbacks.checkpoint=null`` switches one off.
    """
    if not group:
        return []
    return [
        instantiate_node(node, f"{key}.{name}")
        for name, node in group.items()
        if node and "_target_" in node
    ]
