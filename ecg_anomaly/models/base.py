"""What every model shares: normalisation, threshold buffers, and one anomaly score per beat.

Every model answers the same question: :meth:`AnomalyModel.score` maps raw beats to an anomaly
score per beat, higher = more abnormal, and a beat is flagged abnormal when its score is at or
above the fitted :attr:`AnomalyModel.threshold`. The normaliser and every fitted threshold are
buffers, so a checkpoint holds everything needed to score a new file. Autoencoders also expose
what plots need: :meth:`AnomalyModel.reconstruct` and :meth:`AnomalyModel.encode`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, ClassVar

import lightning as L
import torch
from torch import nn
from torchmetrics import MeanMetric

from ecg_anomaly.anomaly.evaluation import DECIDING, flag
from ecg_anomaly.data.labels import NORMAL
from ecg_anomaly.data.normalize import Normalizer
from ecg_anomaly.errors import bad_value
from ecg_anomaly.models.losses import ERRORS, per_beat_error

#: Key of the checkpoint entry that says which model class wrote it.
CHECKPOINT_KEY = "ecg_anomaly"
#: Prefix of the extra thresholds' buffers in a state dict.
EXTRA_PREFIX = "extra_thresholds."
#: Buffers fitted after training (thresholds, timing): not part of any epoch's weights.
FITTED_BUFFER_PREFIXES = ("threshold", EXTRA_PREFIX, "timing_")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

OptimizerFactory = Callable[..., torch.optim.Optimizer]
SchedulerFactory = Callable[..., Any]


class AnomalyModel(L.LightningModule):
    """Base LightningModule of all ecg-anomaly models.

    Subclasses implement :meth:`compute_loss` and :meth:`anomaly_score` on normalised beats.
    Hyper-parameters of subclasses are saved automatically, except the optimizer and
    scheduler factories (they are training settings, and keeping them out of the checkpoint
    lets it load without unpickling arbitrary objects).

    Args:
        seq_len: Samples per beat.
        normalization: Kind of :class:`~ecg_anomaly.data.normalize.Normalizer`.
        optimizer: Factory called with ``params=``; default Adam with learning rate 1e-3.
        scheduler: Optional factory called with ``optimizer=``.
        scheduler_monitor: Metric the scheduler watches (for ``ReduceLROnPlateau``).
        val_normal_only: Validate an autoencoder, as it is trained, on normal beats only;
            ``False`` validates it on every validation beat (the Kaggle notebook early-stops
            on the loss of a set holding abnormal beats). Classifiers validate on every beat.
    """

    #: True for classifiers trained on labelled beats; autoencoders train on normal beats.
    supervised: ClassVar[bool] = False

    def __init__(
        self,
        seq_len: int = 140,
        normalization: str = "global_minmax",
        optimizer: OptimizerFactory | None = None,
        scheduler: SchedulerFactory | None = None,
        scheduler_monitor: str = "val/loss",
        val_normal_only: bool = True,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["optimizer", "scheduler"], logger=False)
        self.val_normal_only = val_normal_only
        self.optimizer_factory = optimizer or partial(torch.optim.Adam, lr=1e-3)
        self.scheduler_factory = scheduler
        self.normalizer = Normalizer(normalization, seq_len)
        self.register_buffer("threshold", torch.tensor(math.nan))
        self.extra_thresholds = nn.Module()
        # Timing in the score (recordings): the training beats' shape scores and the
        # prematurity scale, set when thresholds are fitted (NaN scale: no timing).
        self.register_buffer("timing_scale", torch.tensor(math.nan))
        self.register_buffer("timing_reference", torch.empty(0, dtype=torch.float64))
        self._train_sums: dict[str, torch.Tensor] = {}
        self._train_count = 0

    # -- what subclasses implement ---------------------------------------------------------

    def compute_loss(
        self, x: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor | dict[str, torch.Tensor]:
        """Training loss on normalised beats ``x`` with labels ``y``.

        Returns:
            The loss, or a dict with the loss under ``"loss"`` and its parts under other keys
            (each is logged).
        """
        raise NotImplementedError

    def anomaly_score(self, x: torch.Tensor) -> torch.Tensor:
        """Anomaly score of each normalised beat, shape ``(n,)``, higher = more abnormal."""
        raise NotImplementedError

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor | None:
        """Reconstruction of normalised beats, same shape (None: the model does not rebuild)."""
        return None

    def encode(self, x: torch.Tensor) -> torch.Tensor | None:
        """Latent code ``(n, d)`` of normalised beats (None: the model has no code)."""
        return None

    # -- the public scoring API ------------------------------------------------------------

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """Anomaly score of each raw (un-normalised) beat, shape ``(n,)``, detached.

        Scores are computed in float32 even under mixed precision, so that thresholds fitted
        on one split apply exactly to another.
        """
        with torch.no_grad(), torch.autocast(x.device.type, enabled=False):
            return self.anomaly_score(self.normalizer(x.float())).float().detach()

    def score_batch(self, batch: torch.Tensor | Sequence[torch.Tensor]) -> dict[str, torch.Tensor]:
        """Scores of a batch as served by the data module: ``(x, labels, classes, rows)``.

        Returns:
            ``scores`` and, where the batch has them, ``labels``, ``classes`` and ``rows``.
        """
        parts = [batch] if isinstance(batch, torch.Tensor) else list(batch)
        out = {"scores": self.score(parts[0])}
        for key, value in zip(("labels", "classes", "rows"), parts[1:], strict=False):
            out[key] = value
        return out

    @property
    def has_threshold(self) -> bool:
        """Whether a threshold has been fitted."""
        return not math.isnan(float(self.threshold))

    @property
    def thresholds(self) -> dict[str, float]:
        """Every fitted threshold: ``"threshold"`` (deciding) first, then the extras by name."""
        out = {DECIDING: float(self.threshold)}
        return out | {k: float(v) for k, v in self.extra_thresholds.named_buffers()}

    def set_thresholds(self, deciding: float, extra: Mapping[str, float] | None = None) -> None:
        """Store the deciding threshold and the extra ones (buffers: saved in checkpoints)."""
        self.threshold.fill_(float(deciding))
        for name, value in (extra or {}).items():
            if not _NAME.match(name) or name == DECIDING:
                msg = f"threshold name {name!r} must be a Python identifier other than 'threshold'"
                raise ValueError(msg)
            self.extra_thresholds.register_buffer(
                name, torch.tensor(float(value), device=self.threshold.device)
            )

    @property
    def uses_timing(self) -> bool:
        """Whether the model's scores combine shape and prematurity (trained on a recording)."""
        return not math.isnan(float(self.timing_scale)) and self.timing_reference.numel() > 0

    def set_timing(self, reference: Any, scale: float) -> None:
        """Store the training beats' shape scores and the prematurity scale.

        See :mod:`ecg_anomaly.anomaly.timing`.
        """
        ref = torch.as_tensor(reference, dtype=torch.float64).sort().values
        self.timing_reference = ref.to(self.threshold.device)
        self.timing_scale.fill_(float(scale))

    def flag(self, scores: torch.Tensor) -> torch.Tensor:
        """Labels from scores with the deciding threshold: 1 = abnormal, 0 = normal."""
        if not self.has_threshold:
            msg = "the model has no threshold yet: fit one (DetectionCallback) before flagging"
            raise RuntimeError(msg)
        return flag(scores, self.threshold)

    # -- Lightning hooks -------------------------------------------------------------------

    def _log_losses(
        self, stage: str, out: torch.Tensor | dict[str, torch.Tensor], n: int
    ) -> torch.Tensor:
        losses = out if isinstance(out, dict) else {"loss": out}
        if stage == "train":
            # Summed here and logged once per epoch (on_train_epoch_end) over every rank's beats:
            # a self.log call costs more than a training step of the small models on ECG5000.
            for k, v in losses.items():
                total = v.detach() * n
                sums = self._train_sums
                sums[k] = sums[k] + total if k in sums else total
            self._train_count += n
            return losses["loss"]
        # Evaluation losses are weighted means over every rank's beats. torchmetrics' MeanMetric
        # keeps the weights as floats; Lightning's own sync_dist mean divides its integer count
        # of beats by the number of ranks (under gloo), which is wrong for an odd total.
        for k, v in losses.items():
            name = f"{stage}/{k}"
            key = name.replace("/", "__")
            metric = self._mean_metric(key)
            metric.update(v.detach(), weight=n)
            # named explicitly: Lightning maps metric attributes once, before lazy ones exist
            attribute = f"_mean_metrics.{key}"
            self.log(name, metric, on_step=False, on_epoch=True, metric_attribute=attribute)
        return losses["loss"]

    def _mean_metric(self, key: str) -> MeanMetric:
        """The running mean stored under ``key``, created on first use (loss parts vary)."""
        if not hasattr(self, "_mean_metrics"):
            self._mean_metrics = nn.ModuleDict()
        if key not in self._mean_metrics:
            self._mean_metrics[key] = MeanMetric().to(self.device)
        return self._mean_metrics[key]

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch[0], batch[1]
        loss = self._log_losses("train", self.compute_loss(self.normalizer(x), y), len(x))
        if self._trainer is not None and self._trainer.progress_bar_callback is not None:
            self.log("loss", loss.detach(), on_step=True, prog_bar=True, logger=False)
        return loss

    def on_train_epoch_end(self) -> None:
        if self._train_count:
            names = list(self._train_sums)
            sums = [s.float() for s in self._train_sums.values()]
            count = torch.tensor(float(self._train_count), device=self.device)
            # every rank gets the same number of batches, so every rank reduces the same sums
            totals = self.trainer.strategy.reduce(torch.stack([*sums, count]), reduce_op="sum")
            means = {f"train/{k}": totals[i] / totals[-1] for i, k in enumerate(names)}
            # equal on every rank now: sync_dist only tells Lightning that it is one value
            self.log_dict(means, on_step=False, on_epoch=True, prog_bar=False, sync_dist=True)
        self._train_sums, self._train_count = {}, 0

    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        x, y = batch[0], batch[1]
        if not self.supervised and self.val_normal_only:
            # Autoencoders are validated, like they are trained, on normal beats only.
            keep = y == NORMAL
            x, y = x[keep], y[keep]
        if len(x):
            self._log_losses("val", self.compute_loss(self.normalizer(x), y), len(x))

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> dict[str, torch.Tensor]:
        # Collected by the DetectionCallback into the split's SplitScores.
        return self.score_batch(batch)

    def predict_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        out = self.score_batch(batch)
        return out | {"flags": self.flag(out["scores"])}

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer=optimizer)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": self.hparams.scheduler_monitor},
        }

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        cls = type(self)
        checkpoint[CHECKPOINT_KEY] = {"class_path": f"{cls.__module__}.{cls.__qualname__}"}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint.get("state_dict", {})
        # checkpoints of versions before timing: no timing
        state.setdefault("timing_scale", torch.tensor(math.nan))
        state.setdefault("timing_reference", torch.empty(0, dtype=torch.float64))
        self.timing_reference = torch.empty_like(state["timing_reference"])  # its fitted length
        # The extra thresholds are named at fitting time: make room for them before loading.
        extra = {
            k[len(EXTRA_PREFIX) :]: v
            for k, v in checkpoint.get("state_dict", {}).items()
            if k.startswith(EXTRA_PREFIX)
        }
        if extra:
            self.set_thresholds(float(self.threshold), {k: float(v) for k, v in extra.items()})


class ReconstructionModel(AnomalyModel):
    """An autoencoder: trained to reconstruct normal beats, scored by reconstruction error.

    Args:
        loss: Training reconstruction error, ``"mae"`` or ``"mse"``.
        score: Per-beat error used as anomaly score, ``"mae"`` or ``"mse"``.
        **kwargs: Passed to :class:`AnomalyModel`.
    """

    #: Training losses the model accepts (``model.loss``).
    LOSSES: ClassVar[tuple[str, ...]] = ERRORS

    def __init__(self, *, loss: str = "mae", score: str = "mae", **kwargs: Any) -> None:
        if loss not in self.LOSSES:
            raise bad_value("model.loss", loss, self.LOSSES)
        if score not in ERRORS:
            raise bad_value("model.score", score, ERRORS)
        super().__init__(**kwargs)
        self.loss_kind = loss
        self.score_kind = score

    def compute_loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return per_beat_error(self(x), x, self.loss_kind).mean()

    def anomaly_score(self, x: torch.Tensor) -> torch.Tensor:
        return per_beat_error(self.reconstruct(x), x, self.score_kind)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct normalised beats ``(n, seq_len)``: the decoder of the encoder's code."""
        return self.decoder(self.encoder(x))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction ``(n, seq_len)`` of normalised beats (dropout off in eval mode)."""
        return self(x)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent code ``(n, d)`` of normalised beats (for latent-space plots)."""
        return self.encoder(x).flatten(1)

    encoder: nn.Module
    decoder: nn.Module
