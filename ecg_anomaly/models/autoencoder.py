"""Autoencoders: trained to reconstruct normal beats, scored by their reconstruction error."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from ecg_anomaly.errors import bad_value
from ecg_anomaly.models.base import AnomalyModel
from ecg_anomaly.models.losses import ERRORS, per_beat_error


class ReconstructionModel(AnomalyModel):
    """An autoencoder: trained to reconstruct normal beats, scored by reconstruction error.

    Args:
        loss: Training reconstruction error, ``"mae"`` or ``"mse"``.
        score: Per-beat error used as anomaly score, ``"mae"`` or ``"mse"``.
        **kwargs: Passed to :class:`AnomalyModel`.
    """

    #: Training losses the model accepts (``model.loss``).
    LOSSES: ClassVar[tuple[str, ...]] = ERRORS

    def __init__(self, *, loss: str = "mae", score: str = "mae", **kwargs: Any) -> None:
        if loss not in self.LOSSES:
            raise bad_value("model.loss", loss, self.LOSSES)
        if score not in ERRORS:
            raise bad_value("model.score", score, ERRORS)
        super().__init__(**kwargs)
        self.loss_kind = loss
        self.score_kind = score

    def compute_loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return per_beat_error(self(x), x, self.loss_kind).mean()

    def anomaly_score(self, x: torch.Tensor) -> torch.Tensor:
        return per_beat_error(self.reconstruct(x), x, self.score_kind)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct normalised beats ``(n, seq_len)``: the decoder of the encoder's code."""
        return self.decoder(self.encoder(x))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction ``(n, seq_len)`` of normalised beats (dropout off in eval mode)."""
        return self(x)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent code ``(n, d)`` of normalised beats (for latent-space plots)."""
        return self.encoder(x).flatten(1)

    encoder: nn.Module
    decoder: nn.Module
