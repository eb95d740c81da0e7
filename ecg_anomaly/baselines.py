"""Classical anomaly detectors from scikit-learn, as baselines for the benchmark.

They take their beats from the same data module as the models (the tutorial's split and
global min-max normalisation fitted on the training part), are fitted on the same normal
training beats, thresholded by the same threshold object (mean + 1 std of their normal-training
scores, :class:`~ecg_anomaly.anomaly.thresholds.MeanStdThreshold`) and evaluated by the same
:func:`~ecg_anomaly.anomaly.evaluation.evaluate`. scikit-learn is an optional dependency
(``pip install ecg-anomaly[bench]``), imported only when a detector is fitted, so the training
path never needs it.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from ecg_anomaly.anomaly.evaluation import evaluate
from ecg_anomaly.anomaly.scoring import SplitScores
from ecg_anomaly.anomaly.thresholds import MeanStdThreshold


def classical_scores(
    data: str | os.PathLike, seed: int = 0
) -> dict[str, tuple[SplitScores, SplitScores, float]]:
    """Scores of the scikit-learn detectors, fitted on the normal training beats.

    Returns:
        ``name -> (normal training scores, test scores, seconds)``, higher = more abnormal;
        seconds = fitting and scoring time.
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
    test_rows = dm.split_rows("test")

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
        train = SplitScores("train", np.asarray(train_s, np.float64))
        test = SplitScores("test", np.asarray(test_s, np.float64), y_test, rows=test_rows)
        out[name] = (train, test, time.perf_counter() - start)
    return out


def classical_results(data: str | os.PathLike, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Metrics of each classical detector with the mean + 1 std threshold."""
    results = {}
    for name, (train, test, seconds) in classical_scores(data, seed).items():
        threshold = MeanStdThreshold(k=1.0).fit(train)
        evaluation = evaluate(test, {"threshold": threshold})
        results[name] = evaluation.metrics | {"threshold": threshold, "seconds": seconds}
    return results
