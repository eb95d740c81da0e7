"""Train a model, fit its thresholds, test it, and save the results: ``ecg-anomaly-train``.

The straight line: the data module cuts and normalises the data; the model trains; when fitting
ends, the model's post-processing scores the training and validation splits once and fits the
thresholds (:mod:`ecg_anomaly.anomaly.postprocess`); the model's test loop evaluates the test
split once; :func:`~ecg_anomaly.outputs.write_results` writes ``metrics.json``, ``scores.csv``,
``report.md`` and ``plots/``. ``checkpoints/model.ckpt`` is the whole detector (model,
normaliser, post-processing, and the data settings that cut its splits).

Examples:
    ecg-anomaly-train experiment=tf_tutorial_dense_ae data.path=/path/to/ecg.csv
    python -m ecg_anomaly.train trainer=gpu seed=1
"""

from __future__ import annotations

import logging
import math
import time
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

    from ecg_anomaly.runs import claim, release, run_overrides, save_run_config
    from ecg_anomaly.utils.extras import check_callback_packages, check_logger_packages

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
    from ecg_anomaly.build import build, log_final_hyperparams
    from ecg_anomaly.outputs import run_results, write_results

    if cfg.get("ckpt_path"):
        from ecg_anomaly.checkpoints import read_checkpoint

        read_checkpoint(cfg.ckpt_path, "ckpt_path")  # refuse a bad or unsafe one before work
    started = time.perf_counter()
    datamodule, model, trainer = build(cfg)
    seconds = {"build": time.perf_counter() - started}
    # checkpoints hold tensors and plain values only: load them without unpickling code
    trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"), weights_only=True)
    seconds["fit"] = time.perf_counter() - started - seconds["build"]
    trainer.save_checkpoint(out_dir / "checkpoints" / "model.ckpt", weights_only=False)
    testing = time.perf_counter()
    trainer.test(model, datamodule=datamodule, verbose=False)
    seconds["test"] = time.perf_counter() - testing
    # the data module's own stages (a recording's read, detect, cut), part of build
    seconds |= getattr(datamodule, "seconds", {})
    info = {
        "seed": cfg.seed,
        "experiment": cfg.get("name"),
        "checkpoint": str(out_dir / "checkpoints" / "model.ckpt"),
        "overrides": overrides,
        **{f"time/{stage}_seconds": s for stage, s in seconds.items()},
    }
    if not trainer.is_global_zero:
        return run_results(model, datamodule, info)
    log_final_hyperparams(trainer, cfg, model.evaluations)
    title = " · ".join(p for p in (cfg.get("name"), type(model).__name__, f"seed {cfg.seed}") if p)
    notebook = list(cfg.get("notebook_figures") or [])
    return write_results(out_dir, model, datamodule, info=info, report=bool(cfg.report),
                         formats=list(cfg.formats), latent=cfg.latent, title=title,
                         notebook=notebook)  # fmt: skip


register_search_path_plugin()  # $ECG_ANOMALY_CONFIG_DIR, whatever the install


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="train")
def _main(cfg: DictConfig) -> float | None:
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


def main() -> float | None:
    """Console entry point; returns the metric an optimizing sweeper asks for, if any."""
    from ecg_anomaly.cli import console_main

    return console_main(_main)


if __name__ == "__main__":
    main()
