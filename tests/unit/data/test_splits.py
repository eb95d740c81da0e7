import numpy as np
import pytest

from ecg_anomaly.data.splits import train_test_split_indices


@pytest.mark.parametrize(
    ("n", "test_size", "seed"), [(5000, 0.2, 21), (4000, 0.25, 21), (7, 0.3, 0)]
)
def test_same_indices_as_scikit_learn(n, test_size, seed):
    sklearn = pytest.importorskip("sklearn.model_selection")
    expected_train, expected_test = sklearn.train_test_split(
        np.arange(n), test_size=test_size, random_state=seed
    )
    train, test = train_test_split_indices(n, test_size, seed)
    np.testing.assert_array_equal(train, expected_train)
    np.testing.assert_array_equal(test, expected_test)


def test_sizes_by_hand():
    # ceil(0.2 * 10) = 2 test samples, the other 8 train, together all of range(10)
    train, test = train_test_split_indices(10, 0.2, 21)
    assert len(test) == 2 and len(train) == 8
    assert sorted([*train, *test]) == list(range(10))


def test_zero_test_size_keeps_everything_in_order():
    train, test = train_test_split_indices(4, 0.0, 21)
    assert train.tolist() == [0, 1, 2, 3]
    assert test.tolist() == []


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5])
def test_bad_fraction_is_refused(bad):
    with pytest.raises(ValueError, match="test_size"):
        train_test_split_indices(10, bad, 0)
