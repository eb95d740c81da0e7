"""Each recipe in conf/experiment/ states only what differs from the configs it builds on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from ecg_anomaly.utils.config import config_dir

EXPERIMENTS = sorted((Path(config_dir()) / "experiment").glob("*.yaml"))


def leaves(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted key, value)`` of every value that is not a non-empty mapping."""
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            yield from leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def lookup(tree: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return KeyError  # absent: whatever the recipe sets differs
        tree = tree[part]
    return tree


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_restates_no_default(path):
    """A key the recipe sets to the value it already has would hide what the recipe changes."""
    recipe = yaml.safe_load(path.read_text())
    groups = []  # the recipe's own choices of model, threshold and callbacks
    for entry in recipe.get("defaults", []):
        ((group, choice),) = entry.items()
        groups.append(f"{group.removeprefix('override ').lstrip('/')}={choice}")
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(version_base="1.3", config_dir=config_dir()):
            base = OmegaConf.to_container(compose("train", overrides=groups))
    finally:
        GlobalHydra.instance().clear()
    settings = {k: v for k, v in recipe.items() if k not in ("defaults", "name")}
    restated = [key for key, value in leaves(settings) if lookup(base, key) == value]
    assert not restated, f"{path.name} restates what {', '.join(groups)} already set: {restated}"
