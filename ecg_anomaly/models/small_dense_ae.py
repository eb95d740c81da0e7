"""The Kaggle notebook's small dense autoencoder (140-14-7-4-7-14-140) with dropout."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ecg_anomaly.models.autoencoder import ReconstructionModel
from ecg_anomaly.models.components.layers import keras_init_
from ecg_anomaly.models.losses import check_reduction, per_beat_error


class SmallDenseAutoencoder(ReconstructionModel):
    """Small dense autoencoder of the Kaggle ECG5000 notebook.

    ``seq_len -> 14`` (tanh, L2 activity penalty) ``-> dropout -> 7`` (ReLU) ``-> 4`` (leaky
    ReLU) ``-> 7`` (ReLU) ``-> dropout -> 14`` (ReLU) ``-> seq_len`` (tanh).

    Args:
        seq_len: Samples per beat (from the data).
        activity_l2: Weight of the L2 activity penalty on the first layer's output
            ``activity_l2 * sum(h ** 2)`` of each beat, added to the loss.
        activity_reduction: How the per-beat penalties are reduced over the batch: ``"mean"``
            (Keras 2 divides the regulariser by the batch size) or ``"sum"`` (Keras 3 adds the
            regulariser of the whole batch).
        dropout: Dropout rate of the two dropout layers.
        negative_slope: Slope of the leaky ReLU (TensorFlow's ``leaky_relu`` default 0.2).
        keras_init: Glorot-uniform weights and zero biases, as in Keras.
        **kwargs: ``loss``, ``score``, ``normalization``, ``optimizer``, ``scheduler``.
    """

    def __init__(
        self,
        seq_len: int = 140,
        activity_l2: float = 1e-7,
        activity_reduction: str = "mean",
        dropout: float = 0.2,
        negative_slope: float = 0.2,
        keras_init: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(seq_len=seq_len, **kwargs)
        self.activity_l2 = activity_l2
        self.activity_reduction = check_reduction("activity_reduction", activity_reduction)
        self.first = nn.Sequential(nn.Linear(seq_len, 14), nn.Tanh())
        self.encoder_rest = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(14, 7),
            nn.ReLU(),
            nn.Linear(7, 4),
            nn.LeakyReLU(negative_slope),
        )
        self.decoder = nn.Sequential(
            nn.Linear(4, 7),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(7, 14),
            nn.ReLU(),
            nn.Linear(14, seq_len),
            nn.Tanh(),
        )
        if keras_init:
            keras_init_(self)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent code ``(n, 4)`` of normalised beats."""
        return self.encoder_rest(self.first(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct normalised beats."""
        return self.decoder(self.encode(x))

    def compute_loss(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.first(x)
        recon = self.decoder(self.encoder_rest(h))
        rec = per_beat_error(recon, x, self.loss_kind).mean()
        per_beat = h.square().sum(dim=1)
        reduced = per_beat.sum() if self.activity_reduction == "sum" else per_beat.mean()
        activity = self.activity_l2 * reduced
        return {"loss": rec + activity, "reconstruction": rec, "activity": activity}
