"""The course exercise's supervised LSTM classifier: probability that a beat is abnormal."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn
from torch.nn import functional as F

from ecg_anomaly.models.base import AnomalyModel
from ecg_anomaly.models.components.layers import keras_init_, keras_lstm_init_


class LSTMClassifier(AnomalyModel):
    """LSTM over the beat as a sequence of one-dimensional steps, dropout, linear, sigmoid.

    Trained with binary cross-entropy on all labelled training beats (abnormal = 1); the
    anomaly score is the predicted probability of abnormal.

    Args:
        seq_len: Samples per beat (from the data).
        hidden_size: LSTM units.
        dropout: Dropout on the last hidden state.
        keras_init: Initialise like Keras (Glorot, orthogonal, forget-gate bias 1).
        **kwargs: ``normalization``, ``optimizer``, ``scheduler``.
    """

    supervised: ClassVar[bool] = True

    def __init__(
        self,
        seq_len: int = 140,
        hidden_size: int = 100,
        dropout: float = 0.25,
        keras_init: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(seq_len=seq_len, **kwargs)
        self.lstm = nn.LSTM(1, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, 1)
        if keras_init:
            keras_lstm_init_(self.lstm)
            keras_init_(self.head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logit of abnormal for normalised beats ``(n, seq_len)``, shape ``(n,)``."""
        _, (h, _) = self.lstm(x.unsqueeze(-1))
        return self.head(self.dropout(h[-1])).squeeze(-1)

    def compute_loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(self(x), y.float())

    def anomaly_score(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self(x))
