"""Train a model, fit its threshold, test it, and save the results: ``ecg-anomaly-train``.

Examples:
    ecg-anomaly-train experiment=tf_tutorial_dense_ae data.path=/path/to/ecg.csv
    python -m ecg_anomaly.train trainer=gpu seed=1
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from ecg_anomaly.utils.config import config_dir

log = logging.getLogger(__name__)

#: Metric keys shown in the console table at the end of a run, in order.
SUMMARY_KEYS = (
    "test/accuracy",
    "test/precision",
    "test/recall",
    "test/specificity",
    "test/f1",
    "test/auroc",
    "test/auprc",
    "test/normal_precision",
    "test/normal_recall",
    "threshold",
)


def train(cfg: DictConfig) -> dict[str, Any]:
    """Run one experiment: fit, threshold, test, save checkpoint and ``metrics.json``.

    Args:
        cfg: The composed config (``conf/train.yaml``).

    Returns:
        The flat metrics dict written to ``metrics.json``.
    """
    # Lightning is imported here, not at module level, so ``--help`` and config errors are fast.
    import lightning as L
    from hydra.utils import instantiate

    from ecg_anomaly.callbacks.metrics import MetricsCallback
    from ecg_anomaly.utils.config import instantiate_group
    from ecg_anomaly.utils.results import format_table, write_json

    out_dir = Path(cfg.paths.output_dir)
    L.seed_everything(cfg.seed, workers=True, verbose=False)

    datamodule = instantiate(cfg.data)
    datamodule.prepare_data()
    datamodule.setup("fit")
    model = instantiate(
        cfg.model,
        seq_len=datamodule.seq_len,
        normalization=datamodule.normalization,
        _convert_="all",
    )
    model.normalizer.load_state_dict(datamodule.normalizer.state_dict())
    if datamodule.normal_only is None:
        datamodule.normal_only = not model.supervised

    callbacks = instantiate_group(cfg.get("callbacks"))
    loggers = instantiate_group(cfg.get("logger"))
    trainer: L.Trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)

    trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    if trainer.interrupted:
        path = out_dir / "checkpoints" / "interrupted.ckpt"
        trainer.save_checkpoint(path)
        msg = f"training was interrupted; resume with ckpt_path={path}"
        raise SystemExit(msg)

    trainer.test(model, datamodule=datamodule, verbose=False)
    metrics_cb = next(cb for cb in trainer.callbacks if isinstance(cb, MetricsCallback))
    ckpt = out_dir / "checkpoints" / "model.ckpt"
    trainer.save_checkpoint(ckpt)

    results: dict[str, Any] = dict(metrics_cb.results)
    results |= {
        "threshold": float(model.threshold),
        **{f"threshold/{k}": v for k, v in getattr(model, "extra_thresholds", {}).items()},
        "seed": int(cfg.seed),
        "model": type(model).__name__,
        "experiment": cfg.get("name"),
        "epochs": int(trainer.current_epoch),
        "checkpoint": str(ckpt),
        **{f"data/{k}": v for k, v in datamodule.describe().items()},
    }
    if trainer.is_global_zero:
        write_json(out_dir / "metrics.json", results)
        table = {k: results[k] for k in SUMMARY_KEYS if k in results}
        print(format_table(table, title=f"{results['model']} (seed {cfg.seed})"))
        print(f"Results in {out_dir}")
    return results


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Console entry point; returns the metric an optimizing sweeper asks for, if any."""
    from ecg_anomaly.data.errors import DataError

    try:
        results = train(cfg)
    except DataError as err:
        # Bad or missing input: the message says what to do, a traceback would only hide it.
        log.error("%s", err)
        sys.exit(2)
    metric = cfg.get("optimized_metric")
    return results.get(metric) if metric else None


if __name__ == "__main__":
    main()
