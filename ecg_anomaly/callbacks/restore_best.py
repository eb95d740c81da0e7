"""Keep the best weights seen during training and restore them when training ends."""

from __future__ import annotations

import logging
import math
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

from ecg_anomaly.models.base import FITTED_PREFIX

log = logging.getLogger(__name__)


class RestoreBestWeights(Callback):
    """Keras's ``EarlyStopping(restore_best_weights=True)`` half: the best ``state_dict``.

    After each validation the monitored value is compared with the best so far; the best
    weights are kept in memory (on the CPU) and loaded back in ``on_train_end``. Thresholds are
    fitted afterwards, in the model's own ``on_fit_end``, so they always see the restored
    weights, whatever the order of the callbacks. The best value,
    epoch and weights are saved in checkpoints, so a resumed run restores the same weights.

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

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "best_state": self.best_state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best = state_dict["best"]
        self.best_epoch = state_dict["best_epoch"]
        self.best_state = state_dict["best_state"]

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
            # the weights only: the post-processing is fitted after training
            self.best_state = {
                k: v.detach().to("cpu", copy=True)
                for k, v in pl_module.state_dict().items()
                if not k.startswith(FITTED_PREFIX)
            }

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # EarlyStopping sets should_stop; reaching max_epochs does not.
        if self.best_state is None or (self.only_if_stopped_early and not trainer.should_stop):
            return
        # The post-processing is fitted afterwards, on these weights: leave it as it is.
        state = {k: v for k, v in self.best_state.items() if not k.startswith(FITTED_PREFIX)}
        pl_module.load_state_dict(state, strict=False)
        self.restored = True
        log.info(
            "Restored the weights of epoch %d (%s = %.6g)", self.best_epoch, self.monitor, self.best
        )
