"""Every error ecg-anomaly reports to a user, in one place.

Each class stands for one kind of mistake a user can fix; its message says what was wrong,
where (the file with line and column, the config key, the checkpoint) and how to fix it. The
entry points (:mod:`ecg_anomaly.cli`) print such an error as one paragraph and exit with code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class EcgAnomalyError(Exception):
    """Base class of the errors a user can fix (reported without a traceback)."""


class ConfigError(EcgAnomalyError, ValueError):
    """A setting that cannot work; the message names the key, the value and what is allowed."""


class DataError(EcgAnomalyError):
    """Base class of all data errors."""


class DataFormatError(DataError, ValueError):
    """A data file exists but its content cannot be used (layout, values or labels)."""


class DataNotFoundError(DataError, FileNotFoundError):
    """No data file could be found, read from the cache or downloaded."""


class CheckpointError(DataError, ValueError):
    """A checkpoint file is missing, unreadable, unsafe, or was not written by ecg-anomaly."""


class RunFolderError(EcgAnomalyError):
    """A run folder is in use, finished, or cannot be written."""


def bad_value(key: str, value: Any, allowed: str | Iterable[Any], fix: str = "") -> ConfigError:
    """A :class:`ConfigError` for ``key=value`` naming what is allowed.

    Args:
        key: The config key as a user types it (``data.normalization``).
        value: The value given.
        allowed: The allowed values (an iterable is listed) or a description (``"> 0"``).
        fix: An extra sentence on how to fix it.

    Returns:
        The error, to be raised by the caller.
    """
    if not isinstance(allowed, str):
        allowed = "one of " + ", ".join(str(a) for a in allowed)
    msg = f"{key}={value!r} is not allowed: use {allowed}."
    if fix:
        msg += f" {fix}"
    return ConfigError(msg)
