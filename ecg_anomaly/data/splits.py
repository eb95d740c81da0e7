"""Reproducible train / validation / test splits.

The TensorFlow tutorial splits with scikit-learn's ``train_test_split(test_size=0.2,
random_state=21)`` and the CNN notebook carves 25 % of the training part off for validation
with the same seed. :func:`train_test_split_indices` reproduces scikit-learn's shuffle split
exactly (same indices for the same ``n``, size and seed) without importing scikit-learn.
"""

from __future__ import annotations

import math

import numpy as np


def train_test_split_indices(
    n: int, test_size: float, random_state: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a shuffled train/test split, identical to scikit-learn's ``train_test_split``.

    Args:
        n: Number of samples.
        test_size: Fraction of samples in the test part, in ``[0, 1)``. ``0`` gives an empty
            test part (and keeps the original order of the train part).
        random_state: Seed of NumPy's legacy ``RandomState``, as scikit-learn uses it.

    Returns:
        ``(train_idx, test_idx)``, two int64 arrays that partition ``range(n)``.

    Raises:
        ValueError: If ``test_size`` is outside ``[0, 1)`` or leaves no training sample.
    """
    if not 0.0 <= test_size < 1.0:
        msg = f"test_size must be a fraction in [0, 1), got {test_size}"
        raise ValueError(msg)
    if test_size == 0.0:
        return np.arange(n, dtype=np.int64), np.empty(0, dtype=np.int64)
    n_test = math.ceil(test_size * n)
    n_train = n - n_test
    if n_train <= 0 or n_test <= 0:
        msg = f"test_size={test_size} of {n} samples leaves an empty part; use more data"
        raise ValueError(msg)
    permutation = np.random.RandomState(random_state).permutation(n)
    return (
        permutation[n_test : n_test + n_train].astype(np.int64),
        permutation[:n_test].astype(np.int64),
    )
