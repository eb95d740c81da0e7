"""Fixtures of the integration tests: a synthetic WFDB recording and a model trained on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import compose_train


@pytest.fixture(scope="session")
def sim_record(tmp_path_factory) -> Path:
    """A 3-minute synthetic WFDB record at 250 Hz, 20 % premature wide ectopic beats (``V``),
    with one normal beat's annotation removed (a detected beat no annotation matches)."""
    wfdb = pytest.importorskip("wfdb")
    pytest.importorskip("neurokit2")
    from ecg_anomaly.recordings.synthetic import simulate_recording

    folder = tmp_path_factory.mktemp("sim")
    sim = simulate_recording(180.0, 250.0, ectopic_fraction=0.2, prematurity=0.25, seed=5)
    wfdb.wrsamp("sim", fs=250, units=["mV"], sig_name=["MLII"], p_signal=sim.signal[:, None],
                write_dir=str(folder))  # fmt: skip
    ann = sim.annotations
    keep = np.ones(len(ann), bool)
    keep[np.flatnonzero(ann.symbol == "N")[150]] = False  # in the test part (after minute 1)
    wfdb.wrann("sim", "atr", ann.sample[keep], np.array(ann.symbol)[keep], write_dir=str(folder))
    return folder / "sim"


@pytest.fixture(scope="session")
def sim_run(tmp_path_factory, sim_record) -> tuple[Path, dict]:
    """A dense autoencoder trained on the synthetic record's first minute, report on."""
    from ecg_anomaly.train import train

    run = tmp_path_factory.mktemp("sim_run")
    cfg = compose_train(run, "data=recording", f"data.record={sim_record}",
                        "data.train_minutes=1", "trainer.max_epochs=150")  # fmt: skip
    return run, train(cfg)
