"""Hydra's basic sweeper that composes one job of a batch, not all: ``hydra/sweeper=one_check``.

Before it launches a batch, Hydra's basic sweeper composes the config of every job in the
launching process, to stop on a composition error before any job runs. For a sweep over one
key whose values cannot break the composition (the records of a database,
``+record='100','101',...``) every job composes like the first, and composing 48 configs one
after another costs the launching process 20-30 s on two busy cores while no job runs. This
sweeper composes the first job of each batch only; everything else is the basic sweeper's.
"""

# No ``from __future__ import annotations``: Hydra's plugin scan runs this module before it is in
# sys.modules, and a dataclass with string annotations looks its module up there (AttributeError
# in any process that composes a config without Hydra's entry point, e.g. compose_config).
from collections.abc import Sequence
from dataclasses import dataclass

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore


@dataclass
class OneCheckSweeperConf:
    """The sweeper's settings: those of Hydra's basic sweeper."""

    _target_: str = "hydra_plugins.ecg_anomaly_sweeper.ecg_anomaly_sweeper.OneCheckSweeper"
    max_batch_size: int | None = None
    params: dict[str, str] | None = None


ConfigStore.instance().store(
    group="hydra/sweeper", name="one_check", node=OneCheckSweeperConf, provider="ecg-anomaly"
)


class OneCheckSweeper(BasicSweeper):
    """The basic sweeper; only the first job of each batch is composed before the launch."""

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        super().validate_batch_is_legal(batch[:1])
