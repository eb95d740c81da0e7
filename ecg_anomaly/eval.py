"""Re-evaluate a saved model: ``ecg-anomaly-eval``.

The checkpoint is the whole detector: it carries the data settings that cut its splits, so by
default the data are re-cut exactly as in training and ``split=test`` reproduces the training
run's test metrics. Any ``data.*`` given on the command line replaces the saved setting (another
file, other sizes). Scoring beats the model was trained on (``split=train``, a validation split
carved from training beats, a file holding training beats) is reported as a warning and as
``overlaps_training`` in ``metrics.json``. The evaluation is the model's own test loop, as in
training, and writes the same files (:func:`~ecg_anomaly.outputs.write_results`).
``threshold=<rule>`` refits the deciding threshold on the training split
(``threshold=manual threshold.value=0.03`` fixes it).

Examples:
    ecg-anomaly-eval ckpt_path=logs/train/runs/<run>/checkpoints/model.ckpt
    ecg-anomaly-eval ckpt_path=... data.path=ECG5000_TEST.txt split=all
    ecg-anomaly-eval ckpt_path=... threshold=percentile threshold.q=99
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from ecg_anomaly.utils.config import config_dir, register_search_path_plugin

log = logging.getLogger(__name__)


def eval_datamodule(cfg: DictConfig, saved: Any) -> Any:
    """The data module of the training run, with the command line's ``data.*`` applied.

    Args:
        cfg: The composed config (``data.*``, ``split``, ``batch_size``).
        saved: The checkpoint's :class:`~ecg_anomaly.checkpoints.SavedData`, or None.
    """
    from ecg_anomaly.checkpoints import rebuild_datamodule
    from ecg_anomaly.errors import ConfigError

    given = {k: v for k, v in OmegaConf.to_container(cfg.data).items() if v is not None}
    if saved is None and "path" not in given:
        msg = (
            "this checkpoint does not record its data settings (written by an older version): "
            "give the data file with data.path=... (and the training run's data.* settings)"
        )
        raise ConfigError(msg)
    class_path = saved.class_path if saved else "ecg_anomaly.data.ecg5000.ECG5000DataModule"
    settings = saved.settings if saved else {}
    return rebuild_datamodule(
        class_path,
        settings,
        given,
        test_split=cfg.split,
        batch_size=cfg.batch_size,
        eval_batch_size=cfg.batch_size,
    )


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Score one split with a saved model (its own test loop); write the results.

    Args:
        cfg: The composed config (``conf/eval.yaml``).

    Returns:
        The flat dict written to ``metrics.json``.
    """
    from ecg_anomaly.apply import rule_from_config, test_saved
    from ecg_anomaly.checkpoints import load_model, saved_data
    from ecg_anomaly.data.datamodule import TEST_SPLITS
    from ecg_anomaly.data.fingerprints import training_beats_among
    from ecg_anomaly.errors import ConfigError, bad_value
    from ecg_anomaly.outputs import write_results
    from ecg_anomaly.runs import claim_for

    if cfg.split not in TEST_SPLITS:
        raise bad_value("split", cfg.split, TEST_SPLITS)
    ckpt_path = Path(cfg.ckpt_path).expanduser().absolute()
    model, ckpt = load_model(ckpt_path)
    saved = saved_data(ckpt)
    fingerprints = saved.fingerprints if saved else None
    datamodule = eval_datamodule(cfg, saved)
    rule = rule_from_config(cfg)
    with claim_for(cfg):
        datamodule.prepare_data()
        datamodule.setup("test")
        if cfg.split != "all" and datamodule.split_sizes[cfg.split] == 0:
            setting = "data.val_size" if cfg.split == "val" else "data.test_size"
            msg = (
                f"split={cfg.split}: the {cfg.split} split is empty with this model's data "
                f"settings ({setting}={getattr(datamodule, setting.split('.')[1])}); choose "
                f"another split, or cut one with e.g. {setting}=0.25 (its beats may then be "
                "training beats, which the results will say)"
            )
            raise ConfigError(msg)
        scored_beats = datamodule.raw_beats(datamodule.split_rows(datamodule.test_split))
        shared = training_beats_among(scored_beats, fingerprints)
        if shared:
            log.warning(
                "%d of the %d beats scored (split=%s of %s) are beats this model was trained "
                "on: their metrics are optimistic",
                shared,
                len(scored_beats),
                cfg.split,
                datamodule.source_path,
            )
        fitted_on = test_saved(model, datamodule, rule=rule, accelerator=cfg.accelerator)
        info: dict[str, Any] = {
            "checkpoint": str(ckpt_path),
            "data/path": str(datamodule.source_path),
            "overlaps_training": None if shared is None else shared > 0,
            "overlap_beats": shared,
        }
        if fitted_on:
            info["threshold_fitted_on"] = fitted_on
        return write_results(
            cfg.paths.output_dir,
            model,
            datamodule,
            info=info,
            report=bool(cfg.report),
            formats=list(cfg.formats),
            latent=cfg.get("latent"),
            title=f"eval of {ckpt_path.name}",
        )


register_search_path_plugin()  # $ECG_ANOMALY_CONFIG_DIR, whatever the install


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="eval")
def _main(cfg: DictConfig) -> None:
    from ecg_anomaly.cli import run_task

    run_task(evaluate, cfg)


def main() -> None:
    """Console entry point: bad input ends with a message and exit code 2, not a traceback."""
    from ecg_anomaly.cli import console_main

    console_main(_main)


if __name__ == "__main__":
    main()
