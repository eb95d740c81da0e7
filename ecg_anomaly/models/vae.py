"""The course exercise's variational autoencoder, scored by reconstruction error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ecg_anomaly.models.base import AnomalyModel
from ecg_anomaly.models.components.layers import keras_init_, mlp
from ecg_anomaly.models.losses import (
    binary_cross_entropy,
    check_reduction,
    kl_divergence,
    per_beat_error,
)

SCORE_WITH = ("mean", "sample")


class VariationalAutoencoder(AnomalyModel):
    """Dense variational autoencoder, scored by the error of its reconstruction.

    Encoder ``seq_len -> 32 -> 16 -> 8`` (ReLU), then 8-d mean and log-variance; decoder
    ``latent -> 16 -> 32`` (ReLU) ``-> seq_len``.

    Loss of a batch: the batch mean of the binary cross-entropy of each beat's reconstruction
    (targets clamped to [0, 1]), averaged over its time steps (``tf.reduce_mean`` of Keras's
    ``binary_crossentropy``, the course exercise) or summed (Keras's VAE example,
    ``binary_crossentropy * original_dim``), plus ``kl_weight`` times the batch mean of the KL
    divergence of each code, averaged over the latent dimensions (the exercise) or summed.
    The KL weight can be ramped up linearly over ``kl_warmup_epochs`` epochs. Score: per-beat
    MAE of the reconstruction decoded from the mean code (deterministic) or from a sampled
    code (``score_with``).

    Args:
        seq_len: Samples per beat (from the data).
        hidden: Encoder widths; the decoder mirrors all but the last.
        latent_dim: Size of the code.
        output_activation: ``relu`` in the exercise (it can leave [0, 1], where the
            cross-entropy gives no gradient); ``sigmoid`` keeps it inside.
        reconstruction: ``"mean"`` (the exercise) or ``"sum"`` of the cross-entropy over time
            steps.
        kl_reduction: ``"mean"`` (the exercise) or ``"sum"`` of the KL term over latent
            dimensions.
        kl_weight: Weight of the KL term once warmed up.
        kl_warmup_epochs: Epochs over which the KL weight rises linearly from 0 (0: none).
        score_with: ``"mean"`` (deterministic, the exercise) or ``"sample"`` (a
            reparameterised draw).
        score: Reconstruction error used as score, ``"mae"`` or ``"mse"``.
        keras_init: Glorot-uniform weights and zero biases, as in Keras.
        **kwargs: ``normalization``, ``optimizer``, ``scheduler``.
    """

    def __init__(
        self,
        seq_len: int = 140,
        hidden: Sequence[int] = (32, 16, 8),
        latent_dim: int = 8,
        output_activation: str = "relu",
        reconstruction: str = "mean",
        kl_reduction: str = "mean",
        kl_weight: float = 1.0,
        kl_warmup_epochs: int = 0,
        score_with: str = "mean",
        score: str = "mae",
        keras_init: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(seq_len=seq_len, **kwargs)
        if score_with not in SCORE_WITH:
            msg = f"unknown score_with {score_with!r}; choose one of {', '.join(SCORE_WITH)}"
            raise ValueError(msg)
        check_reduction("reconstruction", reconstruction)
        check_reduction("kl_reduction", kl_reduction)
        hidden = list(hidden)
        self.encoder = mlp([seq_len, *hidden], "relu")
        self.to_mu = nn.Linear(hidden[-1], latent_dim)
        self.to_logvar = nn.Linear(hidden[-1], latent_dim)
        self.decoder = mlp([latent_dim, *hidden[-2::-1], seq_len], "relu", output_activation)
        self.score_with = score_with
        self.score_kind = score
        if keras_init:
            keras_init_(self)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Mean code ``(n, latent_dim)`` of normalised beats (for latent-space plots)."""
        return self.to_mu(self.encoder(x))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction ``(n, seq_len)`` of normalised beats, decoded from the mean code.

        Deterministic whatever ``score_with`` says (for plots).
        """
        return self.decoder(self.encode(x))

    def forward(
        self, x: torch.Tensor, sample: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reconstruction, mean and log-variance of normalised beats.

        Args:
            x: Normalised beats ``(n, seq_len)``.
            sample: Decode a reparameterised sample (else the mean code).
        """
        h = self.encoder(x)
        mu, logvar = self.to_mu(h), self.to_logvar(h)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if sample else mu
        return self.decoder(z), mu, logvar

    def kl_weight_now(self) -> float:
        """The KL weight of the current epoch (after warm-up: ``kl_weight``)."""
        w, warmup = self.hparams.kl_weight, self.hparams.kl_warmup_epochs
        if warmup <= 0:
            return w
        return w * min(1.0, (self.current_epoch + 1) / warmup)

    def compute_loss(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        recon, mu, logvar = self(x, sample=True)
        rec = binary_cross_entropy(recon, x)  # mean over time steps
        if self.hparams.reconstruction == "sum":
            rec = rec * x.shape[1]
        kl = kl_divergence(mu, logvar, self.hparams.kl_reduction)
        loss = (rec + self.kl_weight_now() * kl).mean()
        return {"loss": loss, "reconstruction": rec.mean(), "kl": kl.mean()}

    def anomaly_score(self, x: torch.Tensor) -> torch.Tensor:
        recon, _, _ = self(x, sample=self.score_with == "sample")
        return per_beat_error(recon, x, self.score_kind)
