"""The course lab's contractive autoencoder: the tutorial's network plus a Jacobian penalty."""

from __future__ import annotations

from typing import Any

import torch

from ecg_anomaly.models.components.jacobian import jacobian_penalty
from ecg_anomaly.models.dense_ae import DenseAutoencoder
from ecg_anomaly.models.losses import check_reduction, per_beat_error


class ContractiveAutoencoder(DenseAutoencoder):
    """Dense autoencoder with a contractive penalty on its encoder.

    The loss of a batch is the batch mean of the reconstruction error plus
    ``contractive_weight`` times the squared Frobenius norm of the encoder's Jacobian at each
    beat, reduced over the batch by ``penalty_reduction``: ``"sum"`` is what the lab gets from
    Keras 3 (``add_loss`` of the per-beat penalties, which Keras 3 sums), ``"mean"`` makes the
    penalty's weight independent of the batch size.

    The Jacobian of the whole batch is computed in closed form layer by layer (see
    :func:`~ecg_anomaly.models.components.jacobian.batch_jacobian`), without a loop over beats.

    Args:
        contractive_weight: Weight of the Jacobian penalty (the lab's 1e-4).
        penalty_reduction: ``"sum"`` (the lab, Keras 3) or ``"mean"`` over the batch.
        **kwargs: Those of :class:`~ecg_anomaly.models.DenseAutoencoder`.
    """

    def __init__(
        self, contractive_weight: float = 1e-4, penalty_reduction: str = "sum", **kwargs: Any
    ) -> None:
        kwargs.setdefault("loss", "mse")
        super().__init__(**kwargs)
        self.contractive_weight = contractive_weight
        self.penalty_reduction = check_reduction("penalty_reduction", penalty_reduction)

    def compute_loss(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        rec = per_beat_error(self(x), x, self.loss_kind).mean()
        per_beat = jacobian_penalty(self.encoder, x)
        penalty = per_beat.sum() if self.penalty_reduction == "sum" else per_beat.mean()
        loss = rec + self.contractive_weight * penalty
        # "jacobian" is the per-beat mean whatever the reduction, so runs compare
        return {"loss": loss, "reconstruction": rec, "jacobian": per_beat.mean()}
