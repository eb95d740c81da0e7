"""A saved detector as one graph that runs without ecg-anomaly: ONNX or a torch.export program.

The graph is the whole detector, as :meth:`~ecg_anomaly.models.base.AnomalyModel.processed_batch`
runs it: raw beats -> the model's normaliser -> its anomaly score -> the post-processing's score
terms -> ``score >= threshold``, the fitted threshold baked in as a constant.

- Inputs: ``beats`` float32 ``(n, seq_len)`` (any ``n``); a model whose score reads per-beat
  features (a recording model with the timing term) also takes ``prematurity`` float64 ``(n,)``,
  and one whose timing term scores the QRS ``qrs_distance`` float64 ``(n,)`` too
  (:func:`~ecg_anomaly.recordings.features.qrs_distance`).
- Outputs: ``scores`` float64 ``(n,)`` (higher = more abnormal, the values of ``scores.csv``)
  and ``flags`` int64 ``(n,)`` (1 abnormal, 0 normal). The decision is taken in float64, as
  the evaluation that writes ``metrics.json`` and ``scores.csv`` takes it.

``format=onnx`` needs the ``export`` extra (torch's exporter uses ``onnx`` and ``onnxscript``;
``onnxruntime`` runs the file); ``format=torch`` writes an ``ExportedProgram``
(``torch.export.save``, read back by ``torch.export.load``). See ``docs/export.md``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from ecg_anomaly.errors import ConfigError
from ecg_anomaly.utils.config import config_dir, register_search_path_plugin

log = logging.getLogger(__name__)


def export(cfg: DictConfig) -> dict[str, Any]:
    """Write the detector of ``cfg.ckpt_path`` as ``cfg.format`` to ``cfg.output``.

    Args:
        cfg: The composed config (``conf/export.yaml``).

    Returns:
        The summary printed as JSON.
    """
    from ecg_anomaly.anomaly.thresholds import ManualThreshold
    from ecg_anomaly.apply import rule_from_config
    from ecg_anomaly.checkpoints import load_model
    from ecg_anomaly.exported.files import FORMATS, check_format, export_detector, input_shape
    from ecg_anomaly.runs import claim_for

    format = check_format(str(cfg.format))
    ckpt_path = Path(cfg.ckpt_path).expanduser().absolute()
    model, _ = load_model(ckpt_path)
    rule = rule_from_config(cfg)
    if rule is not None and not isinstance(rule, ManualThreshold):
        msg = (
            f"threshold={cfg.threshold.get('_target_', '?').rsplit('.', 1)[-1]} is fitted on "
            "scored beats, which export does not have: the graph bakes in the checkpoint's "
            "threshold (leave threshold unset) or a fixed one (threshold=manual "
            "threshold.value=<score>)"
        )
        raise ConfigError(msg)
    if rule is not None:
        model.post.set_rules(rule)
        model.post.set_thresholds(float(rule.value))
    default = Path(cfg.paths.output_dir) / f"model{FORMATS[format]}"
    output = Path(cfg.output or default).expanduser().absolute()
    log.info("Exporting %s (%s) as %s", type(model).__name__, ckpt_path.name, format)
    with claim_for(cfg):
        result = export_detector(model, output, format, check=bool(cfg.check), opset=cfg.opset)
    checked = {"onnx": "onnxruntime", "torch": "torch.export.load"}[format]
    log.info("Wrote %s (%d bytes) in %.1f s", result.path, result.bytes, result.seconds)
    if result.max_difference is None:
        log.warning("%s is not installed: the written file was not checked", checked)
    elif cfg.check:
        log.info("Checked with %s: largest score difference %.3g", checked, result.max_difference)
    return {
        "checkpoint": str(ckpt_path),
        "format": format,
        "output": str(result.path),
        "model": type(model).__name__,
        "inputs": {name: input_shape(name, model) for name in result.inputs},
        "outputs": {"scores": "float64 (n,)", "flags": "int64 (n,), 1 = abnormal"},
        "threshold": result.threshold,
        "bytes": result.bytes,
        "seconds": round(result.seconds, 3),
        "checked_with": None if result.max_difference is None else checked,
        "max_score_difference": result.max_difference,
    }


register_search_path_plugin()  # $ECG_ANOMALY_CONFIG_DIR, whatever the install


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="export")
def _main(cfg: DictConfig) -> None:
    from ecg_anomaly.cli import run_task

    summary = run_task(export, cfg)
    if isinstance(summary, dict):
        print(json.dumps(summary, indent=2))


def main() -> None:
    """Console entry point: bad input ends with a message and exit code 2, not a traceback."""
    from ecg_anomaly.cli import console_main

    console_main(_main)


if __name__ == "__main__":
    main()
