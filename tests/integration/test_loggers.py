"""Logger presets through the console entry point: TensorBoard event files, CSV beside them."""

from __future__ import annotations

import csv
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

EPOCHS = 3


def train_cli(out: Path, data: Path, *overrides: str) -> subprocess.CompletedProcess:
    """``python -m ecg_anomaly.train`` under umask 022, writing its run folder to ``out``."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ecg_anomaly.train",
            f"data.path={data}",
            "data.download=false",
            f"trainer.max_epochs={EPOCHS}",
            "trainer.enable_progress_bar=false",
            "callbacks.progress_bar=null",
            "report=false",
            f"hydra.run.dir={out}",
            *overrides,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        preexec_fn=lambda: os.umask(0o022),
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def scalars(log_dir: Path, tag: str) -> list[tuple[int, float]]:
    """``(step, value)`` of one scalar in TensorBoard's event files, read by TensorBoard itself."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(log_dir))
    acc.Reload()
    return [(e.step, e.value) for e in acc.Scalars(tag)]


@pytest.fixture(scope="module")
def many_run(synthetic_csv, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("many")
    train_cli(out, synthetic_csv, "logger=many")
    return out


@pytest.mark.slow
def test_tensorboard_logger_writes_one_training_loss_per_epoch(synthetic_csv, tmp_path):
    pytest.importorskip("tensorboard")
    train_cli(tmp_path, synthetic_csv, "logger=tensorboard")
    events = list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert events  # fit and test each close a file
    losses = scalars(tmp_path / "tensorboard", "train/loss")
    assert len(losses) == EPOCHS
    steps = [s for s, _ in losses]
    assert steps == sorted(steps) and len(set(steps)) == EPOCHS
    assert all(v > 0 for _, v in losses)
    assert not (tmp_path / "csv").exists()  # only the logger asked for


@pytest.mark.slow
def test_many_loggers_write_csv_and_tensorboard_with_the_same_losses(many_run):
    pytest.importorskip("tensorboard")
    with (many_run / "csv" / "metrics.csv").open() as f:
        csv_losses = [float(r["train/loss"]) for r in csv.DictReader(f) if r.get("train/loss")]
    tb_losses = [v for _, v in scalars(many_run / "tensorboard", "train/loss")]
    assert len(csv_losses) == EPOCHS
    assert tb_losses == pytest.approx(csv_losses, rel=1e-6)


@pytest.mark.slow
def test_result_files_are_readable_by_the_group_under_umask_022(many_run):
    for name in ("metrics.json", "csv/metrics.csv"):
        assert oct(stat.S_IMODE((many_run / name).stat().st_mode)) == oct(0o644), name


@pytest.mark.slow
def test_mlflow_logger_keeps_its_store_in_the_run_folder(synthetic_csv, tmp_path):
    mlflow = pytest.importorskip("mlflow")
    pytest.importorskip("sqlalchemy")
    train_cli(tmp_path / "run", synthetic_csv, "logger=mlflow", "name=mlflow_check")
    client = mlflow.tracking.MlflowClient(f"sqlite:///{tmp_path / 'run' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("ecg-anomaly")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "mlflow_check"
    assert len(client.get_metric_history(run.info.run_id, "train/loss")) == EPOCHS
    assert "test/auroc" in run.data.metrics
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # nothing outside it


@pytest.mark.slow
def test_wandb_logger_runs_offline_in_the_run_folder(synthetic_csv, tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    for var in ("WANDB_MODE", "WANDB_API_KEY", "WANDB_DIR"):
        monkeypatch.delenv(var, raising=False)
    train_cli(tmp_path / "run", synthetic_csv, "logger=wandb")
    (offline,) = (tmp_path / "run" / "wandb").glob("offline-run-*")
    (data,) = offline.glob("run-*.wandb")
    assert data.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_tensorboard_alone_gets_the_loss_plot_and_the_hyperparameters_with_metrics(
    make_cfg, tmp_path
):
    # the loss plot comes from the model's own history, not from a CSV log; TensorBoard shows
    # hyper-parameters only with metrics: the run's settings and its test metrics
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from ecg_anomaly.train import train

    results = train(make_cfg("logger=tensorboard", "report=true", "trainer.max_epochs=3"))
    assert (tmp_path / "plots" / "loss.png").is_file()
    assert not (tmp_path / "csv").exists()
    acc = EventAccumulator(str(tmp_path / "tensorboard"))
    acc.Reload()
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = acc.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    assert start.session_start_info.hparams["seed"].number_value == 0
    assert start.session_start_info.hparams["model/_target_"].string_value.endswith("Autoencoder")
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"])
    shown = {m.name.tag for m in experiment.experiment.metric_infos}
    assert {"test/accuracy", "test/auroc", "threshold"} <= shown
    tags = acc.Tags()["scalars"]
    assert "test/accuracy" in tags and "train/loss" in tags
    assert [e.value for e in acc.Scalars("test/accuracy")][-1] == pytest.approx(
        results["test/accuracy"]
    )
