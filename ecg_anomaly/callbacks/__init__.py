"""Lightning callbacks: thresholds and evaluation, best weights, checkpoints to resume from."""

from ecg_anomaly.callbacks.checkpoint import ResumeCheckpoint
from ecg_anomaly.callbacks.detection import DetectionCallback
from ecg_anomaly.callbacks.restore_best import RestoreBestWeights

__all__ = ["DetectionCallback", "RestoreBestWeights", "ResumeCheckpoint"]
