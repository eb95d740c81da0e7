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
