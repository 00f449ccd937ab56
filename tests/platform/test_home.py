"""The home: --home / SPIKESWEEP_HOME / ~/.spikesweep, store paths, URL overrides."""

from __future__ import annotations

from pathlib import Path

from spikesweep.platform.stores.home import get_home


def test_precedence_and_paths(tmp_path, monkeypatch):
    for name in ("SPIKESWEEP_HOME", "SPIKESWEEP_MLFLOW_URI", "SPIKESWEEP_OPTUNA_URI", "SPIKESWEEP_REGISTRY_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert get_home().root == tmp_path / "user" / ".spikesweep"
    monkeypatch.setenv("SPIKESWEEP_HOME", str(tmp_path / "env"))
    assert get_home().root == tmp_path / "env"
    home = get_home(tmp_path / "explicit")
    assert home.root == tmp_path / "explicit"
    assert home.mlflow_uri == f"sqlite:///{tmp_path}/explicit/mlflow.db"
    assert home.optuna_uri == f"sqlite:///{tmp_path}/explicit/optuna.db"
    assert home.registry_uri == f"sqlite:///{tmp_path}/explicit/registry.db"
    assert (home.ray_results, home.cache_dir) == (tmp_path / "explicit/ray_results", tmp_path / "explicit/cache")
    assert not home.root.exists() and not home.registry_exists()
    home.create()
    assert sorted(p.name for p in home.root.iterdir()) == ["cache", "mlartifacts", "ray_results"]


def test_relative_home_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert get_home("rel").root == Path(tmp_path / "rel")


def test_store_urls_can_point_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKESWEEP_MLFLOW_URI", "http://mlflow:5000")
    monkeypatch.setenv("SPIKESWEEP_OPTUNA_URI", "postgresql+psycopg2://u:p@db/optuna")
    monkeypatch.setenv("SPIKESWEEP_REGISTRY_URI", "postgresql+psycopg2://u:p@db/registry")
    home = get_home(tmp_path)
    assert (home.mlflow_uri, home.optuna_uri, home.registry_uri) == (
        "http://mlflow:5000",
        "postgresql+psycopg2://u:p@db/optuna",
        "postgresql+psycopg2://u:p@db/registry",
    )
    assert home.registry_exists()
