"""$ECG_ANOMALY_CONFIG_DIR: a user's config folders searched after ecg-anomaly's own configs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra._internal.config_search_path_impl import ConfigSearchPathImpl
from hydra.core.global_hydra import GlobalHydra

from ecg_anomaly.utils.config import config_dir
from hydra_plugins.ecg_anomaly_searchpath.ecg_anomaly_searchpath import (
    ENV_VAR,
    PROVIDER,
    EcgAnomalySearchPathPlugin,
    user_config_dirs,
)

MY_EXP = "# @package _global_\ndefaults:\n  - override /model: small_dense_ae\nname: mine\n"


def search_path(main: str) -> ConfigSearchPathImpl:
    sp = ConfigSearchPathImpl()
    sp.append("hydra", "pkg://hydra.conf")
    sp.append("main", main)
    sp.append("schema", "structured://")
    return sp


def providers(sp: ConfigSearchPathImpl) -> list[tuple[str, str]]:
    return [(e.provider, e.path) for e in sp.get_path()]


def test_the_variable_lists_folders_in_order(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    value = os.pathsep.join(["~/a", "/x/b", " ", ""])
    assert user_config_dirs(value) == [tmp_path / "a", Path("/x/b")]
    assert user_config_dirs("") == []


def test_folders_come_right_after_the_packaged_configs(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    monkeypatch.setenv(ENV_VAR, f"{first}{os.pathsep}{second}")
    sp = search_path(config_dir())
    EcgAnomalySearchPathPlugin().manipulate_search_path(sp)
    assert providers(sp) == [
        ("hydra", "pkg://hydra.conf"),
        ("main", config_dir()),
        (PROVIDER, f"file://{first}"),
        (PROVIDER, f"file://{second}"),
        ("schema", "structured://"),
    ]


def test_other_hydra_applications_are_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    sp = search_path(f"file://{tmp_path / 'another_app_conf'}")
    before = providers(sp)
    EcgAnomalySearchPathPlugin().manipulate_search_path(sp)
    assert providers(sp) == before


def test_a_missing_folder_is_reported_and_skipped(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "typo"))
    sp = search_path(f"file://{config_dir()}")
    EcgAnomalySearchPathPlugin().manipulate_search_path(sp)
    assert PROVIDER not in {p for p, _ in providers(sp)}
    err = capsys.readouterr().err
    assert f"${ENV_VAR} names {tmp_path / 'typo'}, which is not a folder" in err


def test_a_file_named_like_a_packaged_one_is_reported(tmp_path, monkeypatch, capsys):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "dense_ae.yaml").write_text("hidden: [1]\n")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    EcgAnomalySearchPathPlugin().manipulate_search_path(search_path(config_dir()))
    err = capsys.readouterr().err
    assert f"{tmp_path / 'model' / 'dense_ae.yaml'} has the name of a packaged config" in err
    assert "model/my_dense_ae.yaml" in err


def test_compose_finds_a_user_experiment_and_local_settings(tmp_path, monkeypatch):
    (tmp_path / "experiment").mkdir()
    (tmp_path / "experiment" / "my_exp.yaml").write_text(MY_EXP)
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "default.yaml").write_text("# @package _global_\nseed: 11\n")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(version_base="1.3", config_dir=config_dir()):
            cfg = compose("train", overrides=["experiment=my_exp"])
    finally:
        GlobalHydra.instance().clear()
    assert cfg.name == "mine"
    assert cfg.model._target_ == "ecg_anomaly.models.SmallDenseAutoencoder"
    assert cfg.seed == 11


def test_compose_without_the_variable_does_not_know_the_experiment(monkeypatch):
    from hydra.errors import MissingConfigException

    monkeypatch.delenv(ENV_VAR, raising=False)
    GlobalHydra.instance().clear()
    try:
        with (
            initialize_config_dir(version_base="1.3", config_dir=config_dir()),
            pytest.raises(MissingConfigException, match="experiment/my_exp"),
        ):
            compose("train", overrides=["experiment=my_exp"])
    finally:
        GlobalHydra.instance().clear()
