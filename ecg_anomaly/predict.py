"""Score new beats with a saved model: ``ecg-anomaly-predict``.

Reads a CSV (with or without a label column), a UCR ``.txt``/``.tsv`` or a ``.npy`` file,
scores every beat once with the model's own test loop (its normalisation and post-processing,
as training and eval do), writes one row per beat to ``output`` (``index``, ``label`` if the
file has labels, ``class`` if it has class codes, ``score``, ``flag`` = 1 abnormal / 0 normal)
and ``metrics.json`` to the run folder, and prints a JSON summary. Input whose beats have the
wrong length or hold NaN values is refused with a message and exit code 2.

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
    from ecg_anomaly.apply import rule_from_config, test_saved
    from ecg_anomaly.checkpoints import load_model, saved_data
    from ecg_anomaly.data import ECG5000DataModule
    from ecg_anomaly.data.fingerprints import training_beats_among
    from ecg_anomaly.outputs import write_results
    from ecg_anomaly.runs import claim_for

    ckpt_path = Path(cfg.ckpt_path).expanduser().absolute()
    model, ckpt = load_model(ckpt_path)
    saved = saved_data(ckpt)
    datamodule = ECG5000DataModule(
        path=cfg.input,
        layout=cfg.layout,
        download=False,
        test_split="all",
        seq_len=int(model.hparams.seq_len),
        eval_batch_size=cfg.batch_size,
    )
    with claim_for(cfg):
        test_saved(model, datamodule, rule=rule_from_config(cfg))
        beats = datamodule.beats
        shared = training_beats_among(beats.x, saved.fingerprints if saved else None)
        if shared:
            log.warning(
                "%d of the %d beats are beats this model was trained on", shared, len(beats)
            )
        output = Path(cfg.output).expanduser().absolute()
        info = {
            "input": str(beats.path),
            "layout": beats.layout,
            "checkpoint": str(ckpt_path),
            "overlaps_training": None if shared is None else shared > 0,
        }
        results = write_results(
            cfg.paths.output_dir,
            model,
            datamodule,
            info=info,
            report=bool(cfg.report),
            table_name=str(output),
            title=f"predict with {ckpt_path.name}",
        )
    flags = model.evaluations["all"].deciding_flags
    summary = {
        **info,
        "output": str(output),
        "model": type(model).__name__,
        "threshold": results["threshold"],
        "beats": len(flags),
        "flagged_abnormal": int(flags.sum()),
        "flagged_fraction": float(flags.mean()),
    }
    if beats.y is not None:
        summary["labelled_abnormal"] = int(beats.y.sum())
        summary["accuracy"] = float(results["all/accuracy"])
    return summary


register_search_path_plugin()  # $ECG_ANOMALY_CONFIG_DIR, whatever the install


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="predict")
def _main(cfg: DictConfig) -> None:
    from ecg_anomaly.cli import run_task

    summary = run_task(predict, cfg)
    if isinstance(summary, dict):
        print(json.dumps(summary, indent=2))


def main() -> None:
    """Console entry point: bad input ends with a message and exit code 2, not a traceback."""
    from ecg_anomaly.cli import console_main

    console_main(_main)


if __name__ == "__main__":
    main()
