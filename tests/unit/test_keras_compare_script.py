"""scripts/keras_compare.py: per-model epochs and its table (no TensorFlow, no training)."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "keras_compare.py"


@pytest.fixture(scope="module")
def compare():
    spec = importlib.util.spec_from_file_location("keras_compare_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # its top level imports the standard library only
    return module


def test_one_models_epochs_override_the_common_ones(compare):
    args = argparse.Namespace(epochs=None, model_epochs=dict([compare.model_epochs("lstm_ae=3")]))
    assert compare.epochs_of("lstm_ae", args) == 3
    assert compare.epochs_of("lstm_classifier", args) is None  # the recipe's own
    args.epochs = 5
    assert compare.epochs_of("cnn_ae", args) == 5


@pytest.mark.parametrize("text", ["lstm_ae", "lstm_ae=0", "lstm_ae=x", "gru=3"])
def test_a_bad_model_epochs_value_names_the_form(compare, text):
    with pytest.raises(argparse.ArgumentTypeError, match="expected MODEL=N"):
        compare.model_epochs(text)


def test_the_table_has_the_medians_ratio_and_epochs(compare):
    def row(keras: float, ours: float, others: float) -> dict:
        return {"model": "lstm_ae", "machine": "busy", "threads": 2, "epochs": 3,
                "keras": {"fit_seconds": keras, "accuracy": 0.9},
                "ours": {"fit_seconds": ours, "accuracy": 0.95}, "others": others}  # fmt: skip

    lines = compare.table([row(10.0, 5.0, 1.0), row(20.0, 5.0, 1.2), row(30.0, 30.0, 0.9)])
    # medians 20 s and 5 s; the median of the pairs' ratios (0.5, 0.25, 1.0) is 0.5
    assert lines.splitlines()[-1] == (
        "| lstm_ae | 3 | busy | 2 | 20.0 s | 5.0 s | 0.50x | 0.900, 0.900, 0.900 | "
        "0.950, 0.950, 0.950 | 1.20 |"
    )
