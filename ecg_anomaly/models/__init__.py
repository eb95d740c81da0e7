"""The models: one LightningModule per family, all scoring beats the same way."""

from ecg_anomaly.models.autoencoder import ReconstructionModel
from ecg_anomaly.models.base import AnomalyModel
from ecg_anomaly.models.contractive_ae import ContractiveAutoencoder
from ecg_anomaly.models.conv_ae import ConvAutoencoder
from ecg_anomaly.models.dense_ae import DenseAutoencoder
from ecg_anomaly.models.lstm_ae import LSTMAutoencoder
from ecg_anomaly.models.lstm_classifier import LSTMClassifier
from ecg_anomaly.models.small_dense_ae import SmallDenseAutoencoder
from ecg_anomaly.models.vae import VariationalAutoencoder

__all__ = [
    "AnomalyModel",
    "ContractiveAutoencoder",
    "ConvAutoencoder",
    "DenseAutoencoder",
    "LSTMAutoencoder",
    "LSTMClassifier",
    "ReconstructionModel",
    "SmallDenseAutoencoder",
    "VariationalAutoencoder",
]
