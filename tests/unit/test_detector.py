"""Detector and load_detector: PyOD's interface, raw beats in, unsafe checkpoints refused."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from ecg_anomaly import Detector, load_detector
from ecg_anomaly.checkpoints import model_class
from ecg_anomaly.errors import CheckpointError, DataFormatError
from ecg_anomaly.models import DenseAutoencoder
from ecg_anomaly.models.base import CHECKPOINT_KEY


def make_model(seq_len: int = 20, threshold: float = 0.3) -> DenseAutoencoder:
    torch.manual_seed(0)
    model = DenseAutoencoder(seq_len=seq_len, hidden=[8, 4])
    model.normalizer.fit(torch.randn(50, seq_len))
    model.post.set_thresholds(threshold)
    return model


def save_checkpoint(model, path, **extra):
    """What Lightning writes, in the parts load_detector reads."""
    cls = type(model)
    ckpt = {
        "state_dict": model.state_dict(),
        "hyper_parameters": dict(model.hparams),
        CHECKPOINT_KEY: {"class_path": f"{cls.__module__}.{cls.__qualname__}"},
        **extra,
    }
    torch.save(ckpt, path)
    return path


@pytest.fixture
def beats() -> np.ndarray:
    return np.random.default_rng(1).normal(size=(10, 20)).astype(np.float32)


@pytest.fixture
def ckpt(tmp_path):
    return save_checkpoint(make_model(), tmp_path / "model.ckpt")


def test_loaded_detector_scores_like_the_model(ckpt, beats):
    det = load_detector(ckpt)
    expected = make_model().eval().score(torch.from_numpy(beats)).detach().numpy()
    scores = det.decision_function(beats)
    assert isinstance(scores, np.ndarray) and scores.shape == (10,)
    np.testing.assert_allclose(scores, expected, rtol=1e-6)
    assert det.seq_len == 20 and det.threshold_ == pytest.approx(0.3)
    np.testing.assert_array_equal(det.predict(beats), (expected >= 0.3).astype(np.int64))


def test_scores_accept_tensors_single_beats_float64_and_any_batch_size(ckpt, beats):
    det = load_detector(ckpt)
    reference = det.decision_function(beats)
    np.testing.assert_allclose(det.decision_function(torch.from_numpy(beats)), reference)
    assert det.decision_function(beats[3]).shape == (1,)
    assert det.decision_function(beats[3])[0] == pytest.approx(reference[3], rel=1e-6)
    np.testing.assert_allclose(det.score(beats.astype(np.float64)), reference, rtol=1e-6)
    det.batch_size = 3  # 4 batches, the last one short
    np.testing.assert_allclose(det.decision_function(beats), reference, rtol=1e-6)
    assert det.predict(torch.from_numpy(beats)).dtype == np.int64


def test_wrong_beat_length_is_refused_with_the_expected_length(ckpt, beats):
    with pytest.raises(DataFormatError, match=r"expects \(n, 20\)"):
        load_detector(ckpt).decision_function(beats[:, :19])


def test_nan_input_is_refused_naming_the_beat(ckpt, beats):
    beats[2, 7] = np.nan
    with pytest.raises(DataFormatError, match="beat 2, time step 7"):
        load_detector(ckpt).predict(beats)


def test_a_model_without_threshold_scores_but_does_not_flag(tmp_path, beats):
    det = load_detector(save_checkpoint(make_model(threshold=float("nan")), tmp_path / "m.ckpt"))
    assert det.decision_function(beats).shape == (10,)
    with pytest.raises(CheckpointError, match="no fitted threshold"):
        det.predict(beats)
    det.set_threshold(0.0)
    assert det.predict(beats).sum() == 10


class Payload:
    """Unpickling this writes a file: the stand-in for a stranger's code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


def test_a_checkpoint_holding_a_pickled_object_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "side_effect"
    # the payload is live: plain unpickling would run it
    pickle.loads(pickle.dumps(Payload(tmp_path / "proof")))
    assert (tmp_path / "proof").exists()

    path = save_checkpoint(make_model(), tmp_path / "evil.ckpt", payload=Payload(marker))
    with pytest.raises(CheckpointError, match="arbitrary code"):
        load_detector(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "class_path",
    [
        "builtins.eval",
        "os.system",
        "ecg_anomaly.data.datamodule.ECG5000DataModule",
        "ecg_anomaly.models.base.torch",
        "ecg_anomaly.models.nope.Model",
        "ecg_anomaly.models.dense_ae.DenseAutoencoder; import os",
        42,
    ],
)
def test_classes_outside_ecg_anomaly_models_are_refused(class_path):
    with pytest.raises(CheckpointError, match="only subclasses of AnomalyModel"):
        model_class(class_path)


def test_model_class_resolves_the_package_models():
    assert model_class("ecg_anomaly.models.dense_ae.DenseAutoencoder") is DenseAutoencoder


def test_checkpoint_with_a_foreign_class_path_is_refused(tmp_path):
    model = make_model()
    path = tmp_path / "foreign.ckpt"
    torch.save(
        {"state_dict": model.state_dict(), CHECKPOINT_KEY: {"class_path": "os.system"}}, path
    )
    with pytest.raises(CheckpointError, match=r"'os\.system'"):
        load_detector(path)


def test_missing_foreign_or_mismatched_checkpoints_say_what_is_wrong(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_detector(tmp_path / "missing.ckpt")
    torch.save({"state_dict": {}}, tmp_path / "plain.ckpt")
    with pytest.raises(CheckpointError, match="not written by ecg-anomaly-train"):
        load_detector(tmp_path / "plain.ckpt")
    (tmp_path / "text.ckpt").write_text("hello")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_detector(tmp_path / "text.ckpt")
    model = make_model()
    bad = save_checkpoint(model, tmp_path / "bad.ckpt")
    ckpt = torch.load(bad, weights_only=True)
    ckpt["hyper_parameters"]["hidden"] = [16, 4]
    torch.save(ckpt, bad)
    with pytest.raises(CheckpointError, match="does not match DenseAutoencoder"):
        load_detector(bad)


def test_loaded_detectors_are_in_eval_mode_and_say_what_they_are(ckpt):
    det = load_detector(ckpt)
    assert not det.model.training
    assert repr(det).startswith("Detector(experiment=None, model=DenseAutoencoder, seq_len=20")
    assert repr(Detector()) == "Detector(experiment='tf_tutorial_dense_ae', not fitted)"
    with pytest.raises(CheckpointError, match="not fitted yet"):
        Detector().predict(np.zeros((1, 20)))


def test_fit_from_numpy_predict_save_and_load_as_the_readme_shows(tmp_path, synthetic_arrays):
    x, y = synthetic_arrays
    x_normal = x[y == 0]
    det = Detector("tf_tutorial_dense_ae", overrides=["trainer.max_epochs=5"]).fit(x_normal)
    scores = det.decision_function(x)
    flags = det.predict(x)
    assert scores.shape == flags.shape == (len(x),)
    assert set(np.unique(flags)) <= {0, 1}
    # PyOD's attributes: the training beats' scores and flags, and the threshold
    assert det.decision_scores_.shape == (len(x_normal),)
    normal = det.decision_scores_
    assert det.threshold_ == pytest.approx(normal.mean() + normal.std())  # the tutorial's rule
    assert flags[y == 1].mean() > flags[y == 0].mean()  # abnormal beats flagged more often
    det.save(tmp_path / "model.ckpt")
    same = load_detector(tmp_path / "model.ckpt")
    np.testing.assert_array_equal(same.predict(x), flags)
    np.testing.assert_allclose(same.decision_function(x), scores)


def test_load_detector_is_exported_lazily():
    code = (
        "import sys, ecg_anomaly; assert 'torch' not in sys.modules; "
        "from ecg_anomaly import load_detector; assert callable(load_detector)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
