"""Fit the anomaly threshold after training and store it in the model's buffer."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

from ecg_anomaly.anomaly.thresholds import Threshold
from ecg_anomaly.models.base import AnomalyModel
from ecg_anomaly.utils.config import ConfigError

log = logging.getLogger(__name__)


def fit_threshold(
    threshold: Threshold, model: AnomalyModel, datamodule: L.LightningDataModule
) -> float:
    """Score the split a threshold needs and compute the threshold.

    Args:
        threshold: The threshold rule; its ``fit_on`` names the split (``None``: no data).
        model: The trained model.
        datamodule: An :class:`~ecg_anomaly.data.ECG5000DataModule` (set up).

    Returns:
        The threshold value.
    """
    threshold.reset()
    split = threshold.fit_on
    if split is not None:
        check_split(threshold, datamodule)
        # The training rule uses normal beats only; the validation rule needs both classes.
        collect_scores(model, datamodule.loader(split, normal_only=split == "train"), threshold)
    return float(threshold.compute())


def collect_scores(
    model: AnomalyModel, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], collector: Any
) -> None:
    """Score every ``(beats, labels)`` batch in eval mode and feed a ScoreCollector/Threshold."""
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        for x, y in batches:
            collector.update(model.score(x), y)
    model.train(was_training)


def check_split(threshold: Threshold, datamodule: L.LightningDataModule) -> None:
    """Refuse a threshold whose split is empty (e.g. F1-optimal without a validation split).

    Raises:
        ConfigError: Naming the threshold, the split and the setting that fixes it.
    """
    split = threshold.fit_on
    if split is not None and datamodule.split_sizes[split] == 0:
        msg = (
            f"{type(threshold).__name__} is fitted on the {split!r} split, which is empty; "
            "give it beats with data.val_size=0.25 (or choose another threshold)"
        )
        raise ConfigError(msg)


class ThresholdCallback(Callback):
    """Fits the threshold when training ends and stores it in ``model.threshold``.

    Args:
        threshold: The threshold that decides (stored in the model and its checkpoint).
        extra: More thresholds to report alongside (e.g. mean + 2 std), by name; their values
            land in ``model.extra_thresholds`` and the metrics.
    """

    def __init__(self, threshold: Threshold, extra: dict[str, Threshold] | None = None) -> None:
        self.threshold = threshold
        self.extra = dict(extra or {})

    def on_fit_start(self, trainer: L.Trainer, pl_module: AnomalyModel) -> None:
        # Fail before training, not after it, when a threshold cannot be fitted.
        for threshold in (self.threshold, *self.extra.values()):
            check_split(threshold, trainer.datamodule)

    def on_train_end(self, trainer: L.Trainer, pl_module: AnomalyModel) -> None:
        datamodule = trainer.datamodule
        value = fit_threshold(self.threshold, pl_module, datamodule)
        pl_module.threshold.fill_(value)
        pl_module.extra_thresholds = {
            name: fit_threshold(t, pl_module, datamodule) for name, t in self.extra.items()
        }
        log.info("Fitted threshold %s = %.6g", type(self.threshold).__name__, value)
