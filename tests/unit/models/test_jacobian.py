"""The batched encoder Jacobian against a slow per-beat reference."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ecg_anomaly.models.components.jacobian import batch_jacobian, jacobian_penalty


def slow_jacobian(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    def single(beat: torch.Tensor) -> torch.Tensor:
        return net(beat.unsqueeze(0)).squeeze(0)

    return torch.stack([torch.autograd.functional.jacobian(single, beat) for beat in x])


NETS = {
    "relu-sigmoid": lambda: nn.Sequential(
        nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3), nn.Sigmoid()
    ),
    "tanh-leaky": lambda: nn.Sequential(
        nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3), nn.LeakyReLU(0.2), nn.Linear(3, 2)
    ),
    "linear": lambda: nn.Linear(5, 2),
    "fallback (ELU)": lambda: nn.Sequential(nn.Linear(5, 4), nn.ELU(), nn.Linear(4, 3)),
}


@pytest.mark.parametrize("name", NETS)
def test_batch_jacobian_matches_per_beat_reference(name):
    torch.manual_seed(0)
    net = NETS[name]().double()
    x = torch.randn(6, 5, dtype=torch.double)
    fast = batch_jacobian(net, x)
    assert fast.shape == (6, net(x).shape[1], 5)
    torch.testing.assert_close(fast, slow_jacobian(net, x))


def test_penalty_of_a_linear_map_is_the_squared_frobenius_norm_of_its_weights():
    net = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        net.weight.copy_(torch.tensor([[1.0, 2.0], [0.0, -3.0]]))
    penalty = jacobian_penalty(net, torch.randn(3, 2))
    assert penalty.tolist() == pytest.approx([14.0, 14.0, 14.0])  # 1 + 4 + 0 + 9


def test_penalty_is_differentiable_through_the_weights():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 4), nn.Sigmoid())
    jacobian_penalty(net, torch.randn(3, 5)).sum().backward()
    assert net[0].weight.grad is not None and net[0].weight.grad.abs().sum() > 0
