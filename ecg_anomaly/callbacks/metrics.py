"""Compute the detection metrics on the test split with the fitted threshold."""

from __future__ import annotations

import math

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

from ecg_anomaly.anomaly.metrics import detection_metrics
from ecg_anomaly.anomaly.thresholds import ScoreCollector
from ecg_anomaly.models.base import AnomalyModel


class MetricsCallback(Callback):
    """Collects test scores (from every process) and computes metrics at the epoch's end.

    After ``trainer.test`` the callback holds ``results`` (``test/accuracy``, ... and
    ``test/<name>/accuracy`` for each extra threshold) and the gathered ``scores`` and
    ``labels``.

    Args:
        prefix: Stage prefix of the metric names.
    """

    def __init__(self, prefix: str = "test") -> None:
        self.prefix = prefix
        self.results: dict[str, float | int] = {}
        self.scores = torch.empty(0)
        self.labels = torch.empty(0, dtype=torch.long)
        self._collector = ScoreCollector()

    def on_test_epoch_start(self, trainer: L.Trainer, pl_module: AnomalyModel) -> None:
        self._collector = ScoreCollector().to(pl_module.device)

    def on_test_batch_end(
        self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0
    ) -> None:
        self._collector.update(outputs["scores"], outputs["labels"])

    def on_test_epoch_end(self, trainer: L.Trainer, pl_module: AnomalyModel) -> None:
        scores, labels = self._collector.compute()
        self.scores, self.labels = scores.cpu(), labels.cpu()
        thresholds = {"": float(pl_module.threshold)}
        thresholds |= {
            f"{name}/": v for name, v in getattr(pl_module, "extra_thresholds", {}).items()
        }
        results: dict[str, float | int] = {}
        for name, value in thresholds.items():
            metrics = detection_metrics(self.scores, self.labels, value)
            results |= {f"{self.prefix}/{name}{k}": v for k, v in metrics.items()}
        self.results = results
        loggable = {k: float(v) for k, v in results.items() if not math.isnan(float(v))}
        pl_module.log_dict(loggable, logger=True, sync_dist=False)
