"""Detect abnormal beats in a recording with a saved model: ``ecg-anomaly-detect``.

Reads the recording (WFDB, CSV, ``.npy``), finds and cuts its beats the way the model's training
beats were cut, scores and flags them (:func:`~ecg_anomaly.recordings.detection.detect_beats`),
and writes ``beats.csv`` (one row per beat: time, sample, RR, prematurity, scores, flag,
annotation and its AAMI class), ``metrics.json`` (beat detection ``beats/sensitivity`` and
``beats/ppv``; abnormal-beat ``test/auroc``, ``test/auprc``, ``test/recall``,
``test/specificity`` where the record is annotated; ``polarity``; ``n_beats``), ``report.md``
and ``plots/``.

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

#: What each file holds, for report.md.
FILES = {
    "beats.csv": "one row per beat: `time` (s), `sample`, `rr_prev`/`rr_next` (s), "
    "`prematurity`, `shape_score` (the model's), `score` (with timing), `flag` (1 = abnormal), "
    "`votes` (R-peak detectors that agreed), `symbol`, `aami` and `label` of the annotation.",
    "metrics.json": "beat detection (beats/...), abnormal-beat detection (test/...), settings.",
}


def detect(cfg: DictConfig) -> dict[str, Any]:
    """Detect the abnormal beats of ``cfg.record`` and write the results.

    Args:
        cfg: The composed config (``conf/detect.yaml``).

    Returns:
        The flat dict written to ``metrics.json``.
    """
    from ecg_anomaly.detector import load_detector
    from ecg_anomaly.outputs import write_detection
    from ecg_anomaly.recordings import read_recording
    from ecg_anomaly.recordings.detection import detect_beats

    ckpt_path = Path(cfg.ckpt_path).expanduser().absolute()
    detector = load_detector(ckpt_path)
    model = detector.model
    recording = read_recording(cfg.record, fs=cfg.fs, channel=cfg.channel)
    result = detect_beats(
        model,
        recording,
        window=cfg.window or detector.window,
        threshold=cfg.threshold_value,
        timing_scale=cfg.timing_scale,
        own_percentile=float(cfg.own_percentile),
        batch_size=int(cfg.batch_size),
    )
    result.metrics |= {
        "record": str(recording.path or cfg.record),
        "checkpoint": str(ckpt_path),
        "model": type(model).__name__,
    }
    write_detection(
        Path(cfg.paths.output_dir),
        result,
        report=bool(cfg.report),
        formats=list(cfg.formats),
        strip_seconds=float(cfg.strip_seconds),
        files=FILES,
    )
    return result.metrics


register_search_path_plugin()  # $ECG_ANOMALY_CONFIG_DIR, whatever the install


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="detect")
def main(cfg: DictConfig) -> None:
    """Console entry point: bad input ends with a message and exit code 2, not a traceback."""
    from ecg_anomaly.cli import run_task

    run_task(detect, cfg)


if __name__ == "__main__":
    main()
