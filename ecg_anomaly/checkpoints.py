"""Read an ecg-anomaly checkpoint safely and rebuild its model: the whole saved detector.

A checkpoint is read with ``torch.load(..., weights_only=True)``, which restores tensors and
plain Python values only and refuses anything else, so a checkpoint from a stranger cannot run
code. The model class named in the checkpoint is instantiated only if it is a subclass of
:class:`~ecg_anomaly.models.base.AnomalyModel` defined inside the ``ecg_anomaly.models`` package;
its post-processing (thresholds, score terms) comes back with its weights.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ecg_anomaly.errors import CheckpointError, ConfigError

#: The package whose model classes a checkpoint may name.
MODELS_PACKAGE = "ecg_anomaly.models"
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def read_checkpoint(path: str | os.PathLike, key: str = "ckpt_path") -> dict[str, Any]:
    """Read a checkpoint safely (tensors and plain values only).

    Args:
        path: The checkpoint file.
        key: The config key it came from, for messages.

    Returns:
        The checkpoint dict (with ``state_dict``).

    Raises:
        CheckpointError: Missing, unreadable, unsafe, or not a Lightning checkpoint.
    """
    path = Path(path).expanduser()
    where = f"{key}={path}"
    if not path.is_file():
        msg = f"{where}: checkpoint not found (relative paths start from {Path.cwd()})"
        raise CheckpointError(msg)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "Unsupported global" not in str(err):  # junk bytes, not a pickled object
            msg = f"{where} is not a readable PyTorch checkpoint ({_first_line(err)})"
            raise CheckpointError(msg) from None
        msg = (
            f"{where} holds Python objects other than tensors and plain values, so it was not "
            "loaded: unpickling them could run arbitrary code. ecg-anomaly checkpoints never "
            "contain such objects; only load checkpoints written by ecg-anomaly-train."
        )
        raise CheckpointError(msg) from None
    except Exception as err:  # a truncated or foreign file fails in many ways inside torch.load
        msg = (
            f"{where} is not a readable PyTorch checkpoint ({_first_line(err)}); "
            "give a checkpoint written by ecg-anomaly-train"
        )
        raise CheckpointError(msg) from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        msg = f"{where} is not a Lightning checkpoint (no state_dict)"
        raise CheckpointError(msg)
    return ckpt


def _first_line(err: BaseException) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


@dataclass(frozen=True)
class SavedData:
    """What a checkpoint says of the data its model was trained on.

    Attributes:
        settings: The data module's constructor arguments (they cut the same splits again).
        class_path: The data module's class.
        fingerprints: One fingerprint per training beat (None: not recorded).
        state: The data module's checkpoint entry as saved (written back by a re-save).
    """

    settings: dict[str, Any]
    class_path: str
    fingerprints: np.ndarray | None
    state: dict[str, Any]


def saved_data(ckpt: dict[str, Any]) -> SavedData | None:
    """The data settings, class and training-beat fingerprints a checkpoint holds, or None."""
    from ecg_anomaly.data.datamodule import CLASS_KEY, SETTINGS_KEY

    for value in ckpt.values():
        if isinstance(value, dict) and SETTINGS_KEY in value:
            fingerprints = value.get("train_fingerprints")
            fp = None if fingerprints is None else np.asarray(fingerprints.numpy())
            default = "ecg_anomaly.data.ecg5000.ECG5000DataModule"
            return SavedData(dict(value[SETTINGS_KEY]), str(value.get(CLASS_KEY, default)), fp,
                             dict(value))  # fmt: skip
    return None


def model_class(class_path: object, source: str = "the checkpoint") -> type:
    """The model class a checkpoint names, if it is allowed.

    Args:
        class_path: ``"ecg_anomaly.models.<module>.<Class>"``.
        source: Where the path comes from, for the message.

    Returns:
        The class, a subclass of ``AnomalyModel`` defined in ``ecg_anomaly.models``.

    Raises:
        CheckpointError: The path names anything else.
    """
    from ecg_anomaly.models.base import AnomalyModel

    refused = (
        f"{source} names the model class {class_path!r}; only subclasses of AnomalyModel in "
        f"the {MODELS_PACKAGE} package are loaded"
    )
    if not isinstance(class_path, str) or not _DOTTED.match(class_path):
        raise CheckpointError(refused)
    module_name, _, name = class_path.rpartition(".")
    if not module_name.startswith(MODELS_PACKAGE + ".") and module_name != MODELS_PACKAGE:
        raise CheckpointError(refused)
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        msg = f"{refused}; {class_path} does not exist in this version of ecg-anomaly"
        raise CheckpointError(msg) from None
    inside = getattr(cls, "__module__", "").startswith(MODELS_PACKAGE)
    if not (inspect.isclass(cls) and issubclass(cls, AnomalyModel) and inside):
        raise CheckpointError(refused)
    return cls


def model_from_checkpoint(
    ckpt: dict[str, Any], path: str, map_location: str | torch.device = "cpu"
) -> Any:
    """The model a checkpoint dict holds (see :func:`read_checkpoint`), in eval mode."""
    from ecg_anomaly.models.base import CHECKPOINT_KEY

    info = ckpt.get(CHECKPOINT_KEY)
    if not isinstance(info, dict) or "class_path" not in info:
        msg = f"{path} was not written by ecg-anomaly-train (no {CHECKPOINT_KEY!r} entry)"
        raise CheckpointError(msg)
    cls = model_class(info["class_path"], str(path))
    hparams = dict(ckpt.get("hyper_parameters") or {})
    try:
        model = cls(**hparams)
        model.on_load_checkpoint(ckpt)
        model.load_state_dict(ckpt["state_dict"])
    except (TypeError, RuntimeError, ValueError) as err:
        msg = f"{path} does not match {cls.__name__} of this ecg-anomaly version: {err}"
        raise CheckpointError(msg) from None
    return model.to(map_location).eval()


def load_model(
    path: str | os.PathLike, map_location: str | torch.device = "cpu", key: str = "ckpt_path"
) -> tuple[Any, dict[str, Any]]:
    """The model of a checkpoint file (eval mode) and the checkpoint dict itself.

    Raises:
        CheckpointError: Missing, unreadable, unsafe, or not written by ecg-anomaly.
    """
    ckpt = read_checkpoint(path, key)
    return model_from_checkpoint(ckpt, str(Path(path).expanduser()), map_location), ckpt


def rebuild_datamodule(
    class_path: str, saved: dict[str, Any], given: dict[str, Any], **kwargs: Any
) -> Any:
    """The data module a checkpoint names, cut as it was (``given`` settings replace saved ones).

    Raises:
        ConfigError: A class outside ecg-anomaly, or a ``data.*`` setting it does not take.
    """
    from ecg_anomaly.data.datamodule import BeatsDataModule

    module_name, _, name = class_path.rpartition(".")
    cls = None
    if module_name.startswith("ecg_anomaly."):
        cls = getattr(importlib.import_module(module_name), name, None)
    if not (isinstance(cls, type) and issubclass(cls, BeatsDataModule)):
        msg = f"the checkpoint names the data module {class_path!r}, which is not ecg-anomaly's"
        raise ConfigError(msg)
    try:
        return cls.from_settings(dict(saved), dict(given), **kwargs)
    except TypeError as err:
        keys = ", ".join(f"data.{k}" for k in given) or "none"
        msg = (
            f"the model's data ({cls.__name__}) cannot be rebuilt with the settings given "
            f"({keys}): {err}. Give only the data.* settings of this kind of data."
        )
        raise ConfigError(msg) from None
