"""Score new beats with a saved model: ``ecg-anomaly-predict``.

Reads a CSV (with or without a label column), a UCR ``.txt``/``.tsv`` or a ``.npy`` file,
applies the checkpoint's normalisation and threshold, writes one row per beat (``index``,
``label`` if the file has labels, ``score``, ``flag`` = 1 abnormal / 0 normal) and prints a
JSON summary. Input whose beats have the wrong length or hold NaN values is refused with a
message and exit code 2.

Examples:
    ecg-anomaly-predict ckpt_path=.../checkpoints/model.ckpt input=new_beats.csv output=out.csv
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from ecg_anomaly.utils.config import config_dir

log = logging.getLogger(__name__)


def predict(cfg: DictConfig) -> dict[str, Any]:
    """Score the beats of ``cfg.input`` and write ``cfg.output``.

    Args:
        cfg: The composed config (``conf/predict.yaml``).

    Returns:
        The summary printed as JSON.
    """
    from ecg_anomaly.data.parsing import read_beats
    from ecg_anomaly.detector import load_detector, write_scores_csv

    detector = load_detector(cfg.ckpt_path, batch_size=int(cfg.batch_size))
    if cfg.get("threshold") is not None:
        detector.set_threshold(float(cfg.threshold))
    beats = read_beats(cfg.input, cfg.layout, seq_len=detector.seq_len)
    scores = detector.score(beats.x, source=str(beats.path))
    flags = detector.flag(scores)
    output = write_scores_csv(cfg.output, scores, flags, beats.y)
    summary: dict[str, Any] = {
        "input": str(beats.path),
        "layout": beats.layout,
        "output": str(Path(output).absolute()),
        "checkpoint": str(Path(cfg.ckpt_path).expanduser().absolute()),
        "model": type(detector.model).__name__,
        "threshold": detector.threshold,
        "beats": len(scores),
        "flagged_abnormal": int(flags.sum()),
        "flagged_fraction": float(flags.mean()),
    }
    if beats.y is not None:
        summary["labelled_abnormal"] = int(beats.y.sum())
        summary["accuracy"] = float((flags == beats.y).mean())
    return summary


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="predict")
def main(cfg: DictConfig) -> None:
    """Console entry point: bad input ends with a message and exit code 2, not a traceback."""
    from ecg_anomaly.data.errors import DataError

    try:
        summary = predict(cfg)
    except DataError as err:
        log.error("%s", err)
        sys.exit(2)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
