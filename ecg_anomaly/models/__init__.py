"""The models: one LightningModule per family, all scoring beats the same way."""

from ecg_anomaly.models.base import AnomalyModel, ReconstructionModel
from ecg_anomaly.models.dense_ae import DenseAutoencoder

__all__ = ["AnomalyModel", "DenseAutoencoder", "ReconstructionModel"]
