"""Lightning callbacks: the best weights restored, checkpoints to resume from."""

from ecg_anomaly.callbacks.checkpoint import ResumeCheckpoint
from ecg_anomaly.callbacks.restore_best import RestoreBestWeights

__all__ = ["RestoreBestWeights", "ResumeCheckpoint"]
