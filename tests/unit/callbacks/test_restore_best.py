"""RestoreBestWeights restores the best epoch's weights before the threshold is fitted."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from lightning.pytorch.callbacks import Callback

from ecg_anomaly.anomaly.thresholds import MeanStdThreshold
from ecg_anomaly.callbacks import RestoreBestWeights, ThresholdCallback
from ecg_anomaly.callbacks.threshold import fit_threshold
from ecg_anomaly.data import ECG5000DataModule
from ecg_anomaly.models import DenseAutoencoder


class Snapshots(Callback):
    """The weights after each validation."""

    def __init__(self) -> None:
        self.states: list[dict[str, torch.Tensor]] = []

    def on_validation_end(self, trainer, pl_module) -> None:
        self.states.append({k: v.clone() for k, v in pl_module.state_dict().items()})


def fit(synthetic_csv, restore: RestoreBestWeights, epochs: int = 4):
    dm = ECG5000DataModule(path=synthetic_csv, download=False, val_size=0.25, batch_size=32)
    dm.setup("fit")
    model = DenseAutoencoder(seq_len=dm.seq_len)
    model.normalizer.load_state_dict(dm.normalizer.state_dict())
    threshold = ThresholdCallback(MeanStdThreshold(1.0))
    snapshots = Snapshots()
    trainer = L.Trainer(
        max_epochs=epochs,
        # the threshold callback comes first on purpose: the restore must move ahead of it
        callbacks=[threshold, restore, snapshots],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    trainer.fit(model, datamodule=dm)
    return trainer, model, dm, snapshots, threshold


def test_best_weights_are_restored_before_the_threshold_is_fitted(synthetic_csv):
    torch.manual_seed(0)
    # "max" makes the first epoch the best one, so the restored weights differ from the last
    restore = RestoreBestWeights(mode="max", only_if_stopped_early=False)
    trainer, model, dm, snapshots, threshold = fit(synthetic_csv, restore)

    assert restore.restored and restore.best_epoch == 0
    assert trainer.callbacks.index(restore) < trainer.callbacks.index(threshold)
    state = model.state_dict()
    for name, value in snapshots.states[0].items():
        if name != "threshold":
            torch.testing.assert_close(state[name], value)
    assert not torch.equal(state["decoder.0.weight"], snapshots.states[-1]["decoder.0.weight"])
    # the stored threshold is the one of the restored weights
    expected = fit_threshold(MeanStdThreshold(1.0), model, dm)
    assert float(model.threshold) == pytest.approx(expected)


def test_like_keras_nothing_is_restored_when_training_ran_to_the_end(synthetic_csv):
    torch.manual_seed(0)
    restore = RestoreBestWeights(mode="max", only_if_stopped_early=True)
    _, model, _, snapshots, _ = fit(synthetic_csv, restore, epochs=2)
    assert not restore.restored
    torch.testing.assert_close(
        model.state_dict()["decoder.0.weight"], snapshots.states[-1]["decoder.0.weight"]
    )


def test_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        RestoreBestWeights(mode="best")
