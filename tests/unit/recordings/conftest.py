"""Fixtures of the recording tests: MIT-BIH record 100 (skipped where absent), synthetic records."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("wfdb", reason="the recordings extra (wfdb, neurokit2) is not installed")
pytest.importorskip("neurokit2", reason="the recordings extra (wfdb, neurokit2) is not installed")

from ecg_anomaly.recordings.extract import RecordingBeats, extract_beats
from ecg_anomaly.recordings.io import Recording, read_recording
from ecg_anomaly.recordings.synthetic import SyntheticRecording, simulate_recording

#: MIT-BIH records: $ECG_ANOMALY_MITDB, else the project's shared copy beside the checkout.
MITDB = Path(
    os.environ.get(
        "ECG_ANOMALY_MITDB", Path(__file__).resolve().parents[3].parent / "shared/data/mitdb"
    )
)


@pytest.fixture(scope="session")
def mitdb() -> Path:
    """The folder holding MIT-BIH record 100 (tests using it are skipped where it is missing)."""
    if not (MITDB / "100.hea").is_file():
        pytest.skip(f"MIT-BIH record 100 not found in {MITDB} (set ECG_ANOMALY_MITDB)")
    return MITDB


@pytest.fixture(scope="session")
def record100(mitdb: Path) -> Recording:
    return read_recording(mitdb / "100")


@pytest.fixture(scope="session")
def beats100(record100: Recording) -> RecordingBeats:
    return extract_beats(record100)


@pytest.fixture(scope="session")
def pvc_rich() -> SyntheticRecording:
    """Two minutes at 360 Hz, 30 % wide ectopic beats, each 25 % premature."""
    return simulate_recording(120.0, 360.0, ectopic_fraction=0.3, prematurity=0.25, seed=3)


@pytest.fixture(scope="session")
def bigeminy_like() -> SyntheticRecording:
    """Two minutes at 250 Hz where half the beats are wide ectopic beats, 25 % premature."""
    return simulate_recording(120.0, 250.0, ectopic_fraction=0.5, prematurity=0.25, seed=11)
