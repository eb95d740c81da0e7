"""Add the folders in ``$ECG_ANOMALY_CONFIG_DIR`` to the config search path of ecg-anomaly.

A researcher's own experiments (``<folder>/experiment/my_exp.yaml``, used as
``experiment=my_exp``), machine settings (``<folder>/local/default.yaml``) and any other group
file are then found by an installed ecg-anomaly from any working folder, without ``-cd``.

Hydra finds this plugin because it lives in the ``hydra_plugins`` namespace package. It runs for
every Hydra application in the environment, so it acts only when the application's primary
config folder is ecg-anomaly's. The folders are searched after the packaged configs, as Hydra's
own ``--config-dir`` and ``hydra.searchpath`` are: they add files, and a file with the name of
a packaged one is ignored (a one-line warning says so).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hydra.core.config_search_path import ConfigSearchPath, SearchPathQuery
from hydra.plugins.search_path_plugin import SearchPathPlugin

ENV_VAR = "ECG_ANOMALY_CONFIG_DIR"
PROVIDER = f"ecg-anomaly (${ENV_VAR})"


def user_config_dirs(value: str | None = None) -> list[Path]:
    """The folders named by ``$ECG_ANOMALY_CONFIG_DIR`` (``os.pathsep``-separated), in order.

    Args:
        value: The variable's value; None reads the environment.

    Returns:
        Absolute paths, ``~`` expanded; empty when the variable is unset or empty.
    """
    value = os.environ.get(ENV_VAR, "") if value is None else value
    return [Path(p).expanduser().absolute() for p in value.split(os.pathsep) if p.strip()]


def _path_of(element_path: str) -> Path | None:
    if element_path.startswith("pkg://"):
        return None
    return Path(element_path.removeprefix("file://")).expanduser().resolve()


def _packaged_configs() -> Path:
    """ecg-anomaly's own config folder: ``ecg_anomaly/conf`` in a wheel, else ``conf/``.

    Found without importing ecg-anomaly, which imports this plugin to register it (the same
    answer as ``ecg_anomaly.utils.config.config_dir``).
    """
    import importlib.util

    spec = importlib.util.find_spec("ecg_anomaly")
    package = Path(next(iter(spec.submodule_search_locations))).resolve()
    packaged = package / "conf"
    return packaged if packaged.is_dir() else package.parent / "conf"


def _is_ecg_anomaly(search_path: ConfigSearchPath) -> bool:
    """Whether the primary config folder of this application is ecg-anomaly's."""
    ours = _packaged_configs()
    return any(sp.provider == "main" and _path_of(sp.path) == ours for sp in search_path.get_path())


def _note(message: str) -> None:
    sys.stderr.write(f"ecg-anomaly: {message}\n")


class EcgAnomalySearchPathPlugin(SearchPathPlugin):
    """Searches ``$ECG_ANOMALY_CONFIG_DIR`` right after ecg-anomaly's own configs."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        folders = user_config_dirs()
        if not folders or not _is_ecg_anomaly(search_path):
            return
        packaged = _packaged_configs()
        anchor = SearchPathQuery(provider="main")
        # each insertion goes right after main: insert in reverse so the first listed wins
        for folder in reversed(folders):
            if not folder.is_dir():
                _note(f"${ENV_VAR} names {folder}, which is not a folder; it is not searched")
                continue
            for shadowed in sorted(folder.rglob("*.yaml")):
                rel = shadowed.relative_to(folder)
                if (packaged / rel).is_file():
                    _note(
                        f"{shadowed} has the name of a packaged config and is ignored; "
                        f"rename it (e.g. {rel.parent / ('my_' + rel.name)})"
                    )
            search_path.append(provider=PROVIDER, path=f"file://{folder}", anchor=anchor)
