"""The UCR archive's protocol and its five classes, on hand-made TRAIN and TEST files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ecg_anomaly.errors import DataNotFoundError
from ecg_anomaly.train import train
from tests.conftest import synthetic_beats


def write_ucr(path, x, classes):
    np.savetxt(path, np.column_stack([classes, x]), fmt="%.6f")
    return path


@pytest.fixture
def ucr_files(tmp_path):
    """TRAIN: 120 beats; TEST: 80 beats; classes 1 normal, 2-5 abnormal (20 of each in TEST)."""
    x, y = synthetic_beats(150, 50, seed=3)
    rng = np.random.default_rng(3)
    classes = np.where(y == 0, 1, rng.integers(2, 6, len(y)))
    test_classes = np.array([1] * 40 + [2, 3, 4, 5] * 10)
    x_test, _ = synthetic_beats(40, 40, seed=4)
    order = np.argsort(synthetic_beats(40, 40, seed=4)[1], kind="stable")
    x_test = x_test[order]  # 40 normal first, then 40 abnormal
    train_path = write_ucr(tmp_path / "ECG5000_TRAIN.txt", x[:120], classes[:120])
    write_ucr(tmp_path / "ECG5000_TEST.txt", x_test, test_classes)
    return train_path, test_classes


def test_ucr_protocol_tests_on_the_test_file_with_per_class_results(make_cfg, ucr_files, tmp_path):
    train_path, test_classes = ucr_files
    results = train(
        make_cfg(
            f"data.path={train_path}", "data.protocol=ucr", "trainer.max_epochs=3", "report=true"
        )
    )
    assert results["test/beats"] == 80  # the TEST file, whole
    assert results["data/val/normal"] + results["data/val/abnormal"] == 30  # 25 % of TRAIN
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert list(scores.columns) == ["index", "label", "class", "score", "flag"]
    np.testing.assert_array_equal(scores["index"], np.arange(120, 200))  # after TRAIN's rows
    np.testing.assert_array_equal(scores["class"], test_classes)
    saved = json.loads((tmp_path / "metrics.json").read_text())
    for code in (2, 3, 4, 5):  # detection rate of each abnormal class, by hand from scores.csv
        flagged = scores.loc[scores["class"] == code, "flag"].mean()
        assert saved[f"test/recall_class_{code}"] == pytest.approx(flagged)
    assert saved["test/false_alarm_class_1"] == pytest.approx(scores.loc[:39, "flag"].mean())
    assert (tmp_path / "plots" / "scores_by_class.png").is_file()


def test_ucr_protocol_without_the_test_file_says_where_to_give_it(make_cfg, ucr_files):
    train_path, _ = ucr_files
    train_path.with_name("ECG5000_TEST.txt").unlink()
    with pytest.raises(DataNotFoundError, match=r"data\.test_path"):
        train(make_cfg(f"data.path={train_path}", "data.protocol=ucr"))
