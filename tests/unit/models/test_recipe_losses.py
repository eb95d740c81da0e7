"""The recipes' loss reductions, against values worked out by hand on a 2-beat batch."""

from __future__ import annotations

import math

import pytest
import torch

from ecg_anomaly.models import (
    ContractiveAutoencoder,
    SmallDenseAutoencoder,
    VariationalAutoencoder,
)
from ecg_anomaly.models.losses import kl_divergence

# Two beats of 4 samples; the VAE below encodes them to the codes [0, 1] and [1, 0].
X = torch.tensor([[0.0, 1.0, 0.5, 0.25], [1.0, 0.0, 0.5, 0.75]])
Y = torch.zeros(2, dtype=torch.long)

# Cross-entropy of each sample against the constant reconstruction [0.25, 0.75, 0.5, 0.5]:
# beat 1: -ln 0.75, -ln 0.75, ln 2, ln 2; beat 2: ln 4, ln 4, ln 2, ln 2.
BCE_MEAN_1 = (-2 * math.log(0.75) + 2 * math.log(2.0)) / 4
BCE_MEAN_2 = (2 * math.log(4.0) + 2 * math.log(2.0)) / 4
# KL per latent dimension, 0.5 * (var + mu^2 - 1 - log var), with log var = [0, ln 2]:
# beat 1 (mu [0, 1]): 0 and 1 - ln(2) / 2; beat 2 (mu [1, 0]): 0.5 and (1 - ln 2) / 2.
KL_1 = [0.0, 1.0 - math.log(2.0) / 2]
KL_2 = [0.5, (1.0 - math.log(2.0)) / 2]


def hand_set_vae(**kwargs) -> VariationalAutoencoder:
    """A 4-sample VAE whose codes, log-variances and reconstructions are set by hand."""
    model = VariationalAutoencoder(seq_len=4, hidden=[2], latent_dim=2, **kwargs)
    with torch.no_grad():
        enc = model.encoder[0]  # h = relu(first two samples)
        enc.weight.copy_(torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]))
        enc.bias.zero_()
        model.to_mu.weight.copy_(torch.eye(2))  # mu = h
        model.to_mu.bias.zero_()
        model.to_logvar.weight.zero_()
        model.to_logvar.bias.copy_(torch.tensor([0.0, math.log(2.0)]))
        dec = model.decoder[0]  # a constant reconstruction, whatever the code
        dec.weight.zero_()
        dec.bias.copy_(torch.tensor([0.25, 0.75, 0.5, 0.5]))
    return model


def test_kl_divergence_sums_or_averages_over_latent_dimensions():
    mu = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    logvar = torch.tensor([[0.0, math.log(2.0)]] * 2)
    assert kl_divergence(mu, logvar, "sum").tolist() == pytest.approx([sum(KL_1), sum(KL_2)])
    assert kl_divergence(mu, logvar, "mean").tolist() == pytest.approx(
        [sum(KL_1) / 2, sum(KL_2) / 2]
    )
    with pytest.raises(ValueError, match="reduction must be one of sum, mean; got 'max'"):
        kl_divergence(mu, logvar, "max")


def test_vae_loss_as_the_course_exercise_means_over_steps_and_latent_dimensions():
    # tf.reduce_mean(binary_crossentropy(data, reconstruction)): the mean over the 2 x 4
    # samples; -0.5 * tf.reduce_mean(1 + log var - mu^2 - var): the mean over the 2 x 2 values.
    out = hand_set_vae(reconstruction="mean", kl_reduction="mean").compute_loss(X, Y)
    rec = (BCE_MEAN_1 + BCE_MEAN_2) / 2
    kl = (sum(KL_1) + sum(KL_2)) / 4
    assert rec == pytest.approx(0.7651, abs=1e-4)
    assert kl == pytest.approx(0.3267, abs=1e-4)
    assert out["reconstruction"].item() == pytest.approx(rec)
    assert out["kl"].item() == pytest.approx(kl)
    assert out["loss"].item() == pytest.approx(rec + kl)


def test_vae_loss_summed_over_steps_and_latent_dimensions():
    # Keras's VAE example: binary_crossentropy * original_dim, and the KL summed over the code.
    out = hand_set_vae(reconstruction="sum", kl_reduction="sum", kl_weight=0.1).compute_loss(X, Y)
    rec = 4 * (BCE_MEAN_1 + BCE_MEAN_2) / 2
    kl = (sum(KL_1) + sum(KL_2)) / 2
    assert out["reconstruction"].item() == pytest.approx(rec)
    assert out["kl"].item() == pytest.approx(kl)
    assert out["loss"].item() == pytest.approx(rec + 0.1 * kl)


def test_vae_rejects_an_unknown_reduction():
    with pytest.raises(ValueError, match="kl_reduction must be one of sum, mean; got 'none'"):
        VariationalAutoencoder(kl_reduction="none")


def test_vae_scores_and_reconstructs_from_the_mean_code():
    model = hand_set_vae(score_with="mean")
    with torch.no_grad():
        model.decoder[0].weight.copy_(torch.ones(4, 2))  # the reconstruction now depends on z
    recon = model.reconstruct(X)
    # codes [0, 1] and [1, 0]: every sample is 1 + its bias
    expected = torch.tensor([0.25, 0.75, 0.5, 0.5]) + 1.0
    torch.testing.assert_close(recon, expected.expand(2, 4))
    torch.testing.assert_close(model.reconstruct(X), recon)  # deterministic
    assert model.encode(X).tolist() == [[0.0, 1.0], [1.0, 0.0]]
    mae = (recon - X).abs().mean(dim=1)
    torch.testing.assert_close(model.anomaly_score(X), mae)


def hand_set_contractive(reduction: str) -> ContractiveAutoencoder:
    """A 2-sample contractive AE with encoder relu(W x), W = [[1, 1], [1, -1]], output 0.5."""
    model = ContractiveAutoencoder(
        seq_len=2, hidden=[2], contractive_weight=0.5, penalty_reduction=reduction
    )
    with torch.no_grad():
        model.encoder[0].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, -1.0]]))
        model.encoder[0].bias.zero_()
        model.decoder[0].weight.zero_()
        model.decoder[0].bias.zero_()  # sigmoid(0) = 0.5 everywhere
    return model


CAE_X = torch.tensor([[1.0, 0.5], [0.5, 1.0]])
# beat 1: both units active, J = W, |J|^2 = 4; beat 2: the second unit is off (0.5 - 1 < 0),
# J = [[1, 1], [0, 0]], |J|^2 = 2. MSE of each beat against 0.5: (0.25 + 0) / 2 = 0.125.


@pytest.mark.parametrize(("reduction", "penalty"), [("sum", 4.0 + 2.0), ("mean", 3.0)])
def test_contractive_penalty_is_summed_or_averaged_over_the_batch(reduction, penalty):
    out = hand_set_contractive(reduction).compute_loss(CAE_X, Y)
    assert out["reconstruction"].item() == pytest.approx(0.125)
    assert out["jacobian"].item() == pytest.approx(3.0)  # per-beat mean, for the logs
    assert out["loss"].item() == pytest.approx(0.125 + 0.5 * penalty)


def test_contractive_autoencoder_defaults_to_the_labs_sum():
    assert ContractiveAutoencoder(seq_len=2, hidden=[2]).penalty_reduction == "sum"
    with pytest.raises(ValueError, match="penalty_reduction must be one of sum, mean"):
        ContractiveAutoencoder(seq_len=2, hidden=[2], penalty_reduction="batch")


@pytest.mark.parametrize(("reduction", "factor"), [("mean", 1.0), ("sum", 2.0)])
def test_small_dense_activity_penalty_per_beat_mean_or_batch_sum(reduction, factor):
    model = SmallDenseAutoencoder(seq_len=4, activity_l2=1e-3, activity_reduction=reduction)
    with torch.no_grad():
        model.first[0].weight.zero_()
        model.first[0].bias.fill_(math.atanh(0.5))  # each of the 14 units outputs 0.5
    out = model.compute_loss(X, Y)
    # per beat: 1e-3 * 14 * 0.25 = 3.5e-3; Keras 2 averages it over the 2 beats, Keras 3 sums
    assert out["activity"].item() == pytest.approx(3.5e-3 * factor)
    assert out["loss"].item() == pytest.approx(out["reconstruction"].item() + 3.5e-3 * factor)
