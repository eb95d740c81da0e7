"""Score new beats with a saved model: ``ecg-anomaly-predict``.

Reads a CSV (with or without a label column), a UCR ``.txt``/``.tsv`` or a ``.npy`` file,
scores it once with the checkpoint's normalisation, flags it with the checkpoint's threshold
(:func:`~ecg_anomaly.anomaly.evaluation.evaluate`, as training and eval do), writes one row per
beat (``index``, ``label`` if the file has labels, ``class`` if it has class codes, ``score``,
``flag`` = 1 abnormal / 0 normal) and prints a JSON summary. Input whose beats have the wrong
length or hold NaN values is refused with a message and exit code 2.

Examples:
    ecg-anomaly-predict ckpt_path=.../checkpoints/model.ckpt input=new_beats.csv output=out.csv
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from ecg_anomaly.utils.config import config_dir, register_search_path_plugin

log = logging.getLogger(__name__)


def predict(cfg: DictConfig) -> dict[str, Any]:
    """Score the beats of ``cfg.input`` and write ``cfg.output``.

    Args:
        cfg: The composed config (``conf/predict.yaml``).

    Returns:
        The summary printed as JSON.
    """
    import torch

    from ecg_anomaly.anomaly.evaluation import evaluate
    from ecg_anomaly.anomaly.scoring import SplitScores, score_beats
    from ecg_anomaly.data.beatfiles import read_beats
    from ecg_anomaly.data.fingerprints import training_beats_among
    from ecg_anomaly.detector import data_settings, model_from_checkpoint, read_checkpoint
    from ecg_anomaly.outputs import write_scores_csv

    ckpt_path = Path(cfg.ckpt_path).expanduser().absolute()
    ckpt = read_checkpoint(ckpt_path)
    model = model_from_checkpoint(ckpt, str(ckpt_path))
    if cfg.get("threshold_value") is not None:
        model.set_thresholds(float(cfg.threshold_value))
    seq_len = int(model.normalizer.shift.numel())
    beats = read_beats(cfg.input, cfg.layout, seq_len=seq_len)
    scored = score_beats(model, torch.from_numpy(beats.x), Path(beats.path).name, cfg.batch_size)
    scored = SplitScores(scored.split, scored.scores, beats.y, beats.classes, scored.rows)
    evaluation = evaluate(scored, model.thresholds)
    output = write_scores_csv(cfg.output, evaluation)
    flags = evaluation.deciding_flags
    _, fingerprints = data_settings(ckpt)
    shared = training_beats_among(beats.x, fingerprints)
    if shared:
        log.warning("%d of the %d beats are beats this model was trained on", shared, len(flags))
    summary: dict[str, Any] = {
        "input": str(beats.path),
        "layout": beats.layout,
        "output": str(Path(output).absolute()),
        "checkpoint": str(ckpt_path),
        "model": type(model).__name__,
        "threshold": evaluation.threshold,
        "beats": len(flags),
        "flagged_abnormal": int(flags.sum()),
        "flagged_fraction": float(flags.mean()),
        "overlaps_training": None if shared is None else shared > 0,
    }
    if beats.y is not None:
        summary["labelled_abnormal"] = int(beats.y.sum())
        summary["accuracy"] = float(evaluation.metrics[f"{scored.split}/accuracy"])
    return summary


register_search_path_plugin()  # $ECG_ANOMALY_CONFIG_DIR, whatever the install


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="predict")
def main(cfg: DictConfig) -> None:
    """Console entry point: bad input ends with a message and exit code 2, not a traceback."""
    from ecg_anomaly.cli import run_task

    summary = run_task(predict, cfg)
    if isinstance(summary, dict):
        print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
