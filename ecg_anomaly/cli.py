"""One wrapper for every entry point: user errors as one paragraph, failed sweep jobs as one line.

A user's mistake (an :class:`~ecg_anomaly.errors.EcgAnomalyError`: bad data, a bad setting, a
bad checkpoint) ends a single run with its message and exit code 2, no traceback. In a sweep
(``-m``) a failed job records ``failure.json`` (with the traceback) in its folder, logs one
line, and lets the other jobs run; the sweep exits non-zero at the end (see
:mod:`ecg_anomaly.sweep`). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable
from typing import Any

from omegaconf import DictConfig

from ecg_anomaly.errors import EcgAnomalyError

log = logging.getLogger("ecg_anomaly")


def run_task(task: Callable[[DictConfig], Any], cfg: DictConfig) -> Any:
    """Run ``task(cfg)`` as an entry point.

    Args:
        task: The entry point's work (``train``, ``evaluate``, ``predict``...).
        cfg: The composed config.

    Returns:
        The task's result; in a sweep, NaN (for an optimizing sweeper) when the job failed.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hydra_cfg = HydraConfig.get() if HydraConfig.initialized() else None
    multirun = hydra_cfg is not None and hydra_cfg.mode == RunMode.MULTIRUN
    try:
        quiet_console()
        apply_threads(cfg.get("threads"))
        return task(cfg)
    except Exception as err:
        path = _record_failure(hydra_cfg, err)
        if not multirun:
            if isinstance(err, EcgAnomalyError):
                log.error("%s", err)
                sys.exit(2)
            raise
        first = str(err).splitlines()[0] if str(err) else ""
        where = f" (details in {path})" if path else ""
        log.error("job %s failed: %s: %s%s", hydra_cfg.job.num, type(err).__name__, first, where)
        return math.nan


class _DropBanners(logging.Filter):
    """Drops Lightning's advertising tips and hardware banners (kept in no log either)."""

    NOISE = ("💡 Tip:", "GPU available:", "TPU available:", "HPU available:")

    def filter(self, record: logging.LogRecord) -> bool:
        return not any(n in record.getMessage() for n in self.NOISE)


def quiet_console() -> None:
    """No third-party tips or banners, and no line printed twice.

    Hydra logs to the console and the run's log file; Lightning's own console handlers would
    print every message a second time.
    """
    import os

    import lightning.pytorch  # noqa: F401  (adds its console handler when first imported)

    os.environ.setdefault("WANDB_SILENT", "true")  # W&B's banners (the run is in its folder)
    logging.getLogger("mlflow").setLevel(logging.WARNING)  # MLflow's database set-up lines
    if logging.getLogger().handlers:
        for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
            logging.getLogger(name).handlers.clear()
    for name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropBanners) for f in logger.filters):
            logger.addFilter(_DropBanners())


def apply_threads(threads: int | None) -> None:
    """Set torch's CPU threads before any tensor work (None leaves torch's default).

    Raises:
        ConfigError: ``threads`` is not a whole number >= 1.
    """
    if threads is None:
        return
    from ecg_anomaly.errors import bad_value

    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise bad_value("threads", threads, "a whole number >= 1, or null for torch's default")
    import torch

    torch.set_num_threads(threads)


def _record_failure(hydra_cfg: Any, err: Exception) -> str | None:
    """``failure.json`` in the run's folder, unless the folder was refused (it is not ours)."""
    from ecg_anomaly.errors import RunFolderError

    if hydra_cfg is None or isinstance(err, RunFolderError):
        return None
    from ecg_anomaly.sweep import write_failure

    return str(write_failure(hydra_cfg.runtime.output_dir, err, list(hydra_cfg.overrides.task)))
