"""A database folder as a Hydra multi-run: records, overrides Hydra parses back, resume."""

from __future__ import annotations

import json

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser

from ecg_anomaly.errors import ConfigError, DataNotFoundError, RunFolderError
from ecg_anomaly.records import sweep


def test_records_are_read_from_the_records_file(tmp_path):
    (tmp_path / "RECORDS").write_text("100\n\n# a comment\n04015  # trailing\np00/p01\n")
    assert sweep.read_records(tmp_path) == ["100", "04015", "p00/p01"]


def test_a_folder_without_records_file_says_how_to_write_one(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"RECORDS.*ls \*\.hea"):
        sweep.read_records(tmp_path)


def test_record_names_hydra_cannot_carry_are_refused(tmp_path):
    (tmp_path / "a.hea").write_text("a 1 360 10\n")
    sweep.check_records(tmp_path, ["a"])
    with pytest.raises(ConfigError, match="'a,b'"):
        sweep.check_records(tmp_path, ["a,b"])
    with pytest.raises(DataNotFoundError, match=r"b\.hea not found"):
        sweep.check_records(tmp_path, ["b"])


def test_overrides_parse_back_to_the_record_names_and_path(tmp_path):
    db = tmp_path / "it's here"
    shared = sweep.shared_overrides(db, train_minutes=2.5, channel="1", overrides=["seed=3"])
    args = sweep.sweep_arguments(["0128", "100"], tmp_path / "out", shared, jobs=3)
    parsed = {o.key_or_group: o for o in OverridesParser.create().parse_overrides(args[1:])}
    # the names stay text ('0128', not the number 128), the path keeps its quote
    assert [v.text for v in parsed["record"].sweep_iterator()] == ["0128", "100"]
    assert parsed["data.record"].value() == f"{db}/${{record}}"
    assert parsed["data.channel"].value() == "1"
    assert parsed["data.train_minutes"].value() == 2.5
    assert parsed["hydra.launcher.n_jobs"].value() == 3
    assert parsed["hydra/launcher"].value() == "parallel"
    assert parsed["hydra.sweep.subdir"].value() == "${record}"
    assert parsed["callbacks.checkpoint"].value() is None
    assert parsed["seed"].value() == 3


def test_launchers(tmp_path):
    shared = sweep.shared_overrides(tmp_path)
    basic = sweep.sweep_arguments(["1"], tmp_path, shared, launcher="basic")
    assert not any(a.startswith(("hydra/launcher=", "hydra.launcher.")) for a in basic)
    slurm = sweep.sweep_arguments(["1"], tmp_path, shared, launcher="slurm")
    assert "hydra/launcher=slurm" in slurm and not any("n_jobs" in a for a in slurm)
    with pytest.raises(ConfigError, match="--launcher 'pbs'"):
        sweep.sweep_arguments(["1"], tmp_path, shared, launcher="pbs")


def test_a_checkpoint_setting_of_the_user_replaces_ours(tmp_path):
    given = sweep.shared_overrides(tmp_path, overrides=["callbacks.checkpoint.every_n_epochs=5"])
    assert "callbacks.checkpoint=null" not in given


def test_a_rerun_with_other_settings_is_refused(tmp_path):
    sweep.claim_sweep(tmp_path / "runs", ["data=recording", "seed=0"])
    sweep.claim_sweep(tmp_path / "runs", ["data=recording", "seed=0"])  # the same: fine
    saved = json.loads((tmp_path / "runs" / sweep.SETTINGS_FILE).read_text())
    assert saved == ["data=recording", "seed=0"]
    with pytest.raises(RunFolderError, match="there: seed=0; now: seed=1"):
        sweep.claim_sweep(tmp_path / "runs", ["data=recording", "seed=1"])


def test_unfinished_records_are_those_without_metrics(tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    (tmp_path / "a" / "metrics.json").write_text("{}")
    (tmp_path / "b" / "failure.json").write_text("{}")
    assert sweep.unfinished(tmp_path, ["a", "b", "c", "d"]) == ["b", "c", "d"]
