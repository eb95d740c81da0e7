"""RestoreBestWeights restores the best epoch's weights before the threshold is fitted."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import Callback

from ecg_anomaly.anomaly.postprocess import PostProcessor
from ecg_anomaly.anomaly.scoring import score_split
from ecg_anomaly.anomaly.thresholds import MeanStdThreshold
from ecg_anomaly.callbacks import RestoreBestWeights
from ecg_anomaly.data import ECG5000DataModule
from ecg_anomaly.models import DenseAutoencoder
from ecg_anomaly.models.base import FITTED_PREFIX


class Snapshots(Callback):
    """The weights after each validation."""

    def __init__(self) -> None:
        self.states: list[dict[str, torch.Tensor]] = []

    def on_validation_end(self, trainer, pl_module) -> None:
        state = pl_module.state_dict()
        self.states.append({k: v.clone() for k, v in state.items() if torch.is_tensor(v)})


def fit(synthetic_csv, restore: RestoreBestWeights, epochs: int = 4):
    dm = ECG5000DataModule(path=synthetic_csv, download=False, val_size=0.25, batch_size=32)
    dm.setup("fit")
    # thresholds are fitted in the model's own on_fit_end, after every callback's on_train_end
    model = DenseAutoencoder(seq_len=dm.seq_len, post=PostProcessor(MeanStdThreshold(1.0)))
    model.normalizer.load_state_dict(dm.normalizer.state_dict())
    snapshots = Snapshots()
    trainer = L.Trainer(
        max_epochs=epochs,
        callbacks=[restore, snapshots],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    trainer.fit(model, datamodule=dm)
    return trainer, model, dm, snapshots


def test_best_weights_are_restored_before_the_threshold_is_fitted(synthetic_csv):
    torch.manual_seed(0)
    # "max" makes the first epoch the best one, so the restored weights differ from the last
    restore = RestoreBestWeights(mode="max", only_if_stopped_early=False)
    _, model, dm, snapshots = fit(synthetic_csv, restore)

    assert restore.restored and restore.best_epoch == 0
    state = model.state_dict()
    for name, value in snapshots.states[0].items():
        # the thresholds are fitted after the restore
        if not name.startswith(FITTED_PREFIX):
            torch.testing.assert_close(state[name], value)
    assert not torch.equal(state["decoder.0.weight"], snapshots.states[-1]["decoder.0.weight"])
    # the stored threshold is the one of the restored weights
    train = score_split(model, dm.loader("train"), "train")
    normal = train.normal_scores()
    assert model.post.value == pytest.approx(normal.mean() + normal.std())


def test_like_keras_nothing_is_restored_when_training_ran_to_the_end(synthetic_csv):
    torch.manual_seed(0)
    restore = RestoreBestWeights(mode="max", only_if_stopped_early=True)
    _, model, _, snapshots = fit(synthetic_csv, restore, epochs=2)
    assert not restore.restored
    torch.testing.assert_close(
        model.state_dict()["decoder.0.weight"], snapshots.states[-1]["decoder.0.weight"]
    )


def test_best_state_travels_in_checkpoints():
    a = RestoreBestWeights()
    a.best, a.best_epoch, a.best_state = 0.5, 3, {"w": torch.ones(2)}
    b = RestoreBestWeights()
    b.load_state_dict(a.state_dict())
    assert (b.best, b.best_epoch) == (0.5, 3)
    torch.testing.assert_close(b.best_state["w"], torch.ones(2))


def test_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        RestoreBestWeights(mode="best")
