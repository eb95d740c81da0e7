"""ECG5000 data: sources, parsing, splits, normalisation and the DataModule."""

from ecg_anomaly.data.datamodule import ECG5000DataModule
from ecg_anomaly.data.labels import ABNORMAL, NORMAL

__all__ = ["ABNORMAL", "NORMAL", "ECG5000DataModule"]
