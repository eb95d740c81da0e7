"""Classical anomaly detectors from scikit-learn, as baselines for the benchmark.

They are fitted on the same normal training beats and normalisation as the autoencoders and
thresholded by the same rule (mean + 1 std of their normal-training scores). scikit-learn is
an optional dependency (``pip install ecg-anomaly[bench]``), imported only when a detector is
fitted, so the training path never needs it.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import torch


def classical_scores(data: str | os.PathLike, seed: int = 0) -> dict[str, tuple[np.ndarray, ...]]:
    """Scores of the scikit-learn detectors, fitted on the normal training beats.

    Uses the tutorial's split and normalisation (global min-max fitted on training).

    Returns:
        ``name -> (normal training scores, test scores, test labels, seconds)``, higher = more
        abnormal; seconds = fitting and scoring time.
    """
    from sklearn.decomposition import PCA
    from sklearn.ensemble import IsolationForest
    from sklearn.neighbors import NearestNeighbors
    from sklearn.svm import OneClassSVM

    from ecg_anomaly.data import ECG5000DataModule

    dm = ECG5000DataModule(path=data, download=False, val_size=0.0, normalization="global_minmax")
    dm.setup("fit")
    x_train = dm.normalizer(dm.split("train", normal_only=True)[0]).numpy()
    x_test_t, y_test_t = dm.split("test")
    x_test, y_test = dm.normalizer(x_test_t).numpy(), y_test_t.numpy()

    def knn(k: int = 5):
        nn_ = NearestNeighbors(n_neighbors=k + 1).fit(x_train)
        # each training beat is its own nearest neighbour: leave it out
        train_d = nn_.kneighbors(x_train, k + 1)[0][:, 1:].mean(axis=1)
        return train_d, nn_.kneighbors(x_test, k)[0].mean(axis=1)

    def pca(n: int = 8):
        model = PCA(n_components=n, random_state=seed).fit(x_train)

        def error(x: np.ndarray) -> np.ndarray:
            return ((model.inverse_transform(model.transform(x)) - x) ** 2).mean(axis=1)

        return error(x_train), error(x_test)

    def forest():
        model = IsolationForest(n_estimators=200, random_state=seed).fit(x_train)
        return -model.score_samples(x_train), -model.score_samples(x_test)

    def svm():
        model = OneClassSVM(nu=0.1, gamma="scale").fit(x_train)
        return -model.score_samples(x_train), -model.score_samples(x_test)

    def mean_beat():
        mean = x_train.mean(axis=0)
        return np.abs(x_train - mean).mean(axis=1), np.abs(x_test - mean).mean(axis=1)

    detectors = {
        "knn_distance": knn,
        "pca_reconstruction": pca,
        "isolation_forest": forest,
        "one_class_svm": svm,
        "mean_beat_distance": mean_beat,
    }
    out = {}
    for name, fit in detectors.items():
        start = time.perf_counter()
        train_s, test_s = fit()
        out[name] = (train_s, test_s, y_test, time.perf_counter() - start)
    return out


def classical_results(data: str | os.PathLike, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Metrics of each classical detector with the mean + 1 std threshold."""
    from ecg_anomaly.anomaly.metrics import detection_metrics

    results = {}
    for name, (train_s, test_s, y, seconds) in classical_scores(data, seed).items():
        threshold = float(train_s.mean() + train_s.std())
        m = detection_metrics(torch.as_tensor(test_s), torch.as_tensor(y), threshold)
        results[name] = {f"test/{k}": v for k, v in m.items()} | {
            "threshold": threshold,
            "seconds": seconds,
        }
    return results
