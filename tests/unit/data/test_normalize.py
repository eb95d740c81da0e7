import pytest
import torch

from ecg_anomaly.data.normalize import Normalizer

X = torch.tensor([[0.0, 2.0, 4.0], [2.0, 6.0, 4.0]])


def test_global_minmax_uses_the_overall_min_and_max():
    norm = Normalizer("global_minmax", 3).fit(X)
    # min 0, max 6: x / 6
    torch.testing.assert_close(norm(X), X / 6.0)


def test_per_step_minmax_scales_each_time_step():
    norm = Normalizer("per_step_minmax", 3).fit(X)
    # step 0: [0, 2] -> [0, 1]; step 1: [2, 6] -> [0, 1]; step 2 constant 4 -> scale 1, 0
    torch.testing.assert_close(norm(X), torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 0.0]]))


def test_zscore_uses_population_std():
    norm = Normalizer("zscore", 3).fit(X)
    # step 0: mean 1, std 1 -> [-1, 1]; step 1: mean 4, std 2 -> [-1, 1]
    torch.testing.assert_close(norm(X)[:, :2], torch.tensor([[-1.0, -1.0], [1.0, 1.0]]))


def test_inverse_undoes_forward_and_state_travels():
    norm = Normalizer("per_step_minmax", 3).fit(X)
    torch.testing.assert_close(norm.inverse(norm(X)), X)
    copy = Normalizer("per_step_minmax", 3)
    copy.load_state_dict(norm.state_dict())
    torch.testing.assert_close(copy(X), norm(X))


def test_unknown_kind_and_wrong_shape_are_refused():
    with pytest.raises(ValueError, match="unknown normalization"):
        Normalizer("minmax", 3)
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        Normalizer("zscore", 3).fit(torch.zeros(2, 4))
