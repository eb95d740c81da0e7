"""Keras behaviours the CNN recipe reproduces: "same" max-pooling and ReduceLROnPlateau."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from torch import nn

from ecg_anomaly.models.components.conv import ConvEncoder
from ecg_anomaly.utils.config import config_dir


def pooled_lengths(encoder: ConvEncoder, seq_len: int) -> list[int]:
    """Length of the sequence after each max-pooling of the encoder."""
    lengths, h = [], torch.rand(1, 1, seq_len)
    for layer in encoder.net:
        h = layer(h)
        if isinstance(layer, nn.MaxPool1d):
            lengths.append(h.shape[-1])
    return lengths


def test_same_pooling_rounds_up_like_keras_and_valid_rounds_down():
    assert pooled_lengths(ConvEncoder(pool_padding="same"), 140) == [70, 35, 18]
    assert pooled_lengths(ConvEncoder(pool_padding="valid"), 140) == [70, 35, 17]


def test_same_pooling_keeps_the_last_odd_sample_as_its_own_window():
    pool = ConvEncoder(pool_padding="same").net[2]
    x = torch.tensor([[[1.0, 5.0, -2.0, 3.0, -7.0]]])
    # windows [1, 5], [-2, 3], [-7]: Keras pads the last one and ignores the padding
    assert pool(x).tolist() == [[[5.0, 3.0, -7.0]]]


def test_conv_encoder_rejects_an_unknown_pool_padding():
    with pytest.raises(ValueError, match="pool_padding must be one of same, valid; got 'full'"):
        ConvEncoder(pool_padding="full")


def recipe_scheduler() -> torch.optim.lr_scheduler.ReduceLROnPlateau:
    """The scheduler of conf/model/conv_ae.yaml on a one-parameter Adam at lr 1e-3."""
    cfg = OmegaConf.load(Path(config_dir()) / "model" / "conv_ae.yaml")
    optimizer = torch.optim.Adam([nn.Parameter(torch.zeros(1))], lr=1e-3)
    return instantiate(cfg.scheduler)(optimizer=optimizer)


def lr_after(scheduler, losses: list[float]) -> list[float]:
    rates = []
    for loss in losses:
        scheduler.step(loss)
        rates.append(scheduler.optimizer.param_groups[0]["lr"])
    return rates


def test_recipe_scheduler_halves_after_five_epochs_without_an_absolute_1e4_gain():
    # Keras ReduceLROnPlateau(factor=0.5, patience=5, min_delta=1e-4): a gain of 5e-5 is no
    # improvement, and the fifth epoch without one halves the rate.
    rates = lr_after(recipe_scheduler(), [0.0100] + [0.00995] * 5)
    assert rates == pytest.approx([1e-3] * 5 + [5e-4])


def test_recipe_scheduler_counts_a_gain_of_at_least_1e4_as_an_improvement():
    # 0.0100 -> 0.0098 improves by 2e-4; then 4 flat epochs: no cut yet (Keras waits for 5)
    rates = lr_after(recipe_scheduler(), [0.0100, 0.0098, 0.0098, 0.0098, 0.0098, 0.0098])
    assert rates == pytest.approx([1e-3] * 6)
