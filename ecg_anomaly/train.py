"""Train a model, fit its thresholds, test it, and save the results: ``ecg-anomaly-train``.

The straight line: the data module cuts and normalises the data; the model trains; the
:class:`~ecg_anomaly.callbacks.DetectionCallback` scores the training and validation splits once,
fits the thresholds into the model, then evaluates the test split once and writes
``metrics.json``, ``scores.csv``, ``report.md`` and ``plots/``; ``checkpoints/model.ckpt`` is
the whole detector (model, normaliser, thresholds, and the data settings that cut its splits).

Examples:
    ecg-anomaly-train experiment=tf_tutorial_dense_ae data.path=/path/to/ecg.csv
    python -m ecg_anomaly.train trainer=gpu seed=1
"""

from __future__ import annotations

import logging
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from ecg_anomaly.errors import ConfigError, bad_value
from ecg_anomaly.utils.config import config_dir, register_search_path_plugin

log = logging.getLogger(__name__)


def check_config(cfg: DictConfig) -> None:
    """Refuse settings that cannot work before anything is loaded.

    The data module, the model and the thresholds check their own settings when they are built,
    also before training.
    """
    trainer = cfg.trainer
    max_epochs = trainer.get("max_epochs")
    if max_epochs is not None and not (isinstance(max_epochs, int) and max_epochs >= 1):
        raise bad_value("trainer.max_epochs", max_epochs, "a whole number >= 1")
    min_epochs = trainer.get("min_epochs") or 0
    if isinstance(max_epochs, int) and min_epochs > max_epochs:
        raise bad_value(
            "trainer.min_epochs", min_epochs, f"at most trainer.max_epochs={max_epochs}"
        )
    metric = cfg.get("optimized_metric")
    if metric and not str(metric).startswith("val/"):
        msg = (
            f"optimized_metric={metric}: a search may only optimise validation metrics (val/...), "
            "never a test metric"
        )
        raise ConfigError(msg)


def run_overrides() -> list[str]:
    """The command-line overrides of this run, as Hydra recorded them."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    return list(HydraConfig.get().overrides.task)


def build(cfg: DictConfig) -> tuple[Any, Any, Any, Any]:
    """The data module (set up), the model, the trainer and its detection callback."""
    import lightning as L

    from ecg_anomaly.callbacks import DetectionCallback
    from ecg_anomaly.utils.config import instantiate_group, instantiate_node

    L.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule = instantiate_node(cfg.data, "data")
    datamodule.prepare_data()
    datamodule.setup("fit")
    model = instantiate_node(
        cfg.model,
        "model",
        seq_len=datamodule.seq_len,
        normalization=datamodule.normalization,
        _convert_="all",  # plain lists in the hyper-parameters: checkpoints load weights-only
    )
    model.normalizer.load_state_dict(datamodule.normalizer.state_dict())
    if cfg.get("init_weights"):
        from ecg_anomaly.detector import read_checkpoint

        model.load_state_dict(read_checkpoint(cfg.init_weights, "init_weights")["state_dict"])
    if datamodule.normal_only is None:
        datamodule.normal_only = not model.supervised

    callbacks = instantiate_group(cfg.get("callbacks"), "callbacks")
    loggers = instantiate_group(cfg.get("logger"), "logger")
    detection = [cb for cb in callbacks if isinstance(cb, DetectionCallback)]
    if len(detection) != 1:
        msg = (
            f"the callbacks config holds {len(detection)} DetectionCallback(s); it needs exactly "
            "one (callbacks.detection) to fit thresholds and evaluate"
        )
        raise ConfigError(msg)
    extra: dict[str, Any] = {}
    if not sys.stderr.isatty():
        # No terminal (a sweep's job, a batch log, a pipe): a bar would only fill the log, and
        # refreshing it costs more than a training step of a small model.
        from lightning.pytorch.callbacks import ProgressBar

        callbacks = [cb for cb in callbacks if not isinstance(cb, ProgressBar)]
        extra["enable_progress_bar"] = False
    if datamodule.split_sizes["val"] == 0:
        extra["limit_val_batches"] = 0  # no validation split (the tutorial's recipe)
    trainer = instantiate_node(
        cfg.trainer, "trainer", callbacks=callbacks, logger=loggers or False, **extra
    )
    if loggers:  # the run's settings beside its curves (TensorBoard, W&B, MLflow, CSV)
        from ecg_anomaly.runs import run_settings

        settings = _flat(run_settings(cfg))
        for logger in trainer.loggers:
            logger.log_hyperparams(settings)
    return datamodule, model, trainer, detection[0]


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"data": {"path": x}}`` as ``{"data/path": x}`` (lists as text)."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= _flat(value, f"{name}/")
        else:
            out[name] = str(value) if isinstance(value, list) else value
    return out


def train(cfg: DictConfig) -> dict[str, Any]:
    """Run one experiment: fit, threshold, save the detector, test, write the results.

    The run folder is claimed first (:func:`ecg_anomaly.runs.claim`): a folder in use or
    holding a finished run is refused; ``resume=true`` reuses finished results or continues a
    killed run from ``checkpoints/last.ckpt`` with the run's own saved settings.

    Args:
        cfg: The composed config (``conf/train.yaml``).

    Returns:
        The flat results written to ``metrics.json``.
    """
    from lightning.fabric.utilities.rank_zero import rank_zero_only

    from ecg_anomaly.runs import claim, release, save_run_config
    from ecg_anomaly.utils.loggers import check_callback_packages, check_logger_packages

    check_config(cfg)
    check_logger_packages(cfg.get("logger"))  # a missing package costs nothing yet
    check_callback_packages(cfg.get("callbacks"))
    out_dir = Path(cfg.paths.output_dir)
    overrides = [o for o in run_overrides() if not o.startswith(("resume=", "overwrite="))]
    # Under DDP, Lightning starts ranks 1.. by running the command again: rank 0 owns the folder
    primary = rank_zero_only.rank == 0
    folder = claim(out_dir, overrides, resume=bool(cfg.get("resume")),
                   overwrite=bool(cfg.get("overwrite")), primary=primary)  # fmt: skip
    try:
        if folder.finished is not None:
            log.info("%s holds this run's results already: not run again (resume=true); see %s",
                     out_dir, out_dir / "metrics.json")  # fmt: skip
            return folder.finished
        if folder.resume_from is not None:
            log.info("Resuming the run in %s from %s", out_dir, folder.resume_from)
            cfg, overrides = folder.config, folder.overrides
            cfg.ckpt_path = str(folder.resume_from)
        elif primary:
            save_run_config(out_dir, cfg, overrides)
        return _fit_and_test(cfg, out_dir, overrides)
    finally:
        if primary:
            release(out_dir)


def _fit_and_test(cfg: DictConfig, out_dir: Path, overrides: list[str]) -> dict[str, Any]:
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    # Lightning 2.6 calls a torch.utils._pytree API that torch 2.13 deprecates; harmless noise.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    if cfg.get("ckpt_path"):
        from ecg_anomaly.detector import read_checkpoint

        read_checkpoint(cfg.ckpt_path, "ckpt_path")  # refuse a bad or unsafe one before work
    datamodule, model, trainer, detection = build(cfg)
    detection.info["overrides"] = overrides
    try:
        # checkpoints hold tensors and plain values only: load them without unpickling code
        trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"), weights_only=True)
    except SIGTERMException:
        raise SystemExit(143) from None  # pre-empted (SLURM): last.ckpt holds the last epoch
    trainer.save_checkpoint(out_dir / "checkpoints" / "model.ckpt", weights_only=False)
    trainer.test(model, datamodule=datamodule, verbose=False)
    return detection.results


register_search_path_plugin()  # $ECG_ANOMALY_CONFIG_DIR, whatever the install


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Console entry point; returns the metric an optimizing sweeper asks for, if any."""
    from ecg_anomaly.cli import run_task

    metric = cfg.get("optimized_metric")

    def task(cfg: DictConfig) -> float | None:
        results = train(cfg)
        if not metric:
            return None
        if metric not in results:
            known = ", ".join(k for k in results if k.startswith("val/")) or "none"
            msg = (
                f"optimized_metric={metric} is not among the run's results (validation metrics: "
                f"{known}); validation metrics need a validation split (data.val_size > 0)"
            )
            raise ConfigError(msg)
        return float(results[metric])

    result = run_task(task, cfg)
    return None if result is None or (not metric and math.isnan(result)) else result


if __name__ == "__main__":
    main()
