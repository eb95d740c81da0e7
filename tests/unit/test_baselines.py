"""The scikit-learn baselines run on synthetic beats and separate them."""

from __future__ import annotations

import pytest

from ecg_anomaly.baselines import classical_results

pytest.importorskip("sklearn")


def test_every_detector_reports_the_metrics(synthetic_csv):
    results = classical_results(synthetic_csv, seed=0)
    assert set(results) == {
        "knn_distance", "pca_reconstruction", "isolation_forest", "one_class_svm",
        "mean_beat_distance",
    }  # fmt: skip
    for name, res in results.items():
        assert {"test/accuracy", "test/auroc", "threshold", "seconds"} <= set(res), name
        # the synthetic abnormal beats are easy: every detector ranks them above the normal ones
        assert res["test/auroc"] > 0.9, name
