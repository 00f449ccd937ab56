"""MOASHA through a real Tuner (local Ray, MLflow, Optuna): stopped trials end PRUNED, protected arms complete."""

from __future__ import annotations

import json

import pytest
import yaml
from mlflow.tracking import MlflowClient

from spikesweep.platform.cli import main
from spikesweep.platform.stores.optuna_store import load_study
from spikesweep.platform.stores.registry import Registry

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STUDY = {
    "study": "mo",
    "base": {"epochs": 3, "energy.samples": 32, "schedule": "constant", "timesteps": 1},
    "design": {
        "kind": "ablation",
        "baseline": {"lr": 1e-6},
        "arms": [
            {"name": "good", "set": {"lr": 0.05}},
            {"name": "good-T2", "set": {"lr": 0.05, "timesteps": 2}},
            {"name": "bad-T4", "set": {"timesteps": 4}},
        ],
    },
    "seeds": [0],
    "max_concurrent": 2,
    "resources": {"cpu": 1, "gpu": 0},
    "scheduler": {
        "kind": "moasha",
        "grace_epochs": 1,
        "reduction_factor": 4,
        "bootstrap": 2,
        "protect": ["baseline"],
    },
}


def test_moasha_prunes_dominated_trials_and_keeps_the_protected_baseline(ray_session, home, tmp_path, capsys):
    path = tmp_path / "mo.yaml"
    path.write_text(yaml.safe_dump(STUDY, sort_keys=False))
    assert main(["submit", str(path), "--json"]) == 0
    outcome = json.loads(capsys.readouterr().out)
    registry = Registry(home.registry_uri)
    trials = {t.arm: t for t in registry.trials("mo")}
    registry.close()
    assert set(trials) == {"baseline", "good", "good-T2", "bad-T4"}
    # untrainable (lr 1e-6) at 4 time steps: dominated by both good arms at the rung (keep 1 of n <= 4)
    assert trials["bad-T4"].state == "PRUNED" and trials["bad-T4"].metrics["epoch"] < 3
    assert trials["baseline"].state == "COMPLETE" and trials["baseline"].metrics["epoch"] == 3  # protected
    optuna_study = load_study(home.optuna_uri, "mo")
    states = {t.number: t.state.name for t in optuna_study.trials}
    client = MlflowClient(home.mlflow_uri)
    for trial in trials.values():
        assert states[trial.optuna_trial_number] == trial.state
        assert trial.state == ("COMPLETE" if trial.metrics["epoch"] == 3 else "PRUNED")
        assert client.get_run(trial.mlflow_run_id).info.status == ("KILLED" if trial.state == "PRUNED" else "FINISHED")
    pruned = {t.optuna_trial_number for t in trials.values() if t.state == "PRUNED"}
    front = {row["number"] for row in outcome["pareto"]}
    assert front and not front & pruned
    assert outcome["counts"].get("PRUNED", 0) == len(pruned)
