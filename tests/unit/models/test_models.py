"""Shapes, scores and special pieces of each model, on random beats."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ecg_anomaly.models import (
    ContractiveAutoencoder,
    ConvAutoencoder,
    LSTMAutoencoder,
    LSTMClassifier,
    SmallDenseAutoencoder,
    VariationalAutoencoder,
)

MODELS = {
    "small_dense": lambda n: SmallDenseAutoencoder(seq_len=n),
    "conv": lambda n: ConvAutoencoder(seq_len=n),
    "vae": lambda n: VariationalAutoencoder(seq_len=n),
    "contractive": lambda n: ContractiveAutoencoder(seq_len=n),
    "lstm_classifier": lambda n: LSTMClassifier(seq_len=n, hidden_size=8),
    "lstm_ae": lambda n: LSTMAutoencoder(seq_len=n, embedding_dim=4),
}


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("seq_len", [140, 96])
def test_scores_and_losses_have_the_right_shapes(name, seq_len):
    torch.manual_seed(0)
    model = MODELS[name](seq_len).eval()
    x = torch.rand(5, seq_len)
    scores = model.score(x)
    assert scores.shape == (5,)
    assert torch.isfinite(scores).all()
    out = model.compute_loss(x, torch.tensor([0, 1, 0, 1, 0]))
    loss = out["loss"] if isinstance(out, dict) else out
    assert loss.ndim == 0 and torch.isfinite(loss)


AUTOENCODERS = {name: make for name, make in MODELS.items() if name != "lstm_classifier"}
CODE_SIZES = {"small_dense": 4, "conv": 16, "vae": 8, "contractive": 8, "lstm_ae": 4}


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_autoencoders_encode_and_reconstruct_deterministically(name):
    torch.manual_seed(0)
    model = AUTOENCODERS[name](140).eval()
    x = torch.rand(3, 140)
    assert model.encode(x).shape == (3, CODE_SIZES[name])
    recon = model.reconstruct(x)
    assert recon.shape == (3, 140)
    torch.testing.assert_close(model.reconstruct(x), recon)


def test_the_classifier_has_no_code_and_no_reconstruction():
    model = LSTMClassifier(seq_len=20, hidden_size=4)
    x = torch.rand(2, 20)
    assert model.encode(x) is None and model.reconstruct(x) is None  # no such plots


def test_conv_decoder_size_follows_seq_len():
    model = ConvAutoencoder(seq_len=140)
    assert model.decoder.linear[0].out_features == 35 * 16
    assert ConvAutoencoder(seq_len=96).decoder.linear[0].out_features == 24 * 16
    assert model(torch.rand(3, 140)).shape == (3, 140)


def test_conv_autoencoder_rejects_seq_len_not_divisible_by_four():
    with pytest.raises(ValueError, match="divisible by 4; got seq_len=142"):
        ConvAutoencoder(seq_len=142)


def test_small_dense_activity_penalty_is_keras_l2_of_the_first_layer():
    model = SmallDenseAutoencoder(seq_len=10, activity_l2=1e-7)
    with torch.no_grad():
        model.first[0].weight.zero_()
        model.first[0].bias.fill_(math.atanh(0.5))  # every one of the 14 units outputs 0.5
    out = model.compute_loss(torch.rand(4, 10), torch.zeros(4, dtype=torch.long))
    assert out["activity"].item() == pytest.approx(1e-7 * 14 * 0.25)
    assert out["loss"].item() == pytest.approx(out["reconstruction"].item() + 3.5e-7)


def test_vae_scoring_with_the_mean_is_deterministic_and_sampling_is_not():
    torch.manual_seed(0)
    x = torch.rand(4, 140)
    mean = VariationalAutoencoder(score_with="mean").eval()
    torch.testing.assert_close(mean.score(x), mean.score(x))
    sample = VariationalAutoencoder(score_with="sample").eval()
    sample.load_state_dict(mean.state_dict())
    assert not torch.equal(sample.score(x), sample.score(x))


def test_vae_rejects_unknown_scoring():
    with pytest.raises(ValueError, match="score_with"):
        VariationalAutoencoder(score_with="median")


def test_vae_kl_warm_up_is_linear():
    model = VariationalAutoencoder(kl_weight=0.1, kl_warmup_epochs=4)
    model.trainer = None  # current_epoch is 0 without a trainer
    assert model.kl_weight_now() == pytest.approx(0.025)


def test_lstm_classifier_is_supervised_and_scores_probabilities():
    model = LSTMClassifier(seq_len=20, hidden_size=4).eval()
    assert model.supervised
    scores = model.score(torch.rand(3, 20))
    assert ((scores > 0) & (scores < 1)).all()


def test_lstm_classifier_keras_init_sets_forget_gate_bias():
    lstm = LSTMClassifier(seq_len=20, hidden_size=4).lstm
    assert torch.equal(lstm.bias_ih_l0[4:8], torch.ones(4))
    assert torch.equal(lstm.bias_hh_l0, torch.zeros(16))


def test_models_save_their_hyperparameters():
    model = ConvAutoencoder(seq_len=96, loss_weight=3.0)
    assert model.hparams.seq_len == 96 and model.hparams.loss_weight == 3.0
    assert isinstance(model.encoder, nn.Module)


@pytest.mark.parametrize(("normal_only", "labels_seen"), [(True, [0, 0]), (False, [0, 1, 0])])
def test_autoencoders_validate_on_normal_beats_unless_told_otherwise(normal_only, labels_seen):
    model = SmallDenseAutoencoder(seq_len=10, val_normal_only=normal_only)
    seen = []
    model.compute_loss = lambda x, y: seen.append(y.tolist()) or torch.tensor(0.5)
    model._losses.log_eval = lambda module, stage, out, n: seen.append((stage, n))
    model.validation_step({"x": torch.rand(3, 10), "label": torch.tensor([0, 1, 0])}, 0)
    assert seen == [labels_seen, ("val", len(labels_seen))]
    assert model.hparams.val_normal_only is normal_only  # saved: a checkpoint validates alike
