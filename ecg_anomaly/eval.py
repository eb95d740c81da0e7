"""Re-evaluate a saved model: ``ecg-anomaly-eval``.

The checkpoint is the whole detector: it carries the data settings that cut its splits, so by
default the data are re-cut exactly as in training and ``split=test`` reproduces the training
run's test metrics. Any ``data.*`` given on the command line replaces the saved setting (another
file, other sizes). Scoring beats the model was trained on (``split=train``, a validation split
carved from training beats, a file holding training beats) is reported as a warning and as
``overlaps_training`` in ``metrics.json``. The evaluation runs through the same
:class:`~ecg_anomaly.callbacks.DetectionCallback` as training and writes the same files.

Examples:
    ecg-anomaly-eval ckpt_path=logs/train/runs/<run>/checkpoints/model.ckpt
    ecg-anomaly-eval ckpt_path=... data.path=ECG5000_TEST.txt split=all
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from ecg_anomaly.utils.config import config_dir, register_search_path_plugin

log = logging.getLogger(__name__)


def eval_datamodule(cfg: DictConfig, saved: dict[str, Any] | None) -> Any:
    """The data module of the training run, with the command line's ``data.*`` applied."""
    from ecg_anomaly.data import ECG5000DataModule
    from ecg_anomaly.errors import ConfigError

    given = {k: v for k, v in OmegaConf.to_container(cfg.data).items() if v is not None}
    if saved is not None and saved.get("source") == "recording":
        from ecg_anomaly.recordings import RecordingDataModule

        settings = {k: v for k, v in saved.items() if k not in ("source", "path", "beats")}
        sizes = {"batch_size": cfg.batch_size, "eval_batch_size": cfg.batch_size}
        return RecordingDataModule(**(settings | given), test_split=cfg.split, **sizes)
    if saved is None and "path" not in given:
        msg = (
            "this checkpoint does not record its data settings (written by an older version): "
            "give the data file with data.path=... (and the training run's data.* settings)"
        )
        raise ConfigError(msg)
    settings = {k: v for k, v in (saved or {}).items() if k not in ("beats", "seq_len")}
    if "path" in given and "layout" not in given:
        settings.pop("layout", None)  # another file: detect its layout
    settings |= given
    return ECG5000DataModule(**settings, test_split=cfg.split, batch_size=cfg.batch_size,
                             eval_batch_size=cfg.batch_size)  # fmt: skip


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Score one split with a saved model through the detection callback; write the results.

    Args:
        cfg: The composed config (``conf/eval.yaml``).

    Returns:
        The flat dict written to ``metrics.json``.
    """
    import lightning as L

    from ecg_anomaly.callbacks import DetectionCallback
    from ecg_anomaly.data.datamodule import TEST_SPLITS
    from ecg_anomaly.data.fingerprints import training_beats_among
    from ecg_anomaly.detector import data_settings, model_from_checkpoint, read_checkpoint
    from ecg_anomaly.errors import bad_value

    if cfg.split not in TEST_SPLITS:
        raise bad_value("split", cfg.split, TEST_SPLITS)
    ckpt_path = Path(cfg.ckpt_path).expanduser().absolute()
    ckpt = read_checkpoint(ckpt_path)
    model = model_from_checkpoint(ckpt, str(ckpt_path))
    saved, fingerprints = data_settings(ckpt)
    datamodule = eval_datamodule(cfg, saved)
    datamodule.prepare_data()
    datamodule.setup("test")
    if cfg.split != "all" and datamodule.split_sizes[cfg.split] == 0:
        from ecg_anomaly.errors import ConfigError

        setting = "data.val_size" if cfg.split == "val" else "data.test_size"
        msg = (
            f"split={cfg.split}: the {cfg.split} split is empty with this model's data settings "
            f"({setting}={getattr(datamodule, setting.split('.')[1])}); choose another split, or "
            f"cut one with e.g. {setting}=0.25 (its beats may then be training beats, which the "
            "results will say)"
        )
        raise ConfigError(msg)
    if datamodule.seq_len != model.normalizer.shift.numel():
        from ecg_anomaly.errors import DataFormatError

        msg = (
            f"beats in {datamodule.source_path} have {datamodule.seq_len} values but the model "
            f"expects {model.normalizer.shift.numel()}. Use a file made for this model."
        )
        raise DataFormatError(msg)
    if cfg.get("threshold_value") is not None:
        model.set_thresholds(float(cfg.threshold_value))  # the extra thresholds stay as saved
    scored_beats = datamodule.raw_beats(datamodule.split_rows(datamodule.test_split))
    shared = training_beats_among(scored_beats, fingerprints)
    info: dict[str, Any] = {
        "checkpoint": str(ckpt_path),
        "data/path": str(datamodule.source_path),
        "overlaps_training": None if shared is None else shared > 0,
        "overlap_beats": shared,
    }
    if shared:
        log.warning(
            "%d of the %d beats scored (split=%s of %s) are beats this model was trained on: "
            "their metrics are optimistic",
            shared,
            len(datamodule.split_rows(cfg.split)),
            cfg.split,
            datamodule.source_path,
        )
    detection = DetectionCallback(
        threshold=None,
        output_dir=cfg.paths.output_dir,
        report=bool(cfg.report),
        latent=cfg.get("latent"),
        formats=list(cfg.get("formats") or ["png"]),
        # the training run's loss history, when the checkpoint still sits in its run folder
        loss_csv=ckpt_path.parent.parent / "csv" / "metrics.csv",
        info=info,
    )
    trainer = L.Trainer(
        accelerator=cfg.get("accelerator", "auto"),
        devices=1,
        logger=False,
        callbacks=[detection],
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.test(model, datamodule=datamodule, verbose=False)
    return detection.results


register_search_path_plugin()  # $ECG_ANOMALY_CONFIG_DIR, whatever the install


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="eval")
def main(cfg: DictConfig) -> None:
    """Console entry point: bad input ends with a message and exit code 2, not a traceback."""
    from ecg_anomaly.cli import run_task

    run_task(evaluate, cfg)


if __name__ == "__main__":
    main()
