"""A saved detector as one graph that runs without ecg-anomaly: ONNX or a torch.export program.

The graph is the whole detector, as :meth:`~ecg_anomaly.models.base.AnomalyModel.processed_batch`
runs it: raw beats -> the model's normaliser -> its anomaly score -> the post-processing's score
terms -> ``score >= threshold``, the fitted threshold baked in as a constant.

- Inputs: ``beats`` float32 ``(n, seq_len)`` (any ``n``); a model whose score reads per-beat
  features (a recording model with the timing term) also takes ``prematurity`` float64 ``(n,)``.
- Outputs: ``scores`` float64 ``(n,)`` (higher = more abnormal, the values of ``scores.csv``)
  and ``flags`` int64 ``(n,)`` (1 abnormal, 0 normal). The decision is taken in float64, as
  the evaluation that writes ``metrics.json`` and ``scores.csv`` takes it.

``format=onnx`` needs the ``export`` extra (torch's exporter uses ``onnx`` and ``onnxscript``;
``onnxruntime`` runs the file); ``format=torch`` writes an ``ExportedProgram``
(``torch.export.save``, read back by ``torch.export.load``). See ``docs/export.md``.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
from omegaconf import DictConfig
from torch import nn

from ecg_anomaly.errors import ConfigError, bad_value
from ecg_anomaly.utils.config import config_dir, register_search_path_plugin

log = logging.getLogger(__name__)

#: Export formats and the suffix of their files.
FORMATS = {"onnx": ".onnx", "torch": ".pt2"}
#: Names of the graph's inputs and outputs.
BEATS, PREMATURITY = "beats", "prematurity"
OUTPUTS = ("scores", "flags")
#: What torch's ONNX exporter imports (``format=onnx``).
ONNX_PACKAGES = ("onnx", "onnxscript")
#: Beats the written file is checked on against PyTorch.
CHECK_BEATS = 64


class TimingScore(nn.Module):
    """:class:`~ecg_anomaly.recordings.timing.TimingTerm` in operators every runtime has.

    The same numbers as the term's ``forward``: the median and top of the reference are computed
    once here (the term computes them per batch, with a branch a graph cannot hold), and the
    empirical CDF's ``searchsorted`` (no ONNX operator) is a binary search unrolled into a fixed
    number of gather-and-compare steps.
    """

    def __init__(self, reference: torch.Tensor, scale: float) -> None:
        super().__init__()
        reference = reference.detach().double().flatten().cpu()
        top, mid = reference[-1], torch.quantile(reference, 0.5)
        self.register_buffer("reference", reference)
        self.register_buffer("top", top.clone())
        self.register_buffer("spread", top - mid if top > mid else torch.ones_like(top))
        # a float64 tensor: torch's ONNX exporter stores a Python float as float32 first
        self.register_buffer("scale", torch.tensor(float(scale), dtype=torch.float64))

    def count_at_most(self, values: torch.Tensor) -> torch.Tensor:
        """Reference entries <= each value: ``searchsorted(reference, values, right=True)``."""
        n = self.reference.numel()
        lo = torch.zeros_like(values, dtype=torch.long)
        hi = torch.full_like(lo, n)
        for _ in range(n.bit_length()):  # each step halves every beat's interval [lo, hi]
            active = lo < hi
            mid = torch.div(lo + hi, 2, rounding_mode="floor")
            right = active & (self.reference[mid.clamp(max=n - 1)] <= values)
            lo = torch.where(right, mid + 1, lo)
            hi = torch.where(active & ~right, mid, hi)
        return lo

    def forward(self, scores: torch.Tensor, prematurity: torch.Tensor) -> torch.Tensor:
        shape = scores.double()
        # int64 / int: float32, then float64 when added, exactly as the term computes its CDF
        cdf = self.count_at_most(shape) / self.reference.numel()
        by_shape = cdf + torch.clamp(shape - self.top, min=0.0) / self.spread
        return by_shape + prematurity.double() / self.scale


def exportable_term(term: nn.Module) -> nn.Module:
    """The graph form of a fitted score term.

    Raises:
        ConfigError: A term with no graph form (a new term needs one here).
    """
    from ecg_anomaly.recordings.timing import TimingTerm

    if type(term) is TimingTerm:
        return TimingScore(term.reference, term.scale)
    msg = (
        f"the score term {term.name!r} ({type(term).__name__}) has no exportable form yet; "
        "add one to ecg_anomaly/export.py (exportable_term)"
    )
    raise ConfigError(msg)


class ExportedDetector(nn.Module):
    """A model and its post-processing as one module: raw beats in, ``(scores, flags)`` out.

    Args:
        model: A loaded :class:`~ecg_anomaly.models.base.AnomalyModel` with a fitted threshold
            (``ecg_anomaly.checkpoints.load_model``).

    Raises:
        ConfigError: The model has no threshold, or a score term that cannot be exported.
    """

    def __init__(self, model: Any) -> None:
        super().__init__()
        if not model.post.fitted:
            msg = (
                "the model has no fitted threshold, so the graph could not flag beats: give one "
                "with threshold=manual threshold.value=<score> (Python: model.post.set_thresholds)"
            )
            raise ConfigError(msg)
        self.model = model
        self.terms = nn.ModuleList(
            exportable_term(t) for t in model.post.terms.values() if t.fitted
        )
        # a graph constant of the same float64 value the saved post-processing holds
        self.register_buffer("threshold", model.post.threshold.detach().double().cpu().clone())

    @property
    def seq_len(self) -> int:
        return int(self.model.normalizer.shift.numel())

    @property
    def input_names(self) -> tuple[str, ...]:
        """``("beats",)``, or ``("beats", "prematurity")`` with the timing term.

        The timing term is the only one with a graph form (see :func:`exportable_term`).
        """
        return (BEATS, PREMATURITY) if len(self.terms) else (BEATS,)

    def forward(
        self, beats: torch.Tensor, prematurity: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        # float32 model scores, as model.score gives them; terms and decision in float64
        scores = self.model.anomaly_score(self.model.normalizer(beats.float())).float().double()
        for term in self.terms:
            scores = term(scores, prematurity)
        return scores, (scores >= self.threshold).long()

    def example_inputs(self, n: int = 2, seed: int = 0) -> tuple[torch.Tensor, ...]:
        """Beats inside the normaliser's range (and prematurities in [0, 0.3) where needed)."""
        gen = torch.Generator().manual_seed(seed)
        beats = self.model.normalizer.inverse(torch.rand(n, self.seq_len, generator=gen))
        beats = beats.float().detach().cpu()
        if len(self.input_names) == 1:
            return (beats,)
        return beats, 0.3 * torch.rand(n, generator=gen, dtype=torch.float64)


@dataclass
class ExportResult:
    """What :func:`export_detector` wrote.

    Attributes:
        path: The written file.
        format: ``onnx`` or ``torch``.
        inputs: The graph's input names, in order.
        threshold: The threshold baked in.
        seconds: Time to export and write (not to check).
        bytes: Size of the file.
        max_difference: Largest difference of the file's scores to PyTorch's on the check
            beats (None: not checked).
        metadata: The settings stored in the file (ONNX metadata, ``ecg_anomaly.json``).
    """

    path: Path
    format: str
    inputs: tuple[str, ...]
    threshold: float
    seconds: float
    bytes: int
    max_difference: float | None = None
    metadata: dict[str, str] = field(default_factory=dict, repr=False)


def check_format(format: str) -> str:
    """The format, if known, with its packages installed.

    Raises:
        ConfigError: An unknown format, or ``onnx`` without the ``export`` extra.
    """
    if format not in FORMATS:
        raise bad_value("format", format, FORMATS)
    missing = [p for p in ONNX_PACKAGES if importlib.util.find_spec(p) is None]
    if format == "onnx" and missing:
        msg = (
            f"format=onnx needs the package(s) {', '.join(missing)} (torch's ONNX exporter): "
            'install the export extra (pip install -e ".[export]" in a checkout, or pip install '
            "onnx onnxscript onnxruntime), or write a torch.export program with format=torch"
        )
        raise ConfigError(msg)
    return format


def export_detector(
    model: Any,
    path: str | os.PathLike,
    format: str = "onnx",
    *,
    check: bool = True,
    opset: int | None = None,
) -> ExportResult:
    """Write a model and its post-processing as one graph (see the module docstring).

    Args:
        model: The model, with a fitted threshold (its training mode is restored afterwards).
        path: The file to write (written atomically).
        format: ``onnx`` or ``torch`` (:data:`FORMATS`).
        check: Run the written file on sample beats against PyTorch (``onnx``: only where
            onnxruntime is installed).
        opset: ONNX opset version (None: torch's default).

    Returns:
        What was written.

    Raises:
        ConfigError: Unknown format, missing packages, no threshold, a term or model that
            cannot be exported (scores that change from call to call).
        RuntimeError: The written file does not score like PyTorch (a bug).
    """
    from ecg_anomaly.utils.results import atomic_path

    if not isinstance(path, str | os.PathLike):
        msg = f"export writes a file: give its path (str or Path), not {type(path).__name__}"
        raise TypeError(msg)
    check_format(format)
    was_training, device = model.training, model.device
    detector = ExportedDetector(model).eval().cpu()
    try:
        inputs = detector.example_inputs()
        _check_deterministic(detector, inputs)
        metadata = _metadata(detector)
        path = Path(path).expanduser()
        with atomic_path(path) as tmp:
            start = time.perf_counter()
            if format == "onnx":
                _write_onnx(detector, inputs, tmp, opset, metadata)
            else:
                _write_program(detector, inputs, tmp, metadata)
            seconds = time.perf_counter() - start
            difference = _check_file(detector, tmp, format) if check else None
    finally:
        model.train(was_training).to(device)
    return ExportResult(path, format, detector.input_names, float(detector.threshold), seconds,
                        path.stat().st_size, difference, metadata)  # fmt: skip


def _check_deterministic(detector: ExportedDetector, inputs: tuple[torch.Tensor, ...]) -> None:
    with torch.no_grad():
        first, second = detector(*inputs)[0], detector(*inputs)[0]
    if not torch.equal(first, second):
        msg = (
            f"{type(detector.model).__name__} gives different scores to the same beats (a VAE "
            "with model.score_with=sample draws its code); an exported graph must be "
            "deterministic: score from the mean code (score_with=mean)"
        )
        raise ConfigError(msg)


def _metadata(detector: ExportedDetector) -> dict[str, str]:
    """What a runtime's user needs to know, stored in the file (ONNX metadata / extra file)."""
    from importlib.metadata import PackageNotFoundError, version

    model = detector.model
    try:
        ours = version("ecg-anomaly")
    except PackageNotFoundError:
        ours = "unknown"
    described = model.post.describe()
    return {
        "ecg_anomaly_version": ours,
        "model": type(model).__name__,
        "seq_len": str(detector.seq_len),
        "normalization": model.normalizer.kind,
        "threshold": repr(float(detector.threshold)),
        "threshold_rule": str(described.get("threshold_rule", "set by hand")),
        "score_terms": json.dumps(described.get("score_terms", [])),
        "inputs": ", ".join(detector.input_names),
        "outputs": "scores float64 (n,), flags int64 (n,): 1 where scores >= threshold",
    }


def _dynamic_shapes(detector: ExportedDetector) -> dict[str, Any]:
    n = torch.export.Dim("n", min=1)
    return {name: {0: n} for name in detector.input_names}


@contextmanager
def _quiet() -> Iterator[None]:
    """No exporter chatter: each optimiser pass, operators of packages we do not use."""
    loggers = [logging.getLogger(name) for name in _NOISY]
    levels = [logger.level for logger in loggers]
    try:
        with warnings.catch_warnings():
            # two inputs share the batch axis "n": torch says it keeps one name for both
            warnings.filterwarnings("ignore", message=".*axis name", category=UserWarning)
            warnings.filterwarnings("ignore", message=".*LeafSpec", category=FutureWarning)
            # nn.LSTM's flattened weights, which it rebuilds on every call
            warnings.filterwarnings("ignore", ".*assigned during export", UserWarning)
            warnings.filterwarnings("ignore", ".*_check_is_size", FutureWarning)  # LSTM's
            for logger in loggers:
                logger.setLevel(logging.ERROR)
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


_NOISY = ("onnx_ir", "onnxscript", "torch.onnx", "torch.export", "torch._export")


def _write_program(
    detector: ExportedDetector, inputs: tuple[torch.Tensor, ...], tmp: Path, meta: dict[str, str]
) -> None:
    with _quiet():
        program = torch.export.export(detector, inputs, dynamic_shapes=_dynamic_shapes(detector))
    with tmp.open("wb") as file:  # a file object: torch names archives by their suffix
        torch.export.save(program, file, extra_files={"ecg_anomaly.json": json.dumps(meta)})


def _write_onnx(
    detector: ExportedDetector,
    inputs: tuple[torch.Tensor, ...],
    tmp: Path,
    opset: int | None,
    meta: dict[str, str],
) -> None:
    import onnx

    with _quiet():
        program = torch.onnx.export(
            detector,
            inputs,
            input_names=list(detector.input_names),
            output_names=list(OUTPUTS),
            dynamic_shapes=_dynamic_shapes(detector),
            opset_version=opset,
            dynamo=True,
            verbose=False,
        )
    proto = program.model_proto
    onnx.helper.set_model_props(proto, meta)
    onnx.save(proto, str(tmp))  # one file: weights inline (the models are far below 2 GB)


def _check_file(detector: ExportedDetector, tmp: Path, format: str) -> float | None:
    """Largest score difference of the written file to PyTorch on sample beats.

    Returns:
        The difference; None where no onnxruntime can run an ONNX file.

    Raises:
        RuntimeError: Scores differ by more than float32 rounding, or a flag differs away from
            the threshold.
    """
    inputs = detector.example_inputs(CHECK_BEATS, seed=1)
    with torch.no_grad():
        expected, _ = detector(*inputs)
    if format == "torch":
        with tmp.open("rb") as file:
            program = torch.export.load(file)
        with torch.no_grad():
            scores, flags = (t.numpy() for t in program.module()(*inputs))
    else:
        if importlib.util.find_spec("onnxruntime") is None:
            return None
        import onnxruntime

        session = onnxruntime.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
        feed = {name: t.numpy() for name, t in zip(detector.input_names, inputs, strict=True)}
        scores, flags = session.run(list(OUTPUTS), feed)
    expected = expected.numpy()
    threshold = float(detector.threshold)
    # float32 arithmetic of another runtime differs from PyTorch's in the last bits only
    bound = 1e-5 * float(np.max(np.abs(expected), initial=0.0)) + 1e-12
    difference = float(np.max(np.abs(scores - expected), initial=0.0))
    away = np.abs(expected - threshold) > bound
    if not difference <= bound or not np.array_equal(flags[away], (expected >= threshold)[away]):
        msg = f"the exported file scores beats unlike PyTorch (largest difference {difference:.3g})"
        raise RuntimeError(msg)
    return difference


# -- the console entry point -----------------------------------------------------------------


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
        "inputs": {name: _INPUT_SHAPES[name](model) for name in result.inputs},
        "outputs": {"scores": "float64 (n,)", "flags": "int64 (n,), 1 = abnormal"},
        "threshold": result.threshold,
        "bytes": result.bytes,
        "seconds": round(result.seconds, 3),
        "checked_with": None if result.max_difference is None else checked,
        "max_score_difference": result.max_difference,
    }


_INPUT_SHAPES = {
    BEATS: lambda model: f"float32 (n, {int(model.normalizer.shift.numel())})",
    PREMATURITY: lambda model: "float64 (n,)",
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
    from ecg_anomaly.cli import check_group_values

    check_group_values(sys.argv[1:])
    _main()


if __name__ == "__main__":
    main()
