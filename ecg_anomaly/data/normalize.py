"""Normalisation of beats, fitted on the training split and saved with the model.

A :class:`Normalizer` is an ``nn.Module`` whose fitted values are buffers: it lives inside every
model, so a checkpoint carries it and scoring a new file applies the very same transform.
"""

from __future__ import annotations

import torch
from torch import nn

#: Supported normalisations: the tutorial's global min-max, the CNN notebook's per-time-step
#: min-max, per-time-step z-score, and none.
KINDS = ("global_minmax", "per_step_minmax", "zscore", "none")


class Normalizer(nn.Module):
    """Affine per-time-step transform ``(x - shift) / scale`` fitted on training beats.

    Args:
        kind: One of :data:`KINDS`.
        seq_len: Number of samples per beat (the buffers' length).
    """

    def __init__(self, kind: str = "global_minmax", seq_len: int = 140) -> None:
        super().__init__()
        if kind not in KINDS:
            msg = f"unknown normalization {kind!r}; choose one of {', '.join(KINDS)}"
            raise ValueError(msg)
        self.kind = kind
        self.register_buffer("shift", torch.zeros(seq_len))
        self.register_buffer("scale", torch.ones(seq_len))

    @torch.no_grad()
    def fit(self, x: torch.Tensor) -> Normalizer:
        """Fit shift and scale on training beats.

        Args:
            x: Training beats, shape ``(n, seq_len)``.

        Returns:
            ``self``, fitted.
        """
        x = torch.as_tensor(x, dtype=torch.float32)
        if x.ndim != 2 or x.shape[1] != self.shift.numel():
            msg = (
                f"Normalizer expects beats of shape (n, {self.shift.numel()}), got {tuple(x.shape)}"
            )
            raise ValueError(msg)
        if self.kind == "global_minmax":
            lo, hi = x.min(), x.max()
            shift, scale = lo.expand(x.shape[1]), (hi - lo).expand(x.shape[1])
        elif self.kind == "per_step_minmax":
            shift = x.min(dim=0).values
            scale = x.max(dim=0).values - shift
        elif self.kind == "zscore":
            shift = x.mean(dim=0)
            scale = x.std(dim=0, unbiased=False)
        else:
            shift, scale = torch.zeros(x.shape[1]), torch.ones(x.shape[1])
        # A constant time step would divide by zero; leave it unscaled instead.
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        self.shift.copy_(shift)
        self.scale.copy_(scale)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise beats of shape ``(..., seq_len)``."""
        return (x - self.shift) / self.scale

    def inverse(self, x: torch.Tensor) -> torch.Tensor:
        """Map normalised beats back to the original units."""
        return x * self.scale + self.shift

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}, seq_len={self.shift.numel()}"
