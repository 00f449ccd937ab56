"""Integration tests: real local Ray (one instance per session), MLflow and Optuna on SQLite files in tmp homes."""

from __future__ import annotations

import os
import pathlib

import pytest

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.pop("RAY_ADDRESS", None)
ROOT = pathlib.Path(__file__).resolve().parents[2]
# Ray workers do not see pytest's sys.path: export the checkout before ray.init.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH", "")] if p)


@pytest.fixture(scope="session")
def ray_session():
    """One local Ray for the whole session; the driver reuses it (and leaves it running) when initialized."""
    import ray

    ray.init(
        num_cpus=2,
        num_gpus=0,
        include_dashboard=False,
        log_to_driver=False,
        object_store_memory=100 * 2**20,
        ignore_reinit_error=True,
    )
    yield
    ray.shutdown()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh spikesweep home (and no store URL overrides)."""
    path = tmp_path / "home"
    monkeypatch.setenv("SPIKESWEEP_HOME", str(path))
    for name in ("SPIKESWEEP_MLFLOW_URI", "SPIKESWEEP_OPTUNA_URI", "SPIKESWEEP_REGISTRY_URI"):
        monkeypatch.delenv(name, raising=False)
    from spikesweep.platform.stores.home import get_home

    return get_home()
