"""What every model shares: normalisation, post-processing, one anomaly score per beat.

Every model answers the same question: :meth:`AnomalyModel.score` maps raw beats to an anomaly
score per beat, higher = more abnormal. The model owns its post-processing
(:class:`~ecg_anomaly.anomaly.postprocess.PostProcessor`, ``model.post``: score terms,
threshold rules and fitted values, the decision) and runs it from its own Lightning hooks:
when fitting ends it scores the training (and validation) split once and fits the thresholds;
its test loop scores the tested split once, evaluates it and logs the metrics. So a plain
``L.Trainer().test(model, datamodule=dm)`` with no callback of ours returns the metrics, and a
checkpoint (normaliser, post-processing, weights) is the whole detector. Autoencoders also
expose what plots need: :meth:`AnomalyModel.reconstruct` and :meth:`AnomalyModel.encode`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, ClassVar

import lightning as L
import torch

from ecg_anomaly.anomaly.evaluation import Evaluation
from ecg_anomaly.anomaly.postprocess import PostProcessor
from ecg_anomaly.anomaly.scoring import ScoreCollector, SplitScores, score_split
from ecg_anomaly.data.labels import NORMAL
from ecg_anomaly.data.normalize import Normalizer
from ecg_anomaly.models.loss_log import EpochLosses

log = logging.getLogger(__name__)

#: Key of the checkpoint entry that says which model class wrote it.
CHECKPOINT_KEY = "ecg_anomaly"
#: State-dict prefix of what is fitted after training (not part of any epoch's weights).
FITTED_PREFIX = "post."

OptimizerFactory = Callable[..., torch.optim.Optimizer]
SchedulerFactory = Callable[..., Any]


class AnomalyModel(L.LightningModule):
    """Base LightningModule of all ecg-anomaly models.

    Subclasses implement :meth:`compute_loss` and :meth:`anomaly_score` on normalised beats.
    Hyper-parameters of subclasses are saved automatically, except the optimizer and
    scheduler factories and the post-processor (training settings and fitted state: the
    post-processor is saved in the state dict, and keeping objects out of the hyper-parameters
    lets a checkpoint load without unpickling them).

    Args:
        seq_len: Samples per beat.
        normalization: Kind of :class:`~ecg_anomaly.data.normalize.Normalizer`.
        optimizer: Factory called with ``params=``; default Adam with learning rate 1e-3.
        scheduler: Optional factory called with ``optimizer=``.
        scheduler_monitor: Metric the scheduler watches (for ``ReduceLROnPlateau``).
        val_normal_only: Validate an autoencoder, as it is trained, on normal beats only;
            ``False`` validates it on every validation beat (the Kaggle notebook early-stops
            on the loss of a set holding abnormal beats). Classifiers validate on every beat.
        post: The post-processing (threshold rules, score terms); default: none yet.
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
        post: PostProcessor | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["optimizer", "scheduler", "post"], logger=False)
        self.val_normal_only = val_normal_only
        self.optimizer_factory = optimizer or partial(torch.optim.Adam, lr=1e-3)
        self.scheduler_factory = scheduler
        self.normalizer = Normalizer(normalization, seq_len)
        self.post = post if post is not None else PostProcessor()
        #: The evaluations of the last test, by split: the tested one first, then ``val``.
        self.evaluations: dict[str, Evaluation] = {}
        #: Warnings of the last fit of the post-processing, in plain words.
        self.fit_warnings: list[str] = []
        #: Per-epoch losses (``epoch`` 0-based, ``train/...``, ``val/...``), saved in checkpoints.
        self.history: list[dict[str, float]] = []
        self._collector: ScoreCollector | None = None
        self._losses = EpochLosses()

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
        """The model's anomaly score of each raw (un-normalised) beat, shape ``(n,)``, detached.

        Scores are computed in float32 even under mixed precision, so that thresholds fitted
        on one split apply exactly to another. Post-processing (score terms) is not applied:
        see :meth:`score_batch` and :attr:`post`.
        """
        with torch.no_grad(), torch.autocast(x.device.type, enabled=False):
            return self.anomaly_score(self.normalizer(x.float())).float().detach()

    def score_batch(self, batch: torch.Tensor | Mapping[str, torch.Tensor]) -> dict[str, Any]:
        """The model's scores of a batch (a dict with ``x``, or a tensor of raw beats).

        Returns:
            ``scores`` and every other entry of the batch (labels, rows, features).
        """
        if isinstance(batch, torch.Tensor):
            return {"scores": self.score(batch)}
        return {"scores": self.score(batch["x"])} | {k: v for k, v in batch.items() if k != "x"}

    def processed_batch(self, batch: torch.Tensor | Mapping[str, torch.Tensor]) -> dict[str, Any]:
        """Final scores of a batch (post-processing applied) and ``flags`` where fitted."""
        out = self.post.apply(self.score_batch(batch))
        if self.post.fitted:  # decided in float64, as evaluate() and the files decide
            out["flags"] = self.post.flag(out["scores"].double())
        return out

    # -- post-processing and evaluation, run from the Lightning hooks ----------------------

    def fit_post(self, datamodule: Any, train_split: str = "train") -> None:
        """Score the splits the post-processing needs (once each) and fit it.

        Args:
            datamodule: A :class:`~ecg_anomaly.data.datamodule.BeatsDataModule` (``loader``,
                ``split_sizes``, ``train_labels_known``).
            train_split: The split that stands for the training beats (``all``: every beat of
                the data, all presumed normal, e.g. a recording scored by a model trained
                elsewhere).
        """
        sizes = datamodule.split_sizes | {"all": len(datamodule.split_rows("all"))}
        names = {s: s for s in self.post.splits_needed() | {"val"}} | {"train": train_split}
        splits = {
            role: score_split(self, datamodule.loader(split), role)
            for role, split in sorted(names.items())
            if sizes.get(split, 0) > 0 and (role == "train" or split != train_split)
        }
        labels_known = getattr(datamodule, "train_labels_known", True) and train_split == "train"
        self.fit_warnings = self.post.fit(splits, labels_known=labels_known)
        if self._trainer is None or self.trainer.is_global_zero:
            for warning in self.fit_warnings:
                log.warning(warning)
            shown = ", ".join(f"{k} = {v:.6g}" for k, v in self.post.thresholds.items())
            log.info("Fitted %s", shown)

    def on_fit_start(self) -> None:
        # Fail before training, not after it, when a threshold cannot be fitted.
        self.post.check_splits(getattr(self.trainer.datamodule, "split_sizes", {}))

    def on_fit_end(self) -> None:
        # After every callback's on_train_end: the thresholds see the final (restored) weights.
        # The strategy's teardown moved the model to the CPU: score on the training device.
        if self.post.rules:
            self.to(self.trainer.strategy.root_device)
            self.fit_post(self.trainer.datamodule)

    def on_test_start(self) -> None:
        if not self.post.fitted:
            if not self.post.rules:
                msg = (
                    "the model has no fitted threshold and no threshold rule to fit one: pass "
                    "post=PostProcessor(threshold=MeanStdThreshold()) (or another rule)"
                )
                raise RuntimeError(msg)
            self.fit_post(self.trainer.datamodule)

    def on_test_epoch_start(self) -> None:
        split = getattr(self.trainer.datamodule, "test_split", "test")
        self._collector = ScoreCollector(split).to(self.device)

    def test_step(self, batch: Mapping[str, torch.Tensor], batch_idx: int) -> None:
        self._collector.update(self.post.apply(self.score_batch(batch)))

    def on_test_epoch_end(self) -> None:
        tested = self._collector.compute()
        self._collector = None
        self.evaluations = {tested.split: self.post.evaluate(tested)}
        val: SplitScores | None = self.post.scored.get("val")
        if val is not None and tested.split != "val":
            self.evaluations["val"] = self.post.evaluate(val)
        main = self.evaluations[tested.split]
        loggable = {k: float(v) for k, v in main.metrics.items() if math.isfinite(float(v))}
        self.log_dict(loggable, sync_dist=True)
        if self.trainer.is_global_zero:
            for warning in (w for ev in self.evaluations.values() for w in ev.warnings):
                log.warning(warning)

    def predict_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        return self.processed_batch(batch)

    def to_onnx(self, file_path: Any = None, input_sample: Any = None, **kwargs: Any) -> Any:
        """Write the whole detector (raw beats in, scores and flags out), not ``forward``.

        See :func:`ecg_anomaly.exported.files.export_detector` (``ecg-anomaly-export``); the
        inputs are fixed (``input_sample`` is ignored), ``kwargs`` are ``check`` and ``opset``.
        """
        from ecg_anomaly.exported.files import export_detector

        return export_detector(self, file_path, "onnx", **kwargs)

    def to_torchscript(self, *args: Any, **kwargs: Any) -> Any:
        msg = "TorchScript is not supported: use ecg-anomaly-export format=torch (torch.export)"
        raise NotImplementedError(msg)

    # -- training --------------------------------------------------------------------------

    def training_step(self, batch: Mapping[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch["x"], batch["label"]
        loss = self._losses.add(self.compute_loss(self.normalizer(x), y), len(x))
        if self._trainer is not None and self._trainer.progress_bar_callback is not None:
            self.log("loss", loss.detach(), on_step=True, prog_bar=True, logger=False)
        return loss

    def validation_step(self, batch: Mapping[str, torch.Tensor], batch_idx: int) -> None:
        x, y = batch["x"], batch["label"]
        if not self.supervised and self.val_normal_only:
            # Autoencoders are validated, like they are trained, on normal beats only.
            keep = y == NORMAL
            x, y = x[keep], y[keep]
        if len(x):
            self._losses.log_eval(self, "val", self.compute_loss(self.normalizer(x), y), len(x))

    def on_train_epoch_end(self) -> None:
        # Runs after validation and before the checkpoint callback saves this epoch.
        means = self._losses.epoch_means(self.trainer.strategy)
        if means:
            # equal on every rank: sync_dist only tells Lightning that it is one value
            self.log_dict(means, on_step=False, on_epoch=True, prog_bar=False, sync_dist=True)
        metrics = self.trainer.callback_metrics
        row = {"epoch": float(self.current_epoch)} | {k: float(v) for k, v in means.items()}
        row |= {k: float(v) for k, v in metrics.items() if k.startswith(("val/", "curve/"))}
        self.history.append(row)

    def learning_warnings(self) -> list[str]:
        """Warnings about the training itself (the loss did not go down)."""
        losses = [row["train/loss"] for row in self.history if "train/loss" in row]
        if len(losses) >= 2 and not losses[-1] < losses[0]:
            return [
                f"the training loss did not go down ({losses[0]:.4g} after the first epoch, "
                f"{losses[-1]:.4g} after the last): the model learned nothing; check the "
                "learning rate, the loss and the data"
            ]
        return []

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
        checkpoint[CHECKPOINT_KEY] = {
            "class_path": f"{cls.__module__}.{cls.__qualname__}",
            "history": [dict(row) for row in self.history],
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        saved = checkpoint.get(CHECKPOINT_KEY) or {}
        self.history = [dict(row) for row in saved.get("history", [])]
