"""Write the graph of a detector to a file, atomically, and check it against PyTorch.

``format=onnx`` needs the ``export`` extra (torch's exporter uses ``onnx`` and ``onnxscript``;
``onnxruntime`` runs the file); ``format=torch`` writes an ``ExportedProgram``
(``torch.export.save``, read back by ``torch.export.load``). See ``docs/export.md``.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ecg_anomaly.errors import ConfigError, bad_value
from ecg_anomaly.exported.graph import BEATS, OUTPUTS, PREMATURITY, QRS_DISTANCE, ExportedDetector

log = logging.getLogger(__name__)

#: Export formats and the suffix of their files.
FORMATS = {"onnx": ".onnx", "torch": ".pt2"}
#: What torch's ONNX exporter imports (``format=onnx``).
ONNX_PACKAGES = ("onnx", "onnxscript")
#: Beats the written file is checked on against PyTorch.
CHECK_BEATS = 64


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


def input_shape(name: str, model: Any) -> str:
    """The dtype and shape of one of the graph's inputs, in words (for the summary)."""
    if name == BEATS:
        return f"float32 (n, {int(model.normalizer.shift.numel())})"
    return "float64 (n,)" if name in (PREMATURITY, QRS_DISTANCE) else "?"
