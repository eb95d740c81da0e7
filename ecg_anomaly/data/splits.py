"""Reproducible train / validation / test splits.

The TensorFlow tutorial splits with scikit-learn's ``train_test_split(test_size=0.2,
random_state=21)`` and the CNN notebook carves 25 % of the training part off for validation
with the same seed. :func:`train_test_split_indices` reproduces scikit-learn's shuffle split
exactly (same indices for the same ``n``, size and seed) without importing scikit-learn.
"""

from __future__ import annotations

import math

import numpy as np

from ecg_anomaly.errors import ConfigError


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


def cut_rows(
    n: int, test_size: float, val_size: float, split_seed: int, source: object, strict: bool = True
) -> dict[str, np.ndarray]:
    """Row indices of the train, validation and test parts of ``n`` beats.

    The test part is split off first, then the validation part from the rest, both with
    ``split_seed`` (as the TensorFlow tutorial and the CNN notebook do).

    Args:
        n: Number of beats.
        test_size: Fraction of all beats in the test part.
        val_size: Fraction of the training part in the validation part.
        split_seed: Seed of both splits.
        source: The data file, for the message.
        strict: Refuse a cut that leaves a part empty that the sizes ask for.

    Raises:
        ConfigError: The beats are too few for the sizes (``strict``).
    """
    try:
        train, test = train_test_split_indices(n, test_size, split_seed)
        inner_train, inner_val = train_test_split_indices(len(train), val_size, split_seed)
        rows = {"train": train[inner_train], "val": train[inner_val], "test": test}
    except ValueError:
        rows = {"train": np.arange(n), "val": np.empty(0, np.int64), "test": np.empty(0, np.int64)}
    needed = [("train", True), ("test", test_size > 0), ("val", val_size > 0)]
    empty = [name for name, wanted in needed if wanted and len(rows[name]) == 0]
    if strict and empty:
        msg = (
            f"{source} holds {n} beat(s); data.test_size={test_size} and "
            f"data.val_size={val_size} leave the {' and '.join(empty)} split(s) empty. Use a file "
            "with more beats (at least 3 for train, validation and test), or change the sizes."
        )
        raise ConfigError(msg)
    return rows
