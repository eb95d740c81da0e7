import pytest
import torch

from ecg_anomaly.data import ABNORMAL, NORMAL, ECG5000DataModule
from ecg_anomaly.errors import DataFormatError
from tests.conftest import synthetic_beats, write_tf_csv


@pytest.fixture
def dm(synthetic_csv):
    dm = ECG5000DataModule(path=synthetic_csv, val_size=0.25, batch_size=32, download=False)
    dm.setup("fit")
    return dm


def test_split_sizes_follow_the_tutorial_then_the_validation_fraction(dm):
    # 400 beats: ceil(0.2 * 400) = 80 test; of 320, ceil(0.25 * 320) = 80 validation
    assert dm.split_sizes == {"train": 240, "val": 80, "test": 80}
    assert dm.seq_len == 140


def test_normalizer_is_fitted_on_the_training_split_only(dm):
    x_train, _ = dm.split("train")
    normed = dm.normalizer(x_train)
    assert normed.min().item() == pytest.approx(0.0, abs=1e-6)
    assert normed.max().item() == pytest.approx(1.0, abs=1e-6)


def test_training_loader_holds_normal_beats_only_for_autoencoders(dm):
    dm.normal_only = None  # the default: autoencoders
    labels = torch.cat([batch["label"] for batch in dm.train_dataloader()])
    assert labels.eq(NORMAL).all()
    assert len(labels) == int(dm.split("train")[1].eq(NORMAL).sum())


def test_classifiers_get_every_labelled_training_beat(dm):
    dm.normal_only = False
    labels = torch.cat([batch["label"] for batch in dm.train_dataloader()])
    assert len(labels) == 240
    assert labels.eq(ABNORMAL).any()


def test_split_is_fixed_by_split_seed_not_by_seed(synthetic_csv):
    a = ECG5000DataModule(path=synthetic_csv, seed=0, download=False)
    b = ECG5000DataModule(path=synthetic_csv, seed=1, download=False)
    a.setup()
    b.setup()
    torch.testing.assert_close(a.split("test")[0], b.split("test")[0])


def test_training_split_without_normal_beats_is_refused(tmp_path):
    x, y = synthetic_beats(0, 50)
    path = write_tf_csv(tmp_path / "abnormal_only.csv", x, y)
    dm = ECG5000DataModule(path=path, download=False)
    with pytest.raises(DataFormatError, match="no normal beats") as err:
        dm.setup()
    assert str(path) in str(err.value)


@pytest.mark.ecg5000
def test_real_ecg5000_split(ecg5000_csv):
    dm = ECG5000DataModule(path=ecg5000_csv, download=False)
    dm.setup()
    # the tutorial's file: 4,998 rows; train_test_split(test_size=0.2) gives ceil(999.6) = 1,000
    assert dm.split_sizes == {"train": 3998, "val": 0, "test": 1000}
    counts = dm.describe()
    assert counts["train/normal"] + counts["test/normal"] == 2919


def test_split_rows_name_the_file_rows_each_split_serves(dm):
    for name in ("train", "val", "test"):
        rows = dm.split_rows(name)
        torch.testing.assert_close(torch.from_numpy(dm.beats.x[rows]), dm.split(name)[0])
    every = sorted([*dm.split_rows("train"), *dm.split_rows("val"), *dm.split_rows("test")])
    assert every == list(range(400))
