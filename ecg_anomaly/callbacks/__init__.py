"""Lightning callbacks: fit thresholds and evaluate (DetectionCallback), restore best weights."""

from ecg_anomaly.callbacks.detection import DetectionCallback
from ecg_anomaly.callbacks.restore_best import RestoreBestWeights

__all__ = ["DetectionCallback", "RestoreBestWeights"]
