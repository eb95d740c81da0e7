"""The loss on another split at every epoch end, for the loss plot only (the notebooks' curve).

The notebooks train with ``validation_data=(test_data, test_data)``: the curve they draw beside
the training loss is the loss on the test beats, which decides nothing in them (no early
stopping). :class:`LossCurve` draws the same curve without letting it decide anything here
either: it logs ``curve/loss`` (and the model keeps it in its loss history), no callback or
scheduler watches it, and the test beats are scored for the threshold and metrics only once,
after training, as always.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback


class LossCurve(Callback):
    """Logs the mean training loss of a split's beats as ``curve/loss`` after every epoch.

    Args:
        split: The split whose loss is drawn (``test``: the notebooks' validation data).
        normal_only: Only its normal beats (the course exercise validates on normal test beats).
    """

    def __init__(self, split: str = "test", normal_only: bool = False) -> None:
        self.split = split
        self.normal_only = normal_only

    @torch.no_grad()
    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        dm = trainer.datamodule
        if dm.split_sizes.get(self.split, 0) == 0:
            return
        was_training = pl_module.training
        pl_module.eval()
        total, count = 0.0, 0
        for batch in dm.loader(self.split, normal_only=self.normal_only):
            x, y = batch["x"], batch["label"]
            out = pl_module.compute_loss(pl_module.normalizer(x), y)
            loss = out["loss"] if isinstance(out, dict) else out
            total, count = total + float(loss) * len(x), count + len(x)
        pl_module.train(was_training)
        if count:
            pl_module.log("curve/loss", total / count, on_step=False, on_epoch=True)

    def describe(self) -> str:
        """What the curve is, for the plot's legend."""
        which = "normal " if self.normal_only else ""
        return f"loss on the {which}{self.split} beats (plot only)"
