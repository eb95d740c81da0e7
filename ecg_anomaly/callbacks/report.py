"""Write the run report after testing: ``scores.csv``, ``plots/*.png`` and ``report.md``.

Switch it off with ``callbacks.report=null``; choose the latent projection with
``callbacks.report.latent=tsne`` (``pca`` by default, ``null`` for no latent plot).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import lightning as L
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import CSVLogger

from ecg_anomaly.callbacks.metrics import MetricsCallback
from ecg_anomaly.models.base import AnomalyModel

log = logging.getLogger(__name__)


class ReportCallback(Callback):
    """After ``trainer.test``, scores the test split again and writes the report on rank 0.

    The test beats are rescored on one process (a fraction of a second) so that every row of
    ``scores.csv`` lines up with its beat, whatever order distributed testing gathered them in.

    Args:
        output_dir: The run folder.
        latent: Latent-space projection: ``pca``, ``tsne``, ``umap`` or None (no plot).
        max_latent_points: Beats in the latent plot at most.
    """

    def __init__(
        self,
        output_dir: str | os.PathLike,
        latent: str | None = "pca",
        max_latent_points: int = 2000,
    ) -> None:
        self.output_dir = Path(output_dir)
        self.latent = latent
        self.max_latent_points = max_latent_points
        self.files: dict[str, Path] = {}

    def on_test_end(self, trainer: L.Trainer, pl_module: AnomalyModel) -> None:
        if not trainer.is_global_zero or trainer.datamodule is None:
            return
        from ecg_anomaly.plots.report import write_report

        datamodule = trainer.datamodule
        x, y = datamodule.split("test")
        metrics_cb = next((cb for cb in trainer.callbacks if isinstance(cb, MetricsCallback)), None)
        metrics = dict(metrics_cb.results) if metrics_cb is not None else {}
        metrics["threshold"] = float(pl_module.threshold)
        loss_csv = None
        for logger in trainer.loggers:
            if isinstance(logger, CSVLogger):
                logger.save()  # flush the last epoch's losses before reading them
                loss_csv = Path(logger.log_dir) / "metrics.csv"
        seed = getattr(datamodule, "seed", 0)
        self.files = write_report(
            self.output_dir,
            model=pl_module,
            x=x,
            labels=y.cpu().numpy(),
            metrics=metrics,
            index=datamodule.split_rows("test"),
            title=f"Run report: {type(pl_module).__name__} (seed {seed})",
            split="test",
            loss_csv=loss_csv,
            latent=self.latent,
            max_latent_points=self.max_latent_points,
            seed=seed,
        )
