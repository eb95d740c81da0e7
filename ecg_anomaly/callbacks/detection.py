"""The detection callback: scores → thresholds → evaluation → metrics (and, given a folder, files).

One callback carries the project's straight line through Lightning:

- when fitting ends, it scores the training and validation splits once each, fits the
  deciding threshold and the extra ones, and stores them in the model's buffers;
- during ``trainer.test`` it collects the test scores (``test_step``), evaluates them once,
  logs every metric through Lightning (so ``trainer.test`` returns them) and, when it has an
  ``output_dir``, writes ``metrics.json``, ``scores.csv``, ``report.md`` and ``plots/``.

It is the same in ``ecg-anomaly-train``, ``ecg-anomaly-eval`` and a user's own ``Trainer``.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

from ecg_anomaly.anomaly.evaluation import DECIDING, Evaluation, evaluate
from ecg_anomaly.anomaly.scoring import ScoreCollector, SplitScores, score_split
from ecg_anomaly.anomaly.thresholds import Threshold
from ecg_anomaly.anomaly.timing import PREMATURITY_SCALE, with_timing
from ecg_anomaly.errors import ConfigError
from ecg_anomaly.plots._figure import check_formats

log = logging.getLogger(__name__)


class DetectionCallback(Callback):
    """Fits thresholds after training and evaluates the test split.

    Args:
        threshold: The deciding threshold rule; None keeps the model's fitted thresholds
            (evaluating a saved model).
        extra: More threshold rules reported beside the deciding one, by name (e.g.
            ``{"mean_2std": MeanStdThreshold(k=2)}``): metrics ``test/<name>/...``, stored in the
            checkpoint too.
        output_dir: Where to write the files; None writes nothing (metrics are still logged).
        report: Also draw the plots and write ``report.md`` (``scores.csv`` and
            ``metrics.json`` are always written when there is an ``output_dir``).
        latent: Latent-space projection of the report: ``pca``, ``tsne``, ``umap`` or None.
        formats: File formats of the plots: any of ``png``, ``pdf``, ``svg``.
        max_latent_points: Beats in the latent plot at most.
        loss_csv: A CSVLogger ``metrics.csv`` for the loss curves when the trainer has no
            CSVLogger (evaluating a saved model in its training run's folder).
        timing_scale: Beat timing in the score (:mod:`ecg_anomaly.anomaly.timing`): the
            prematurity worth one unit of shape score; ``"auto"`` uses 0.1 (measured best)
            whenever the data module knows the beats' timing (recordings), None never.
        info: Extra entries for ``metrics.json`` (``seed``, ``experiment``, ...).
    """

    def __init__(
        self,
        threshold: Threshold | None = None,
        extra: Mapping[str, Threshold] | None = None,
        output_dir: str | os.PathLike | None = None,
        report: bool = True,
        latent: str | None = "pca",
        formats: Sequence[str] = ("png",),
        max_latent_points: int = 2000,
        loss_csv: str | os.PathLike | None = None,
        info: Mapping[str, Any] | None = None,
        timing_scale: float | str | None = "auto",
    ) -> None:
        self.threshold = threshold
        self.extra = {k: v for k, v in (extra or {}).items() if v is not None}
        self.output_dir = None if output_dir is None else Path(output_dir)
        self.report = report
        self.latent = latent
        self.formats = check_formats(formats)
        self.max_latent_points = max_latent_points
        self.loss_csv = loss_csv
        self.info = dict(info or {})
        self.timing_scale = timing_scale
        #: The evaluations of the last ``trainer.test``, by split (the tested one, and ``val``).
        self.evaluations: dict[str, Evaluation] = {}
        #: The flat results of the last ``trainer.test`` (what ``metrics.json`` holds).
        self.results: dict[str, Any] = {}
        self._scored: dict[str, SplitScores] = {}
        self._scored_model: int | None = None
        self._fit: dict[str, Any] = {}
        self._collector: ScoreCollector | None = None
        self._first_loss: float | None = None

    # -- fitting ---------------------------------------------------------------------------

    def _rules(self) -> dict[str, Threshold]:
        rules = {} if self.threshold is None else {DECIDING: self.threshold}
        return rules | self.extra

    def on_fit_start(self, trainer: L.Trainer, pl_module: Any) -> None:
        # Fail before training, not after it, when a threshold cannot be fitted.
        sizes = getattr(trainer.datamodule, "split_sizes", {})
        for rule in self._rules().values():
            if rule.fit_on is not None and sizes.get(rule.fit_on, 1) == 0:
                msg = (
                    f"{type(rule).__name__} is fitted on the {rule.fit_on!r} split, which is "
                    "empty; give it beats with data.val_size=0.25 (or choose another threshold)"
                )
                raise ConfigError(msg)
        self._fit = {"started": time.perf_counter()}

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        loss = trainer.callback_metrics.get("train/loss")
        if loss is not None and self._first_loss is None:
            self._first_loss = float(loss)

    def on_train_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        # The last epoch's losses (callback_metrics are cleared once fitting is torn down).
        metrics = trainer.callback_metrics
        self._fit["losses"] = {
            k: float(v) for k, v in metrics.items() if k.startswith(("train/", "val/"))
        }
        last = self._fit["losses"].get("train/loss")
        several = trainer.current_epoch >= 2  # epochs run, counting those before a resume
        if several and None not in (self._first_loss, last) and not last < self._first_loss:
            self._warn(
                trainer,
                f"the training loss did not go down ({self._first_loss:.4g} after the first "
                f"epoch, {last:.4g} after the last): the model learned nothing; check the "
                "learning rate, the loss and the data",
            )

    def state_dict(self) -> dict[str, Any]:
        return {"first_loss": self._first_loss}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._first_loss = state_dict.get("first_loss")

    def _warn(self, trainer: L.Trainer, message: str) -> None:
        self._fit.setdefault("warnings", []).append(message)
        if trainer.is_global_zero:
            log.warning(message)

    def on_fit_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        # After every on_train_end: thresholds see the final weights (best weights restored).
        self._fit["seconds"] = time.perf_counter() - self._fit.get("started", time.perf_counter())
        self._fit["epochs"] = int(trainer.current_epoch)
        if self._rules():
            self._fit_thresholds(trainer, pl_module)

    def _score(self, trainer: L.Trainer, pl_module: Any, split: str) -> SplitScores:
        """Each split once per model: later consumers reuse the same scores."""
        if self._scored_model != id(pl_module):
            self._scored, self._scored_model = {}, id(pl_module)
        if split not in self._scored:
            raw = score_split(pl_module, trainer.datamodule.loader(split), split)
            self._scored[split] = self._timed(trainer, pl_module, raw)
        return self._scored[split]

    def _timed(self, trainer: L.Trainer, pl_module: Any, split: SplitScores) -> SplitScores:
        """The split's scores with the beats' timing, when the model scores with timing."""
        if not pl_module.uses_timing:
            return split
        early = trainer.datamodule.beat_features(split.rows)["prematurity"]
        reference = pl_module.timing_reference.cpu().numpy()
        return with_timing(split, early, reference, float(pl_module.timing_scale))

    def _timing_scale(self, datamodule: Any) -> float | None:
        if self.timing_scale == "auto":
            return PREMATURITY_SCALE if hasattr(datamodule, "beat_features") else None
        return None if self.timing_scale is None else float(self.timing_scale)

    def _fit_thresholds(self, trainer: L.Trainer, pl_module: Any) -> None:
        # Strategy teardown moved the model to the CPU; score on the training device.
        pl_module.to(trainer.strategy.root_device)
        dm = trainer.datamodule
        scale = self._timing_scale(dm)
        pl_module.timing_scale.fill_(math.nan)  # shape scores first: they are the reference
        self._scored, self._scored_model = {}, id(pl_module)
        sizes = getattr(dm, "split_sizes", {})
        for split in ("train", "val"):
            if sizes.get(split, 0) > 0:
                self._score(trainer, pl_module, split)
        if not getattr(dm, "train_labels_known", True) and "train" in self._scored:
            # unlabelled training beats (a new patient's): all presumed normal
            train = self._scored["train"]
            self._scored["train"] = SplitScores("train", train.scores, rows=train.rows)
        if scale is not None and "train" in self._scored:
            pl_module.set_timing(self._scored["train"].normal_scores(), scale)
            self._scored = {k: self._timed(trainer, pl_module, v) for k, v in self._scored.items()}
        values = {
            name: rule.fit(self._scored.get(rule.fit_on) if rule.fit_on else None)
            for name, rule in self._rules().items()
        }
        deciding = values.pop(DECIDING, float(pl_module.threshold))
        pl_module.set_thresholds(deciding, values)
        train = self._scored.get("train")
        rule = self.threshold
        if train is not None and rule is not None and rule.fit_on == "train":
            share = float((train.normal_scores() >= deciding).mean())
            if share in (0.0, 1.0):
                what = "every" if share == 1.0 else "no"
                self._warn(
                    trainer,
                    f"the threshold {deciding:.6g} flags {what} normal training beat: it cannot "
                    "tell normal beats from abnormal ones; check the threshold's settings",
                )
        if trainer.is_global_zero:
            shown = ", ".join(f"{k} = {v:.6g}" for k, v in pl_module.thresholds.items())
            log.info("Fitted %s: %s", type(self.threshold).__name__, shown)

    # -- testing ---------------------------------------------------------------------------

    def on_test_start(self, trainer: L.Trainer, pl_module: Any) -> None:
        if not pl_module.has_threshold:
            if self.threshold is None:
                msg = (
                    "the model has no fitted threshold and the DetectionCallback has no "
                    "threshold rule to fit one: pass threshold=MeanStdThreshold() (or another)"
                )
                raise ConfigError(msg)
            self._fit_thresholds(trainer, pl_module)

    def on_test_epoch_start(self, trainer: L.Trainer, pl_module: Any) -> None:
        split = getattr(trainer.datamodule, "test_split", "test")
        self._collector = ScoreCollector(split).to(pl_module.device)

    def on_test_batch_end(
        self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0
    ) -> None:
        self._collector.update(outputs)

    def on_test_epoch_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        scores = self._timed(trainer, pl_module, self._collector.compute())
        self._collector = None
        if self._scored_model == id(pl_module):
            self._scored.setdefault(scores.split, scores)
        thresholds = pl_module.thresholds
        self.evaluations = {scores.split: evaluate(scores, thresholds)}
        val = self._scored.get("val") if self._scored_model == id(pl_module) else None
        if val is not None and scores.split != "val":
            self.evaluations["val"] = evaluate(val, thresholds)
        main = self.evaluations[scores.split]
        loggable = {k: float(v) for k, v in main.metrics.items() if math.isfinite(float(v))}
        pl_module.log_dict(loggable, sync_dist=True)
        self.results = self._results(trainer, pl_module)
        if trainer.is_global_zero:
            for warning in (w for ev in self.evaluations.values() for w in ev.warnings):
                log.warning(warning)

    def on_test_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        if self.output_dir is None or not trainer.is_global_zero:
            return
        from ecg_anomaly.outputs import write_outputs

        main = next(iter(self.evaluations.values()))
        data = None
        if self.report:
            was_training = pl_module.training
            pl_module.eval()
            with torch.no_grad():
                data = self._figure_data(trainer, pl_module, main)
            pl_module.train(was_training)
        write_outputs(
            self.output_dir,
            results=self.results,
            warnings=self.results["warnings"],
            evaluations=self.evaluations,
            figure_data=data,
            formats=self.formats,
            title=self._title(pl_module),
        )

    # -- results ---------------------------------------------------------------------------

    def _title(self, pl_module: Any) -> str:
        parts = [str(self.info.get("experiment") or ""), type(pl_module).__name__]
        if self.info.get("seed") is not None:
            parts.append(f"seed {self.info['seed']}")
        return " · ".join(p for p in parts if p)

    def _results(self, trainer: L.Trainer, pl_module: Any) -> dict[str, Any]:
        from ecg_anomaly.outputs import run_results

        describe = getattr(trainer.datamodule, "describe", None)
        return run_results(
            self.evaluations,
            pl_module.thresholds,
            model=type(pl_module).__name__,
            fit=self._fit,
            data=describe() if callable(describe) else {},
            info=self.info,
        )

    def _figure_data(self, trainer: L.Trainer, pl_module: Any, main: Evaluation) -> Any:
        from ecg_anomaly.plots import read_loss_history
        from ecg_anomaly.plots.gather import gather_figure_data

        train = self._train_scores(trainer, pl_module, main.scores)
        loss_csv = self._loss_csv(trainer)
        return gather_figure_data(
            pl_module,
            trainer.datamodule,
            main,
            train_scores=None if train is None else train.normal_scores(),
            loss_history=read_loss_history(loss_csv) if loss_csv else {},
            latent=self.latent,
            max_latent_points=self.max_latent_points,
            seed=int(self.info.get("seed") or 0),
        )

    def _train_scores(self, trainer: L.Trainer, pl_module: Any, main: SplitScores) -> Any:
        if main.split == "train":
            return main
        if getattr(trainer.datamodule, "split_sizes", {}).get("train", 0) == 0:
            return None
        return self._score(trainer, pl_module, "train")

    def _loss_csv(self, trainer: L.Trainer) -> Path | None:
        from lightning.pytorch.loggers import CSVLogger

        for logger in trainer.loggers:
            if isinstance(logger, CSVLogger):
                logger.save()  # flush the last epoch's losses before reading them
                return Path(logger.log_dir) / "metrics.csv"
        return None if self.loss_csv is None else Path(self.loss_csv)
