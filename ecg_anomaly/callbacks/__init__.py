"""Lightning callbacks: the best weights restored, checkpoints to resume from, loss curves."""

from ecg_anomaly.callbacks.checkpoint import ResumeCheckpoint
from ecg_anomaly.callbacks.loss_curve import LossCurve
from ecg_anomaly.callbacks.restore_best import RestoreBestWeights

__all__ = ["LossCurve", "RestoreBestWeights", "ResumeCheckpoint"]
