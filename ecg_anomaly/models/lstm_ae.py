"""The sequence-to-sequence LSTM autoencoder of the PyTorch ECG5000 tutorial (curiousily)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ecg_anomaly.models.autoencoder import ReconstructionModel


class LSTMEncoder(nn.Module):
    """Two LSTMs, ``1 -> 2 * embedding -> embedding``; the code is the last hidden state."""

    def __init__(self, embedding_dim: int = 128) -> None:
        super().__init__()
        self.rnn1 = nn.LSTM(1, 2 * embedding_dim, batch_first=True)
        self.rnn2 = nn.LSTM(2 * embedding_dim, embedding_dim, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Beats ``(n, seq_len)`` to codes ``(n, embedding_dim)``."""
        h, _ = self.rnn1(x.unsqueeze(-1))
        _, (code, _) = self.rnn2(h)
        return code[-1]


class LSTMDecoder(nn.Module):
    """Repeat the code at every step, then LSTMs ``embedding -> embedding -> 2 * embedding``.

    A linear layer maps each step's output to one value.
    """

    def __init__(self, seq_len: int, embedding_dim: int = 128) -> None:
        super().__init__()
        self.seq_len = seq_len
        self.rnn1 = nn.LSTM(embedding_dim, embedding_dim, batch_first=True)
        self.rnn2 = nn.LSTM(embedding_dim, 2 * embedding_dim, batch_first=True)
        self.output_layer = nn.Linear(2 * embedding_dim, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Codes ``(n, embedding_dim)`` to beats ``(n, seq_len)``."""
        h = z.unsqueeze(1).expand(-1, self.seq_len, -1)
        h, _ = self.rnn1(h)
        h, _ = self.rnn2(h)
        return self.output_layer(h).squeeze(-1)


class LSTMAutoencoder(ReconstructionModel):
    """Recurrent autoencoder: :class:`LSTMEncoder` then :class:`LSTMDecoder`.

    The tutorial trains it with the L1 loss (summed per beat; we average, which only rescales
    it) on the beats as given (``normalization: none``), with PyTorch's default
    initialisation.

    Args:
        seq_len: Samples per beat (from the data).
        embedding_dim: Size of the code (the tutorial's 128).
        **kwargs: ``loss``, ``score``, ``normalization``, ``optimizer``, ``scheduler``.
    """

    def __init__(self, seq_len: int = 140, embedding_dim: int = 128, **kwargs: Any) -> None:
        super().__init__(seq_len=seq_len, **kwargs)
        self.encoder = LSTMEncoder(embedding_dim)
        self.decoder = LSTMDecoder(seq_len, embedding_dim)
