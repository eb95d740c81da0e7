"""Reconstruction errors, per beat and as training losses."""

from __future__ import annotations

import torch

ERRORS = ("mae", "mse")


def per_beat_error(recon: torch.Tensor, x: torch.Tensor, kind: str = "mae") -> torch.Tensor:
    """Mean absolute or squared error of each beat.

    Args:
        recon: Reconstructions, shape ``(n, seq_len)``.
        x: Inputs, same shape.
        kind: ``"mae"`` or ``"mse"``.

    Returns:
        Errors of shape ``(n,)``.
    """
    diff = recon - x
    if kind == "mae":
        return diff.abs().flatten(1).mean(dim=1)
    if kind == "mse":
        return diff.square().flatten(1).mean(dim=1)
    msg = f"unknown reconstruction error {kind!r}; choose one of {', '.join(ERRORS)}"
    raise ValueError(msg)


def weighted_mse(
    recon: torch.Tensor, x: torch.Tensor, cutoff: float = 0.015, weight: float = 5.0
) -> torch.Tensor:
    """Per-beat mean squared error where squared errors above ``cutoff`` count ``weight`` times.

    The CNN notebook's loss: it stresses the samples a model reconstructs badly.

    Args:
        recon: Reconstructions, shape ``(n, ...)``.
        x: Inputs, same shape.
        cutoff: Squared errors strictly above it are weighted.
        weight: Their weight (the others weigh 1).

    Returns:
        Errors of shape ``(n,)``.
    """
    sq = (recon - x).square().flatten(1)
    w = torch.where(sq > cutoff, torch.full_like(sq, weight), torch.ones_like(sq))
    return (w * sq).mean(dim=1)


#: How a per-beat quantity is reduced over a beat's values: summed or averaged.
REDUCTIONS = ("sum", "mean")


def check_reduction(name: str, value: str) -> str:
    """Return ``value`` if it is one of :data:`REDUCTIONS`, else raise a ``ValueError``.

    Args:
        name: The argument's name, for the message (e.g. ``"kl_reduction"``).
        value: Its value.
    """
    if value not in REDUCTIONS:
        msg = f"{name} must be one of {', '.join(REDUCTIONS)}; got {value!r}"
        raise ValueError(msg)
    return value


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor, reduction: str = "sum") -> torch.Tensor:
    """KL divergence of ``N(mu, exp(logvar))`` from ``N(0, 1)`` of each beat.

    Args:
        mu: Means, shape ``(n, d)``.
        logvar: Log-variances, shape ``(n, d)``.
        reduction: ``"sum"`` over the ``d`` latent dimensions (the divergence of the whole
            code) or their ``"mean"`` (what ``tf.reduce_mean`` over a batch of codes gives,
            once also averaged over the batch).

    Returns:
        One value per beat, shape ``(n,)``.
    """
    per_dim = -0.5 * (1.0 + logvar - mu.square() - logvar.exp())
    if check_reduction("reduction", reduction) == "mean":
        return per_dim.mean(dim=1)
    return per_dim.sum(dim=1)


def binary_cross_entropy(
    pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-7
) -> torch.Tensor:
    """Per-beat mean binary cross-entropy, computed as Keras does.

    Predictions are clipped to ``[eps, 1 - eps]`` (so outside ``[0, 1]`` they get no gradient,
    as in Keras) and targets clamped to ``[0, 1]`` (normalised test beats may leave that range).

    Args:
        pred: Predicted values, shape ``(n, ...)``.
        target: Targets, same shape.
        eps: Clipping of the predictions.

    Returns:
        Cross-entropies of shape ``(n,)``.
    """
    p = pred.clamp(eps, 1.0 - eps)
    t = target.clamp(0.0, 1.0)
    return -(t * p.log() + (1.0 - t) * (1.0 - p).log()).flatten(1).mean(dim=1)
