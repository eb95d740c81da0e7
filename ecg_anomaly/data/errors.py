"""Exceptions raised for bad or missing input data.

Every message says which file (and row or column, where there is one) is wrong and how to
fix it, so a user never has to read a traceback to find the problem.
"""

from __future__ import annotations


class DataError(Exception):
    """Base class of all data errors raised by ecg-anomaly."""


class DataFormatError(DataError, ValueError):
    """A data file exists but its content cannot be used (layout, values or labels)."""


class DataNotFoundError(DataError, FileNotFoundError):
    """No data file could be found, read from the cache or downloaded."""
