"""ECG5000 data: sources, parsing, splits, normalisation and the DataModule."""

from ecg_anomaly.data.datamodule import BeatsDataModule
from ecg_anomaly.data.ecg5000 import ECG5000DataModule
from ecg_anomaly.data.labels import ABNORMAL, NORMAL

__all__ = ["ABNORMAL", "NORMAL", "BeatsDataModule", "ECG5000DataModule"]
