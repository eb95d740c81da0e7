"""Data errors (kept importable from here; they live in :mod:`ecg_anomaly.errors`)."""

from ecg_anomaly.errors import DataError, DataFormatError, DataNotFoundError

__all__ = ["DataError", "DataFormatError", "DataNotFoundError"]
