"""Apply a saved model to data: what ``ecg-anomaly-eval``, ``-predict`` and ``-detect`` share.

The model comes back from its checkpoint with its post-processing; the data module cuts the
beats to score; the model's own test loop scores them once and evaluates them (a plain
Lightning ``Trainer.test``); then :func:`~ecg_anomaly.outputs.write_results` writes the files.
A threshold rule given on the command line (``threshold=percentile``) refits the deciding
threshold first, on the data's training split when it has one, else on every beat it scores.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from omegaconf import DictConfig

from ecg_anomaly.errors import DataFormatError

log = logging.getLogger(__name__)


def rule_from_config(cfg: DictConfig) -> Any:
    """The threshold rule the command line chose (``threshold=...``), or None."""
    from ecg_anomaly.utils.config import instantiate_node

    node = cfg.get("threshold")
    return None if not node else instantiate_node(node, "threshold")


def refit(model: Any, datamodule: Any, rule: Any) -> str:
    """Fit a new deciding rule (and the score terms) on the data; extra thresholds stay as saved.

    Returns:
        The split it was fitted on: ``train``, or ``all`` when the data have no training split
        (a recording scored by a model trained elsewhere: its own beats are the reference).
    """
    from ecg_anomaly.anomaly.evaluation import DECIDING

    saved = dict(model.post.rules)
    model.post.rules = {DECIDING: rule}
    split = "train" if datamodule.split_sizes.get("train", 0) > 0 else "all"
    try:
        model.fit_post(datamodule, train_split=split)
    finally:
        model.post.rules = saved | {DECIDING: rule}
    log.info(
        "Threshold refitted on the %s beats (%s): %.6g",
        "training" if split == "train" else "scored",
        rule.describe(),
        model.post.value,
    )
    return split


def test_saved(
    model: Any, datamodule: Any, *, rule: Any = None, accelerator: str = "auto"
) -> str | None:
    """Set the data module up, refit the threshold if a rule is given, run the test loop.

    Returns:
        The split a given rule was fitted on, else None.

    Raises:
        DataFormatError: The data's beats do not have the model's length.
    """
    import lightning as L

    from ecg_anomaly.cli import quiet_lightning

    quiet_lightning()
    datamodule.prepare_data()
    datamodule.setup("test")
    expected = int(model.normalizer.shift.numel())
    if datamodule.seq_len != expected:
        msg = (
            f"beats in {datamodule.source_path} have {datamodule.seq_len} values but the model "
            f"expects {expected}. Use a file made for this model."
        )
        raise DataFormatError(msg)
    fitted_on = None if rule is None else refit(model, datamodule, rule)
    n = len(datamodule.split_rows(datamodule.test_split))
    trainer = L.Trainer(
        accelerator=accelerator,
        devices=1,
        logger=False,
        # a bar for inputs of many batches, where a terminal shows it
        enable_progress_bar=sys.stderr.isatty() and n > 4 * datamodule.eval_batch_size,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    started = time.perf_counter()
    trainer.test(model, datamodule=datamodule, verbose=False)
    log.info("Scored %d beats in %.1f s", n, time.perf_counter() - started)
    return fitted_on
