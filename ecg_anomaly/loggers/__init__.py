"""Loggers of the project's own: a CSV logger that appends when a run resumes."""

from ecg_anomaly.loggers.csv import CSVLogger

__all__ = ["CSVLogger"]
