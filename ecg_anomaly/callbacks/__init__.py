"""Lightning callbacks that fit thresholds and compute metrics after training."""

from ecg_anomaly.callbacks.metrics import MetricsCallback
from ecg_anomaly.callbacks.report import ReportCallback
from ecg_anomaly.callbacks.restore_best import RestoreBestWeights
from ecg_anomaly.callbacks.threshold import ThresholdCallback

__all__ = ["MetricsCallback", "ReportCallback", "RestoreBestWeights", "ThresholdCallback"]
