"""Train a model, fit its threshold, test it, and save the results: ``ecg-anomaly-train``.

Examples:
    ecg-anomaly-train experiment=tf_tutorial_dense_ae data.path=/path/to/ecg.csv
    python -m ecg_anomaly.train trainer=gpu seed=1
"""

from __future__ import annotations

import logging
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from ecg_anomaly.utils.config import ConfigError, config_dir

log = logging.getLogger(__name__)

#: Metric keys shown in the console table at the end of a run, in order.
SUMMARY_KEYS = (
    "test/accuracy",
    "test/precision",
    "test/recall",
    "test/specificity",
    "test/f1",
    "test/auroc",
    "test/auprc",
    "test/normal_precision",
    "test/normal_recall",
    "threshold",
)


def train(cfg: DictConfig) -> dict[str, Any]:
    """Run one experiment: fit, threshold, test, save checkpoint and ``metrics.json``.

    Args:
        cfg: The composed config (``conf/train.yaml``).

    Returns:
        The flat metrics dict written to ``metrics.json``.
    """
    # Lightning is imported here, not at module level, so ``--help`` and config errors are fast.
    import lightning as L
    from hydra.utils import instantiate

    from ecg_anomaly.callbacks.metrics import MetricsCallback
    from ecg_anomaly.utils.config import instantiate_group
    from ecg_anomaly.utils.results import format_table, write_json

    # Lightning 2.6 calls a torch.utils._pytree API that torch 2.13 deprecates; harmless noise.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    if logging.getLogger().handlers:
        # Hydra already logs to the console and the run's log file; Lightning's own console
        # handler would print every message twice.
        logging.getLogger("lightning").handlers.clear()
    out_dir = Path(cfg.paths.output_dir)
    L.seed_everything(cfg.seed, workers=True, verbose=False)

    datamodule = instantiate(cfg.data)
    datamodule.prepare_data()
    datamodule.setup("fit")
    model = instantiate(
        cfg.model,
        seq_len=datamodule.seq_len,
        normalization=datamodule.normalization,
        _convert_="all",
    )
    model.normalizer.load_state_dict(datamodule.normalizer.state_dict())
    if cfg.get("init_weights"):
        _load_weights(model, cfg.init_weights)
    if datamodule.normal_only is None:
        datamodule.normal_only = not model.supervised

    callbacks = instantiate_group(cfg.get("callbacks"))
    loggers = instantiate_group(cfg.get("logger"))
    extra = {}
    if not sys.stderr.isatty():
        # No terminal (a sweep's job, a batch log, a pipe): a bar would only fill the log, and
        # refreshing it costs more than a training step of a small model.
        from lightning.pytorch.callbacks import ProgressBar

        callbacks = [cb for cb in callbacks if not isinstance(cb, ProgressBar)]
        extra["enable_progress_bar"] = False
    if datamodule.split_sizes["val"] == 0:
        extra["limit_val_batches"] = 0  # no validation split (the tutorial's recipe)
    trainer: L.Trainer = instantiate(
        cfg.trainer, callbacks=callbacks, logger=loggers or False, **extra
    )

    start = time.perf_counter()
    trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    fit_seconds = time.perf_counter() - start
    if trainer.interrupted:
        path = out_dir / "checkpoints" / "interrupted.ckpt"
        trainer.save_checkpoint(path)
        msg = f"training was interrupted; resume with ckpt_path={path}"
        raise SystemExit(msg)
    # The last epoch's validation losses (synced across ranks), and detection metrics of the
    # validation split: what a hyper-parameter search may optimise (never a test metric).
    val = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
    val |= _validation_metrics(model, datamodule)

    start = time.perf_counter()
    trainer.test(model, datamodule=datamodule, verbose=False)
    test_seconds = time.perf_counter() - start
    metrics_cb = next(cb for cb in trainer.callbacks if isinstance(cb, MetricsCallback))
    ckpt = out_dir / "checkpoints" / "model.ckpt"
    trainer.save_checkpoint(ckpt, weights_only=False)

    results: dict[str, Any] = dict(metrics_cb.results)
    results |= {
        "threshold": float(model.threshold),
        **{f"threshold/{k}": v for k, v in getattr(model, "extra_thresholds", {}).items()},
        "seed": int(cfg.seed),
        "model": type(model).__name__,
        "experiment": cfg.get("name"),
        "epochs": int(trainer.current_epoch),
        "checkpoint": str(ckpt),
        **{f"data/{k}": v for k, v in datamodule.describe().items()},
        **val,
        "time/fit_seconds": fit_seconds,
        "time/test_seconds": test_seconds,
    }
    if trainer.is_global_zero:
        write_json(out_dir / "metrics.json", results)
        table = {k: results[k] for k in SUMMARY_KEYS if k in results}
        print(format_table(table, title=f"{results['model']} (seed {cfg.seed})"))
        print(f"Results in {out_dir}")
    return results


def _load_weights(model: Any, path: str) -> None:
    """Start from a checkpoint's weights and buffers (no trainer state, unlike ``ckpt_path``)."""
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    model.load_state_dict(state)


def _validation_metrics(model: Any, datamodule: Any) -> dict[str, float]:
    """Detection metrics (``val/auroc``, ...) of the validation split with the fitted threshold.

    Every rank scores its shard; the scores are gathered before the metrics are computed.
    """
    from ecg_anomaly.anomaly.metrics import detection_metrics
    from ecg_anomaly.anomaly.thresholds import ScoreCollector
    from ecg_anomaly.callbacks.threshold import collect_scores

    if datamodule.split_sizes["val"] == 0 or not model.has_threshold:
        return {}
    collector = ScoreCollector().to(model.device)
    collect_scores(model, datamodule.loader("val"), collector)
    scores, labels = collector.compute()
    metrics = detection_metrics(scores, labels, float(model.threshold))
    return {f"val/{k}": float(v) for k, v in metrics.items() if k not in ("tn", "fp", "fn", "tp")}


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Console entry point; returns the metric an optimizing sweeper asks for, if any.

    In a multi-run, a job that fails is recorded in its folder's ``failure.json`` (and
    returns NaN to an optimizing sweeper) instead of stopping the jobs after it.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from ecg_anomaly.data.errors import DataError

    metric = cfg.get("optimized_metric")
    hydra_cfg = HydraConfig.get()
    try:
        results = train(cfg)
        if metric and metric not in results:
            known = ", ".join(k for k in results if k.startswith("val/")) or "none"
            msg = (
                f"optimized_metric={metric} is not among the run's results (validation metrics: "
                f"{known}); validation metrics need a validation split (data.val_size > 0)"
            )
            raise ConfigError(msg)
    except Exception as err:
        if hydra_cfg.mode != RunMode.MULTIRUN:
            if isinstance(err, DataError | ConfigError):
                # Bad input or settings: the message says what to do; a traceback would hide it.
                log.error("%s", err)
                sys.exit(2)
            raise
        from ecg_anomaly.sweep import write_failure

        log.exception("job %s failed", hydra_cfg.job.num)
        write_failure(hydra_cfg.runtime.output_dir, err, list(hydra_cfg.overrides.task))
        return math.nan if metric else None
    return float(results[metric]) if metric else None


if __name__ == "__main__":
    main()
