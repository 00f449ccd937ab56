"""Resume on real Ray, after a SIGKILL of the driver: a MOASHA study keeps its rungs, a search study continues.

Each test submits a small digits study in a subprocess, kills the driver's whole session (its local Ray too) with
trials running, resumes it and checks the stores afterwards. Helpers (kill, polling, store checks) come from
`test_resume.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from mlflow.tracking import MlflowClient

from spikesweep.platform.run.moasha import MOASHARungs, milestones
from spikesweep.platform.stores.optuna_store import CONTINUES, FAIL_REASON, load_study
from spikesweep.platform.stores.registry import Registry

try:  # tests/integration as a plain folder (pytest puts it on sys.path) or as a package
    from test_resume import finish, kill_driver, rows, spikesweep, wait_for
except ImportError:
    from .test_resume import finish, kill_driver, rows, spikesweep, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
OBJECTIVES = {"accuracy": "max", "energy_mj": "min"}
BASE = {"energy.samples": 16, "batch_size": 128, "checkpoint.every_epochs": 1, "schedule": "constant"}
MOASHA = {"kind": "moasha", "grace_epochs": 1, "reduction_factor": 2, "bootstrap": 2}


def write(tmp_path: Path, study: dict[str, Any]) -> Path:
    path = tmp_path / f"{study['study']}.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


def epochs_per_trial(home: Path) -> dict[int, int]:
    """Registry trial row id -> epochs it reported (every report, re-trained ones included)."""
    return dict(rows(home, "SELECT trial_id, count(*) FROM ss_trial_epochs GROUP BY trial_id"))


def replayed_stops(history: list[tuple[str, int, dict]], epochs: int) -> set[str]:
    """The trials MOASHA stops when it sees the whole per-epoch history in one uninterrupted run."""
    rungs = MOASHARungs(OBJECTIVES, milestones(1, 2, epochs), reduction_factor=2, bootstrap=2)
    stopped = set()
    for trial_id, epoch, metrics in history:
        if trial_id in stopped:
            continue
        if rungs.on_result(trial_id, epoch, metrics) == "stop" and epoch < epochs:
            stopped.add(trial_id)  # (a stop at the last epoch is a trial that completed)
        elif epoch == epochs:
            rungs.forget(trial_id)
    return stopped


def test_a_killed_moasha_study_resumes_with_its_rungs(tmp_path):
    home, epochs = tmp_path / "home", 4
    study = {
        "study": "rungs",
        "base": {**BASE, "epochs": epochs},
        "design": {"kind": "grid", "factors": {"timesteps": [1, 2, 4], "lr": [0.05, 1e-6]}},
        "seeds": [0],
        "max_concurrent": 2,
        "resources": {"cpu": 1, "gpu": 0},
        "scheduler": MOASHA,
    }
    submit = spikesweep(home, "submit", str(write(tmp_path, study)))
    wait_for(  # kill with a trial pruned, one running with a checkpoint and trials not started yet
        lambda: (
            bool(rows(home, "SELECT 1 FROM ss_trials WHERE state = 'PRUNED'"))
            and bool(rows(home, "SELECT 1 FROM ss_trials WHERE state = 'RUNNING' AND checkpoint_epoch >= 1"))
            and rows(home, "SELECT count(*) FROM ss_trials")[0][0] < 6
        ),
        submit,
        "a pruned trial and a running one with a checkpoint",
    )
    kill_driver(submit)
    pruned = rows(home, "SELECT id, finished_at FROM ss_trials WHERE state = 'PRUNED'")
    reported = epochs_per_trial(home)
    running = rows(home, "SELECT id, coalesce(checkpoint_epoch, 0) FROM ss_trials WHERE state = 'RUNNING'")
    lost = sum(reported.get(row, 0) - checkpoint for row, checkpoint in running)  # epochs after the checkpoints

    output = finish(spikesweep(home, "resume", "rungs"))
    assert "study rungs completed" in output, output
    with Registry(f"sqlite:///{home / 'registry.db'}") as registry:
        trials = registry.trials("rungs")
        history = registry.epoch_history("rungs")
    assert len(trials) == 6 and {t.state for t in trials} <= {"COMPLETE", "PRUNED"}
    # the trials the rungs had stopped were not trained again
    assert set(pruned) <= set(rows(home, "SELECT id, finished_at FROM ss_trials WHERE state = 'PRUNED'"))
    after = epochs_per_trial(home)
    assert all(after[row] == reported[row] for row, _ in pruned)
    # the resumed rungs decided as one uninterrupted run over the same results would have
    pruned_now = {t.ray_trial_id for t in trials if t.state == "PRUNED"}
    assert pruned_now == replayed_stops(history, epochs), (pruned_now, [(t, e) for t, e, _ in history])
    # epochs trained: those of an uninterrupted run with these decisions, plus at most the epochs lost
    distinct = sum(len({epoch for trial, epoch, _ in history if trial == t.ray_trial_id}) for t in trials)
    assert distinct <= sum(after.values()) <= distinct + lost
    assert all(t.metrics["epoch"] == len({e for i, e, _ in history if i == t.ray_trial_id}) for t in trials)
    assert not rows(home, "SELECT 1 FROM ss_trials WHERE state = 'RUNNING'")


def test_a_killed_search_study_resumes_the_same_optuna_study(tmp_path):
    home, n_trials = tmp_path / "home", 3
    study = {
        "study": "hunt",
        "base": {**BASE, "epochs": 3},
        "design": {
            "kind": "search",
            "sampler": "random",
            "n_trials": n_trials,
            "space": {"timesteps": {"choice": [1, 2, 3, 4]}},
        },
        "seeds": [0],
        "max_concurrent": 2,
        "resources": {"cpu": 1, "gpu": 0},
    }
    submit = spikesweep(home, "submit", str(write(tmp_path, study)))
    wait_for(
        lambda: bool(rows(home, "SELECT 1 FROM ss_trials WHERE state = 'RUNNING' AND checkpoint_epoch >= 1")),
        submit,
        "a running trial with a checkpoint",
    )
    kill_driver(submit)
    optuna_uri = f"sqlite:///{home / 'optuna.db'}"
    study_id = load_study(optuna_uri, "hunt")._study_id
    assert rows(home, "SELECT count(*) FROM ss_trials WHERE state = 'RUNNING' AND checkpoint_epoch >= 1")[0][0] >= 1

    finish(spikesweep(home, "resume", "hunt"))
    with Registry(f"sqlite:///{home / 'registry.db'}") as registry:
        record = registry.get_study("hunt")
        stored = registry.trials("hunt")
    assert record.status == "completed"
    assert [t.state for t in stored] == ["COMPLETE"] * n_trials  # n_trials finished, each counted once
    assert [s.study_name for s in optuna.get_all_study_summaries(optuna_uri)] == ["hunt"]
    optuna_study = load_study(optuna_uri, "hunt")
    assert optuna_study._study_id == study_id  # the same Optuna study went on
    trials = optuna_study.trials
    assert not [t for t in trials if t.state.name in ("RUNNING", "WAITING")]
    complete = sorted(t.number for t in trials if t.state.name == "COMPLETE")
    assert complete == sorted(t.optuna_trial_number for t in stored) and len(complete) == n_trials
    interrupted = [
        t.number for t in trials if t.state.name == "FAIL" and t.user_attrs.get(FAIL_REASON) == "interrupted"
    ]
    continuing = [t for t in trials if CONTINUES in t.user_attrs]
    assert interrupted and sorted(t.user_attrs[CONTINUES] for t in continuing) == sorted(interrupted)  # once each
    assert {t.state.name for t in continuing} == {"COMPLETE"}
    continued = [t for t in stored if t.attempts > 1]
    assert sorted(t.optuna_trial_number for t in continued) == sorted(t.number for t in continuing)
    client = MlflowClient(f"sqlite:///{home / 'mlflow.db'}")
    children = client.search_runs(
        [record.mlflow_experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{record.mlflow_parent_run_id}'"
    )
    assert sorted(r.info.run_id for r in children) == sorted(t.mlflow_run_id for t in stored)
    assert {r.info.status for r in children} == {"FINISHED"}
    assert client.get_run(record.mlflow_parent_run_id).info.status == "FINISHED"
    for trial in continued:  # went on from its checkpoint: the epochs up to it were trained once
        steps = [m.step for m in client.get_metric_history(trial.mlflow_run_id, "accuracy")]
        assert sorted(set(steps)) == [1, 2, 3] and steps.count(1) == 1, steps
