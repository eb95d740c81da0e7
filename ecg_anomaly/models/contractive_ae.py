"""The course lab's contractive autoencoder: the tutorial's network plus a Jacobian penalty."""

from __future__ import annotations

from typing import Any

import torch

from ecg_anomaly.models.components.jacobian import jacobian_penalty
from ecg_anomaly.models.dense_ae import DenseAutoencoder
from ecg_anomaly.models.losses import per_beat_error


class ContractiveAutoencoder(DenseAutoencoder):
    """Dense autoencoder with a contractive penalty on its encoder.

    The loss adds ``contractive_weight`` times the squared Frobenius norm of the encoder's
    Jacobian at each beat (averaged over the batch).

    The Jacobian of the whole batch is computed in closed form layer by layer (see
    :func:`~ecg_anomaly.models.components.jacobian.batch_jacobian`), without a loop over beats.

    Args:
        contractive_weight: Weight of the Jacobian penalty (the lab's 1e-4).
        **kwargs: Those of :class:`~ecg_anomaly.models.DenseAutoencoder`.
    """

    def __init__(self, contractive_weight: float = 1e-4, **kwargs: Any) -> None:
        kwargs.setdefault("loss", "mse")
        super().__init__(**kwargs)
        self.contractive_weight = contractive_weight

    def compute_loss(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        rec = per_beat_error(self(x), x, self.loss_kind).mean()
        penalty = jacobian_penalty(self.encoder, x).mean()
        loss = rec + self.contractive_weight * penalty
        return {"loss": loss, "reconstruction": rec, "jacobian": penalty}
