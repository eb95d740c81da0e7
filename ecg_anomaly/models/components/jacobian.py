"""Batched Jacobians of dense encoders, for the contractive autoencoder's penalty."""

from __future__ import annotations

import torch
from torch import nn

#: Element-wise activations whose derivative is known in closed form, by type.
_DERIVATIVES = {
    nn.Identity: lambda pre, out: torch.ones_like(pre),
    nn.ReLU: lambda pre, out: (pre > 0).to(pre.dtype),
    nn.Sigmoid: lambda pre, out: out * (1.0 - out),
    nn.Tanh: lambda pre, out: 1.0 - out.square(),
}


def _supports_analytic(net: nn.Module) -> bool:
    layers = list(net.children()) if isinstance(net, nn.Sequential) else [net]
    return all(isinstance(m, (nn.Linear, nn.LeakyReLU, *_DERIVATIVES)) for m in layers)


def _analytic_jacobian(net: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    # J = D_L W_L ... D_1 W_1, carried forward layer by layer for the whole batch at once.
    jac = None
    h = x
    for layer in net:
        if isinstance(layer, nn.Linear):
            w = layer.weight
            jac = w.expand(len(x), *w.shape) if jac is None else w @ jac
            h = layer(h)
            continue
        out = layer(h)
        if isinstance(layer, nn.LeakyReLU):
            slope = layer.negative_slope
            d = torch.where(h > 0, torch.ones_like(h), torch.full_like(h, slope))
        else:
            d = _DERIVATIVES[type(layer)](h, out)
        # (an activation before any linear layer starts from a diagonal Jacobian)
        jac = torch.diag_embed(d) if jac is None else d.unsqueeze(-1) * jac
        h = out
    if jac is None:
        jac = torch.eye(x.shape[1], dtype=x.dtype, device=x.device).expand(len(x), -1, -1)
    return jac


def batch_jacobian(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Jacobian of ``net`` at each beat of a batch, differentiable (for use in a loss).

    Dense stacks of ``Linear`` layers and ReLU, leaky ReLU, sigmoid, tanh or identity are
    done in closed form layer by layer; any other network falls back to
    ``torch.func.vmap(torch.func.jacrev(net))``. Neither loops over beats in Python.

    Args:
        net: Maps ``(n, d_in)`` to ``(n, d_out)`` beat by beat (no batch norm or dropout
            mixing beats).
        x: Inputs, shape ``(n, d_in)``.

    Returns:
        Jacobians of shape ``(n, d_out, d_in)``.
    """
    if isinstance(net, nn.Sequential | nn.Linear) and _supports_analytic(net):
        seq = net if isinstance(net, nn.Sequential) else nn.Sequential(net)
        return _analytic_jacobian(seq, x)

    def single(beat: torch.Tensor) -> torch.Tensor:
        return net(beat.unsqueeze(0)).squeeze(0)

    return torch.func.vmap(torch.func.jacrev(single))(x)


def jacobian_penalty(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Squared Frobenius norm of the Jacobian of ``net`` at each beat, shape ``(n,)``."""
    return batch_jacobian(net, x).square().flatten(1).sum(dim=1)
