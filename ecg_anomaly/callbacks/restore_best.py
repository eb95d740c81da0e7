"""Keep the best weights seen during training and restore them when training ends."""

from __future__ import annotations

import copy
import logging
import math

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

from ecg_anomaly.callbacks.threshold import ThresholdCallback

log = logging.getLogger(__name__)


class RestoreBestWeights(Callback):
    """Keras's ``EarlyStopping(restore_best_weights=True)`` half: the best ``state_dict``.

    After each validation the monitored value is compared with the best so far; the best
    weights are kept in memory (on the CPU) and loaded back in ``on_train_end``. The threshold
    must be fitted on the restored weights, so at ``setup`` this callback moves itself in front
    of every :class:`~ecg_anomaly.callbacks.ThresholdCallback` (callbacks run in list order).

    Args:
        monitor: Logged metric to watch (the validation loss of normal beats).
        mode: ``"min"`` or ``"max"``.
        min_delta: Smallest change that counts as an improvement.
        only_if_stopped_early: Restore only when training stopped early (what Keras does);
            ``False`` restores the best weights after a full run too.
    """

    def __init__(
        self,
        monitor: str = "val/loss",
        mode: str = "min",
        min_delta: float = 0.0,
        only_if_stopped_early: bool = True,
    ) -> None:
        if mode not in ("min", "max"):
            msg = f"mode must be 'min' or 'max', got {mode!r}"
            raise ValueError(msg)
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(min_delta)
        self.only_if_stopped_early = only_if_stopped_early
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.best_state: dict[str, torch.Tensor] | None = None
        self.restored = False

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        callbacks = trainer.callbacks
        first = next(
            (i for i, cb in enumerate(callbacks) if isinstance(cb, ThresholdCallback)), None
        )
        me = callbacks.index(self)
        if first is not None and first < me:
            callbacks.insert(first, callbacks.pop(me))

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or self.monitor not in trainer.callback_metrics:
            return
        value = float(trainer.callback_metrics[self.monitor])
        if self._improved(value):
            self.best, self.best_epoch = value, trainer.current_epoch
            self.best_state = {
                k: v.detach().to("cpu", copy=True) for k, v in pl_module.state_dict().items()
            }

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # EarlyStopping sets should_stop; reaching max_epochs does not.
        if self.best_state is None or (self.only_if_stopped_early and not trainer.should_stop):
            return
        # The threshold buffer is fitted afterwards; keep the current one (NaN) untouched.
        state = copy.copy(self.best_state)
        state.pop("threshold", None)
        pl_module.load_state_dict(state, strict=False)
        self.restored = True
        log.info(
            "Restored the weights of epoch %d (%s = %.6g)", self.best_epoch, self.monitor, self.best
        )
