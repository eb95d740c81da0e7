"""Detect abnormal beats in a recording with a saved model: ``ecg-anomaly-detect``.

Reads the recording (WFDB, EDF, CSV, ``.npy``), finds and cuts its beats the way the model's
training beats were cut (:class:`~ecg_anomaly.recordings.RecordingDataModule` with every beat a
test beat), scores and flags them with the model's own test loop, and writes ``beats.csv`` (one
row per beat: time, sample, RR, prematurity, scores, flag, type, annotation and its AAMI class),
``<record>.flag`` (the flagged beats as a WFDB annotation file), ``metrics.json`` (beat
detection ``data/beats/...``; abnormal-beat metrics where the record is annotated), ``report.md``
and ``plots/``.

A model trained on a recording (``data=recording``) carries its post-processing (the timing
term fitted on its training beats, and its threshold): it is used as it is, and a warning says
so when the recording is not the one it was trained on. A model trained on ECG5000 knows
neither a recording's beats nor its amplitude: its shape scores are made unit-free against the
recording's own beats (the timing term fitted on them), and the threshold is a percentile of
the recording's own scores (``own_percentile``). ``threshold=<rule>`` refits either kind on the
recording's own beats.

Examples:
    ecg-anomaly-detect ckpt_path=<run>/checkpoints/model.ckpt record=/data/mitdb/100
    ecg-anomaly-detect ckpt_path=... record=sensor.csv fs=250 channel=ecg
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from ecg_anomaly.utils.config import config_dir, register_search_path_plugin

log = logging.getLogger(__name__)


def score_recording(
    model: Any,
    recording: Any,
    saved: Any = None,
    *,
    fs: float | None = None,
    channel: str | int | None = None,
    window: str | None = None,
    timing_scale: float | str | None = "auto",
    rule: Any = None,
    own_percentile: float = 98.0,
    batch_size: int = 16384,
) -> tuple[Any, dict[str, Any], list[str]]:
    """Find, cut, score and flag a recording's beats with a saved model (its own test loop).

    Args:
        model: The model (its post-processing is adapted here: see the module docstring).
        recording: A path (WFDB, EDF, CSV, ``.npy``) or a :class:`~ecg_anomaly.recordings.io.
            Recording`.
        saved: The checkpoint's :class:`~ecg_anomaly.checkpoints.SavedData` (None: none).
        fs: Sampling rate (CSV and ``.npy``).
        channel: Channel name or index.
        window: How beats are cut; None: the model's (``ecg5000`` for ECG5000 models).
        timing_scale: ``auto`` (the model's, else 0.1), a number, or None (shape only).
        rule: A threshold rule to fit on the recording's own beats (None: the model's
            threshold where it applies, else percentile ``own_percentile`` of own scores).
        own_percentile: See ``rule``.
        batch_size: Beats per forward pass.

    Returns:
        ``(datamodule, info, warnings)``: the tested data module (``model.evaluations`` holds
        the evaluation), entries for ``metrics.json``, and warnings about the model's fit.
    """
    from ecg_anomaly.anomaly.thresholds import PercentileThreshold
    from ecg_anomaly.apply import test_saved
    from ecg_anomaly.data.fingerprints import training_beats_among
    from ecg_anomaly.recordings import RecordingDataModule
    from ecg_anomaly.recordings.timing import PREMATURITY_SCALE, TimingTerm

    own = model.post.terms["timing"] if "timing" in model.post.terms else None  # noqa: SIM401
    trained = saved.settings if saved is not None and "window" in saved.settings else None
    window = window or (trained["window"] if trained else "ecg5000")
    if timing_scale == "auto":
        scale = own.scale if own is not None else PREMATURITY_SCALE
    else:
        scale = None if timing_scale is None else float(timing_scale)
    if not (own is not None and own.fitted and scale == own.scale):
        # the recording's own beats are the reference of the shape score, and of the threshold
        if "timing" in model.post.terms:
            del model.post.terms["timing"]
        if scale is not None:
            model.post.add_term(TimingTerm(scale))
        rule = rule or PercentileThreshold(float(own_percentile))
    datamodule = RecordingDataModule(
        record=recording,
        fs=fs,
        channel=channel,
        window=window,
        timing_scale=scale,
        seq_len=int(model.hparams.seq_len),
        train_minutes=0.0,
        training_beats="all",
        test_split="all",
        eval_batch_size=int(batch_size),
    )
    fitted_on = test_saved(model, datamodule, rule=rule)
    beats = datamodule.raw_beats(datamodule.split_rows("all"))
    shared = training_beats_among(beats, saved.fingerprints if saved is not None else None)
    warnings = []
    if fitted_on is None and shared == 0 and trained:
        names = ", ".join(Path(r).name for r in trained.get("record", []))
        warnings.append(
            f"this model was trained on another patient's recording ({names}): its threshold "
            f"({model.post.value:.4g}) and shape reference are that patient's, so the flags may "
            "not suit this recording; give threshold=percentile (or max) to fit them on this "
            "recording's own beats"
        )
    info = {
        "window": window,
        "timing_scale": scale,
        "threshold_fitted_on": "this recording's beats" if fitted_on else "the training beats",
        "overlap_beats": shared,
    }
    return datamodule, info, warnings


def detect(cfg: DictConfig) -> dict[str, Any]:
    """Detect the abnormal beats of ``cfg.record`` and write the results.

    Args:
        cfg: The composed config (``conf/detect.yaml``).

    Returns:
        The flat dict written to ``metrics.json``.
    """
    from ecg_anomaly.apply import rule_from_config
    from ecg_anomaly.checkpoints import load_model, saved_data
    from ecg_anomaly.outputs import write_results
    from ecg_anomaly.runs import claim_for

    ckpt_path = Path(cfg.ckpt_path).expanduser().absolute()
    model, ckpt = load_model(ckpt_path)
    rule = rule_from_config(cfg)
    with claim_for(cfg):
        datamodule, info, warnings = score_recording(
            model,
            cfg.record,
            saved_data(ckpt),
            fs=cfg.fs,
            channel=cfg.channel,
            window=cfg.window,
            timing_scale=cfg.timing_scale,
            rule=rule,
            own_percentile=float(cfg.own_percentile),
            batch_size=int(cfg.batch_size),
        )
        info = {"checkpoint": str(ckpt_path), **info}
        title = f"{type(model).__name__} on {Path(str(cfg.record)).name}"
        return write_results(
            cfg.paths.output_dir,
            model,
            datamodule,
            info=info,
            warnings=warnings,
            report=bool(cfg.report),
            formats=list(cfg.formats),
            latent=None,
            title=title,
        )


register_search_path_plugin()  # $ECG_ANOMALY_CONFIG_DIR, whatever the install


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="detect")
def _main(cfg: DictConfig) -> None:
    from ecg_anomaly.cli import run_task

    run_task(detect, cfg)


def main() -> None:
    """Console entry point: bad input ends with a message and exit code 2, not a traceback."""
    from ecg_anomaly.cli import console_main

    console_main(_main)


if __name__ == "__main__":
    main()
