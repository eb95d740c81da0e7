"""Re-evaluate a saved model on a data file: ``ecg-anomaly-eval``.

Writes into its run folder ``metrics.json`` (metrics named ``<split>/<metric>``, abnormal is
the positive class, the confusion matrix as ``<split>/tn``, ``fp``, ``fn``, ``tp``),
``scores.csv`` (one row per beat: ``index`` = row in the file, ``label`` where known, ``score``,
``flag`` = predicted label) and, unless ``report=false``, ``plots/*.png`` and ``report.md``.

Examples:
    ecg-anomaly-eval ckpt_path=logs/train/runs/<run>/checkpoints/model.ckpt data.path=ecg.csv
    ecg-anomaly-eval ckpt_path=... data.path=ECG5000_TEST.txt split=all
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from ecg_anomaly.utils.config import ConfigError, config_dir

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test", "all")


def _load_split(cfg: DictConfig, seq_len: int) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Raw beats, labels (or None), file rows and a description of the evaluated data."""
    import numpy as np
    import torch
    from hydra.utils import instantiate

    from ecg_anomaly.data.errors import DataFormatError
    from ecg_anomaly.data.parsing import read_beats
    from ecg_anomaly.data.sources import resolve_data_path

    data = cfg.data
    if cfg.split == "all":
        path = resolve_data_path(
            data.path,
            source=data.source,
            cache_dir=data.cache_dir,
            download=data.download,
            timeout=data.timeout,
        )
        beats = read_beats(path, data.layout, seq_len=seq_len)
        x, labels, rows = torch.from_numpy(beats.x), beats.y, np.arange(len(beats))
    else:
        datamodule = instantiate(data)
        datamodule.prepare_data()
        datamodule.setup("test")
        path = datamodule.beats.path
        if datamodule.seq_len != seq_len:
            msg = (
                f"beats in {path} have {datamodule.seq_len} values but the model expects "
                f"{seq_len}. Use a file whose beats have {seq_len} values."
            )
            raise DataFormatError(msg)
        x, y = datamodule.split(cfg.split)
        labels, rows = y.numpy(), datamodule.split_rows(cfg.split)
    info = {"data/path": str(path), "data/beats": len(x)}
    if labels is not None:
        info |= {"data/normal": int((labels == 0).sum()), "data/abnormal": int((labels == 1).sum())}
    return x, labels, rows, info


def evaluate(cfg: DictConfig) -> dict[str, Any]:
    """Score one split of a data file with a saved model and write the results.

    Args:
        cfg: The composed config (``conf/eval.yaml``).

    Returns:
        The flat dict written to ``metrics.json``.
    """
    import torch

    from ecg_anomaly.anomaly.metrics import detection_metrics
    from ecg_anomaly.detector import load_detector, write_scores_csv
    from ecg_anomaly.plots.report import write_report
    from ecg_anomaly.utils.results import format_table, write_json

    if cfg.split not in SPLITS:
        msg = f"unknown split={cfg.split!r}; choose one of {', '.join(SPLITS)}"
        raise ConfigError(msg)
    out_dir = Path(cfg.paths.output_dir)
    detector = load_detector(cfg.ckpt_path, batch_size=int(cfg.batch_size))
    if cfg.get("threshold") is not None:
        detector.set_threshold(float(cfg.threshold))
    x, labels, rows, info = _load_split(cfg, detector.seq_len)
    scores = detector.score(x, source=f"the {cfg.split} beats of {info['data/path']}").numpy()
    flags = detector.flag(scores)
    split = cfg.split
    results: dict[str, Any] = {}
    if labels is not None:
        metrics = detection_metrics(
            torch.from_numpy(scores), torch.from_numpy(labels), detector.threshold
        )
        results |= {f"{split}/{k}": v for k, v in metrics.items()}
    results |= {
        "positive_class": "abnormal (label 1)",
        "threshold": detector.threshold,
        f"{split}/flagged": int(flags.sum()),
        "split": split,
        "model": type(detector.model).__name__,
        "checkpoint": str(Path(cfg.ckpt_path).expanduser().absolute()),
        **info,
    }
    shown = {k: v for k, v in results.items() if k.startswith(f"{split}/") or k == "threshold"}
    if cfg.get("report", True):
        write_report(
            out_dir,
            model=detector.model,
            x=x,
            labels=labels,
            metrics=shown,
            scores=scores,
            index=rows,
            title=f"Evaluation report: {results['model']} on {Path(info['data/path']).name}",
            split=split,
            # the training run's loss history, when the checkpoint still sits in its run folder
            loss_csv=Path(cfg.ckpt_path).expanduser().parent.parent / "csv" / "metrics.csv",
            latent=cfg.get("latent"),
        )
    else:
        write_scores_csv(out_dir / "scores.csv", scores, flags, labels, rows)
    write_json(out_dir / "metrics.json", results)
    print(format_table(shown, title=f"{results['model']} on {split}"))
    print(f"Results in {out_dir}")
    return results


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="eval")
def main(cfg: DictConfig) -> None:
    """Console entry point: bad input ends with a message and exit code 2, not a traceback."""
    from ecg_anomaly.data.errors import DataError

    try:
        evaluate(cfg)
    except (DataError, ConfigError) as err:
        log.error("%s", err)
        sys.exit(2)


if __name__ == "__main__":
    main()
