"""Build a run's pieces from its config: data module, model with its post-processing, trainer.

``ecg-anomaly-train`` and the Python estimator (:class:`~ecg_anomaly.detector.Detector`) build
the same pieces from the same composed config, so a model fitted from NumPy arrays is trained,
thresholded and saved exactly as one trained from the command line.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from omegaconf import DictConfig


def build_post(cfg: DictConfig, datamodule: Any) -> Any:
    """The post-processing of a run: the threshold rules and the data's score terms."""
    from ecg_anomaly.anomaly.postprocess import PostProcessor
    from ecg_anomaly.utils.config import instantiate_node

    extra = {
        name: instantiate_node(node, f"extra_thresholds.{name}")
        for name, node in (cfg.get("extra_thresholds") or {}).items()
        if node
    }
    terms = datamodule.score_terms() if hasattr(datamodule, "score_terms") else []
    return PostProcessor(instantiate_node(cfg.threshold, "threshold"), extra, terms)


def build(cfg: DictConfig) -> tuple[Any, Any, Any]:
    """The data module (set up), the model (with its post-processing) and the trainer."""
    import lightning as L

    from ecg_anomaly.utils.config import instantiate_node

    L.seed_everything(cfg.seed, workers=True, verbose=False)
    datamodule = instantiate_node(cfg.data, "data")
    datamodule.prepare_data()
    datamodule.setup("fit")
    model = build_model(cfg, datamodule)
    return datamodule, model, build_trainer(cfg, datamodule)


def build_model(cfg: DictConfig, datamodule: Any) -> Any:
    """The model of ``cfg.model`` for a set-up data module, its post-processing included."""
    from ecg_anomaly.utils.config import instantiate_node

    model = instantiate_node(
        cfg.model,
        "model",
        seq_len=datamodule.seq_len,
        normalization=datamodule.normalization,
        post=build_post(cfg, datamodule),
        _convert_="all",  # plain lists in the hyper-parameters: checkpoints load weights-only
    )
    model.normalizer.load_state_dict(datamodule.normalizer.state_dict())
    if cfg.get("init_weights"):
        from ecg_anomaly.checkpoints import read_checkpoint

        model.load_state_dict(read_checkpoint(cfg.init_weights, "init_weights")["state_dict"])
    if datamodule.normal_only is None:
        datamodule.normal_only = not model.supervised
    return model


def build_trainer(cfg: DictConfig, datamodule: Any, *, files: bool = True) -> Any:
    """The trainer of ``cfg.trainer`` with the run's callbacks and loggers.

    Args:
        cfg: The composed config.
        datamodule: The set-up data module (no validation split: no validation loop).
        files: False leaves out what writes files (loggers, checkpoints) and the progress bar:
            a fit from Python arrays keeps everything in memory.
    """
    from lightning.pytorch.callbacks import Checkpoint, ProgressBar

    from ecg_anomaly.utils.config import instantiate_group, instantiate_node

    callbacks = instantiate_group(cfg.get("callbacks"), "callbacks")
    loggers = instantiate_group(cfg.get("logger"), "logger") if files else []
    extra: dict[str, Any] = {}
    if not files:
        callbacks = [cb for cb in callbacks if not isinstance(cb, Checkpoint | ProgressBar)]
        extra |= {"enable_progress_bar": False, "default_root_dir": None}
    elif not sys.stderr.isatty():
        # No terminal (a sweep's job, a batch log, a pipe): a bar would only fill the log, and
        # refreshing it costs more than a training step of a small model.
        callbacks = [cb for cb in callbacks if not isinstance(cb, ProgressBar)]
        extra["enable_progress_bar"] = False
    if datamodule.split_sizes["val"] == 0:
        extra["limit_val_batches"] = 0  # no validation split (the tutorial's recipe)
    # Lightning refuses a Checkpoint callback with enable_checkpointing=False, and adds its own
    # ModelCheckpoint with True: ours (ResumeCheckpoint) or none at all.
    extra["enable_checkpointing"] = any(isinstance(cb, Checkpoint) for cb in callbacks)
    trainer = instantiate_node(
        cfg.trainer, "trainer", callbacks=callbacks, logger=loggers or False, **extra
    )
    if loggers:  # the run's settings beside its curves (TensorBoard, W&B, MLflow, CSV)
        from ecg_anomaly.runs import run_settings

        settings = _flat(run_settings(cfg))
        for logger in trainer.loggers:
            logger.log_hyperparams(settings)
    return trainer


def log_final_hyperparams(trainer: Any, cfg: DictConfig, evaluations: Mapping[str, Any]) -> None:
    """Give TensorBoard the run's settings with its headline metrics (its HPARAMS tab).

    TensorBoard shows hyper-parameters only together with metrics; the other loggers got the
    settings when the trainer was built.
    """
    from lightning.pytorch.loggers import TensorBoardLogger

    from ecg_anomaly.runs import run_settings

    main = next(iter(evaluations.values()), None)
    if main is None:
        return
    metrics = {k: float(v) for k, v in main.table().items() if isinstance(v, float)}
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.log_hyperparams(_flat(run_settings(cfg)), metrics=metrics)


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


def compose_config(*overrides: Sequence[str]) -> DictConfig:
    """``conf/train.yaml`` composed as ``ecg-anomaly-train`` would, outside a Hydra run.

    Nothing of the run is written (no logger, no checkpoint callback is built from it), but
    the paths must resolve: they point at the temporary folder.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from ecg_anomaly.utils.config import config_dir

    given = [o for group in overrides for o in group]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(version_base="1.3", config_dir=config_dir()):
            return compose("train", [f"paths.output_dir={tempfile.gettempdir()}", *given])
    finally:
        GlobalHydra.instance().clear()


def array_datamodule(
    cfg: DictConfig, x: Any, y: Any = None, *, fs: float | None = None, annotations: Any = None
) -> Any:
    """The data module of data in memory, with the composed config's data settings.

    Args:
        cfg: The composed config (``data=recording`` for a signal).
        x: Beats ``(n, seq_len)``; with ``fs`` (or a ``wfdb.Record``) one ECG signal.
        y: The beats' labels (None: presumed normal).
        fs: The signal's sampling rate.
        annotations: The signal's annotations (wfdb's or ours).
    """
    from omegaconf import OmegaConf

    settings = OmegaConf.to_container(cfg.data, resolve=True)
    if fs is None and not hasattr(x, "p_signal"):
        from ecg_anomaly.data.arrays import ArrayDataModule

        keys = ("val_size", "split_seed", "normalization", "normal_only", "batch_size", "seed")
        return ArrayDataModule(x, y, **{k: settings[k] for k in keys if k in settings})
    from ecg_anomaly.recordings import RecordingDataModule
    from ecg_anomaly.recordings.interop import annotations_from, recording_from_wfdb
    from ecg_anomaly.recordings.io import recording_from_array

    if hasattr(x, "p_signal"):
        recording = recording_from_wfdb(x, annotations)
    else:
        recording = recording_from_array(x, fs, annotations_from(annotations))
    settings = {k: v for k, v in settings.items() if k not in ("_target_", "record")}
    return RecordingDataModule(record=recording, **settings)
