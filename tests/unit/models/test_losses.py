"""Weighted MSE, KL divergence and Keras-style cross-entropy on hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from ecg_anomaly.models.losses import binary_cross_entropy, kl_divergence, weighted_mse


def test_weighted_mse_weighs_large_squared_errors_five_times():
    recon = torch.zeros(1, 4)
    x = torch.tensor([[0.1, 0.2, 0.0, 0.05]])
    # squared errors 0.01, 0.04, 0, 0.0025; only 0.04 is above 0.015 -> (0.01 + 5*0.04 + 0.0025) / 4
    assert weighted_mse(recon, x).item() == pytest.approx(0.053125)
    # with weight 1 it is the plain MSE
    assert weighted_mse(recon, x, weight=1.0).item() == pytest.approx(0.0525 / 4)


def test_weighted_mse_is_per_beat_and_cutoff_is_strict():
    recon = torch.zeros(2, 2)
    x = torch.tensor([[1.0, 0.0], [0.5, 0.5]])
    # beat 1: 1 above the cutoff -> (5 * 1 + 0) / 2; beat 2: 0.25 = cutoff -> weight 1
    out = weighted_mse(recon, x, cutoff=0.25, weight=5.0)
    assert out.tolist() == pytest.approx([2.5, 0.25])


def test_kl_divergence_matches_the_closed_form():
    mu = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    logvar = torch.tensor([[0.0, 0.0], [0.0, math.log(2.0)]])
    # per dim: 0.5 * (var + mu^2 - 1 - log var): 0.5 and 0.5 * (2 - 1 - ln 2)
    expected = [0.0, 0.5 + 0.5 * (1.0 - math.log(2.0))]
    assert kl_divergence(mu, logvar).tolist() == pytest.approx(expected)


def test_binary_cross_entropy_values_and_keras_clipping():
    pred = torch.tensor([[0.5, 0.5]], requires_grad=True)
    target = torch.tensor([[1.0, 0.0]])
    assert binary_cross_entropy(pred, target).item() == pytest.approx(math.log(2.0))
    # targets outside [0, 1] are clamped: 1.7 counts as 1
    assert binary_cross_entropy(pred, torch.tensor([[1.7, -0.3]])).item() == pytest.approx(
        math.log(2.0)
    )
    # a prediction above 1 (a ReLU output) is clipped, so it gets no gradient
    above = torch.tensor([[1.5]], requires_grad=True)
    binary_cross_entropy(above, torch.tensor([[0.2]])).sum().backward()
    assert above.grad.item() == 0.0
