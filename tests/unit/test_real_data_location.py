"""Where ``pytest -m ecg5000`` looks for the real file: $ECG_ANOMALY_DATA, else the shared copy."""

from __future__ import annotations

from tests.conftest import SHARED_DATA, real_ecg5000


def test_the_variable_may_name_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ECG_ANOMALY_DATA", str(tmp_path / "mine.csv"))
    assert real_ecg5000()[0] == tmp_path / "mine.csv"


def test_the_variable_may_name_its_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ECG_ANOMALY_DATA", str(tmp_path))
    path, origin = real_ecg5000()
    assert path == tmp_path / "ecg.csv"
    assert origin == f"$ECG_ANOMALY_DATA={tmp_path}"


def test_without_the_variable_the_shared_copy_beside_the_checkout(monkeypatch):
    monkeypatch.delenv("ECG_ANOMALY_DATA", raising=False)
    assert real_ecg5000()[0] == SHARED_DATA / "ecg.csv"
    assert SHARED_DATA.parts[-3:] == ("shared", "data", "ecg5000")
