"""Losses logged the way the models' small steps need: summed per epoch, weighted by beats.

A ``self.log`` call costs more than a training step of the small models on ECG5000, so training
losses are summed here and logged once per epoch over every rank's beats. Evaluation losses are
weighted means over every rank's beats through torchmetrics' ``MeanMetric``, which keeps the
weights as floats (Lightning's own ``sync_dist`` mean divides its integer count of beats by the
number of ranks under gloo, which is wrong for an odd total).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torchmetrics import MeanMetric


class EpochLosses(nn.Module):
    """Training-loss sums of the running epoch, and the running means of evaluation losses."""

    def __init__(self) -> None:
        super().__init__()
        self.means = nn.ModuleDict()
        self._sums: dict[str, torch.Tensor] = {}
        self._count = 0

    def add(self, out: torch.Tensor | dict[str, torch.Tensor], n: int) -> torch.Tensor:
        """Add a training batch's loss (or loss parts) of ``n`` beats; return the loss."""
        losses = out if isinstance(out, dict) else {"loss": out}
        for k, v in losses.items():
            total = v.detach() * n
            self._sums[k] = self._sums[k] + total if k in self._sums else total
        self._count += n
        return losses["loss"]

    def epoch_means(self, strategy: Any) -> dict[str, torch.Tensor]:
        """``train/<part>`` means over every rank's beats of the epoch; the sums start over."""
        if not self._count:
            return {}
        names = list(self._sums)
        sums = [s.float() for s in self._sums.values()]
        count = torch.tensor(float(self._count), device=sums[0].device)
        # every rank gets the same number of batches, so every rank reduces the same sums
        totals = strategy.reduce(torch.stack([*sums, count]), reduce_op="sum")
        self._sums, self._count = {}, 0
        return {f"train/{k}": totals[i] / totals[-1] for i, k in enumerate(names)}

    def log_eval(
        self, module: Any, stage: str, out: torch.Tensor | dict[str, torch.Tensor], n: int
    ) -> None:
        """Log an evaluation batch's losses as epoch means weighted by beats."""
        losses = out if isinstance(out, dict) else {"loss": out}
        for k, v in losses.items():
            name = f"{stage}/{k}"
            key = name.replace("/", "__")
            if key not in self.means:
                self.means[key] = MeanMetric().to(v.device)
            self.means[key].update(v.detach(), weight=n)
            # named explicitly: Lightning maps metric attributes once, before lazy ones exist
            module.log(
                name,
                self.means[key],
                on_step=False,
                on_epoch=True,
                metric_attribute=f"_losses.means.{key}",
            )
