"""The result cache continues a longer trial: 2 epochs submitted, then 4 under another name train only epochs 3-4
per trial, from the first study's final checkpoints, and end exactly like a fresh 4-epoch study."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from mlflow.tracking import MlflowClient

from spikesweep.platform.cli import main
from spikesweep.platform.stores.registry import Registry
from spikesweep.platform.stores.result_cache import ResultCache

pytestmark = pytest.mark.integration
STUDY: dict[str, Any] = {
    "study": "cont",
    "base": {
        "dataset": "digits",
        "backbone": "small_cnn",
        "schedule": "constant",
        "timesteps": 1,
        "lr": 0.05,
        "batch_size": 128,
        "energy.samples": 32,
        "checkpoint.every_epochs": 1,
    },
    "design": {"kind": "grid", "factors": {"neuron.threshold": [0.5, 1.0]}},
    "seeds": [0],
    "resources": {"cpu": 1, "gpu": 0},
    "scheduler": {"kind": "none"},
}


def study_file(tmp_path: Path, epochs: int) -> str:
    path = tmp_path / f"cont{epochs}.yaml"
    document = {**STUDY, "base": {**STUDY["base"], "epochs": epochs}}
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return str(path)


def trained_epochs(checkpoint: str | None) -> int:
    """How many epochs a trial trained: Tune numbers a trial's checkpoints from 0 and the study saves one after every
    trained epoch (`checkpoint.every_epochs: 1`), so its last checkpoint's number + 1 (cached epochs save none)."""
    assert checkpoint is not None
    path = Path(checkpoint)
    assert json.loads((path / "metrics.json").read_text())["epoch"] == 4  # the last is the final epoch's
    return int(path.name.removeprefix("checkpoint_")) + 1


def test_a_longer_study_continues_the_cached_checkpoints_and_ends_like_a_fresh_one(ray_session, home, tmp_path):
    assert main(["submit", study_file(tmp_path, 2), "--name", "short"]) == 0
    registry = Registry(home.registry_uri)
    short = {t.config["neuron.threshold"]: t for t in registry.trials("short")}
    entries = ResultCache(registry).entries()
    assert len(entries) == 2 and all(e.epochs == 2 and e.checkpoint for e in entries.values())
    assert {e.checkpoint for e in entries.values()} == {t.checkpoint_path for t in short.values()}
    registry.close()

    four = study_file(tmp_path, 4)
    assert main(["submit", four, "--name", "long"]) == 0
    assert main(["submit", four, "--name", "fresh", "--no-cache"]) == 0
    registry = Registry(home.registry_uri)
    cache = ResultCache(registry)
    long = {t.config["neuron.threshold"]: t for t in registry.trials("long")}
    fresh = {t.config["neuron.threshold"]: t for t in registry.trials("fresh")}
    links, entries = cache.links("long"), cache.entries()
    registry.close()
    client = MlflowClient(home.mlflow_uri)
    for threshold, trial in long.items():
        assert trial.state == "COMPLETE" and trial.checkpoint_epoch == 4
        assert trained_epochs(trial.checkpoint_path) == 2  # epochs 3 and 4: 1 and 2 came from the cache
        assert links[trial.ray_trial_id] == f"short/{short[threshold].ray_trial_id}"
        assert trial.metrics == fresh[threshold].metrics  # exactly the final metrics of the fresh 4-epoch run
        assert trained_epochs(fresh[threshold].checkpoint_path) == 4
        history = [m.value for m in client.get_metric_history(str(trial.mlflow_run_id), "accuracy")]
        again = client.get_metric_history(str(fresh[threshold].mlflow_run_id), "accuracy")
        assert history == [m.value for m in again]
        assert len(history) == 4
    # the longer curves replaced the shorter ones, with their own final checkpoints
    assert {(e.study, e.epochs) for e in entries.values()} == {("long", 4)}
    assert {e.checkpoint for e in entries.values()} == {t.checkpoint_path for t in long.values()}
