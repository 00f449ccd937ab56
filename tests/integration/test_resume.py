"""Durable studies end to end: a driver killed (SIGKILL) and resumed, a SIGTERM, a trial's worker killed mid-trial.

Each test runs `spikesweep` in a subprocess on a fresh home, with quickstart-sized digits studies, and checks the
three stores afterwards: every trial COMPLETE exactly once, one FINISHED MLflow child per trial, no RUNNING trial
in Optuna, the study `completed`, and nothing that had finished trained again.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient

from spikesweep.platform.stores.optuna_store import load_study
from spikesweep.platform.stores.registry import Registry

pytestmark = [pytest.mark.integration, pytest.mark.slow]
WAIT_S = 240


def study_file(tmp_path: Path, name: str, epochs: int, timesteps: list[int], seeds: list[int]) -> Path:
    study = {
        "study": name,
        "base": {"epochs": epochs, "energy.samples": 16, "batch_size": 128, "checkpoint.every_epochs": 1},
        "design": {"kind": "grid", "factors": {"timesteps": timesteps}},
        "seeds": seeds,
        "resources": {"cpu": 1, "gpu": 0},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(study))
    return path


def spikesweep(home: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "spikesweep", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "SPIKESWEEP_HOME": str(home), "SPIKESWEEP_HEARTBEAT_S": "1"},
    )


def rows(home: Path, sql: str) -> list[tuple]:
    """A read of the registry that tolerates its not existing yet (polled while a driver starts)."""
    path = home / "registry.db"
    if not path.exists():
        return []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as connection:
            return connection.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []


def wait_for(condition: Callable[[], bool], process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the process ended before {what}: {process.stdout.read() if process.stdout else ''}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def kill_driver(process: subprocess.Popen) -> None:
    """SIGKILL the driver and its whole session (its local Ray too, as a machine crash would)."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=WAIT_S)
    assert process.returncode == 0, output
    return output


def checkpointed_running(home: Path) -> int:
    """How many trials are running with a checkpoint recorded (0 while the registry is still being created)."""
    found = rows(home, "SELECT count(*) FROM ss_trials WHERE state = 'RUNNING' AND checkpoint_epoch >= 1")
    return found[0][0] if found else 0


def assert_every_store_agrees(home: Path, name: str, trials: int) -> None:
    """Every trial COMPLETE exactly once, one FINISHED child run each, no RUNNING anywhere, study completed."""
    with Registry(f"sqlite:///{home / 'registry.db'}") as registry:
        study = registry.get_study(name)
        stored = registry.trials(name)
    assert study.status == "completed"
    assert [t.state for t in stored] == ["COMPLETE"] * trials
    assert len({(t.arm, t.seed) for t in stored}) == trials
    client = MlflowClient(f"sqlite:///{home / 'mlflow.db'}")
    children = client.search_runs(
        [study.mlflow_experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{study.mlflow_parent_run_id}'"
    )
    finished = sorted(run.info.run_id for run in children if run.info.status == "FINISHED")
    assert finished == sorted(t.mlflow_run_id for t in stored)
    assert not [run for run in children if run.info.status == "RUNNING"]
    assert client.get_run(study.mlflow_parent_run_id).info.status == "FINISHED"
    optuna_trials = load_study(f"sqlite:///{home / 'optuna.db'}", name).trials
    assert not [t for t in optuna_trials if t.state.name in ("RUNNING", "WAITING")]
    assert sorted(t.number for t in optuna_trials if t.state.name == "COMPLETE") == sorted(
        t.optuna_trial_number for t in stored
    )
    for trial in stored:  # each epoch trained (and logged) once: a continued trial went on from its checkpoint
        steps = [m.step for m in client.get_metric_history(trial.mlflow_run_id, "accuracy")]
        assert sorted(set(steps)) == list(range(1, trial.metrics["epoch"] + 1)), steps
        if trial.attempts > 1 and trial.checkpoint_epoch:
            assert steps.count(1) == 1, steps


def test_driver_killed_before_any_trial_ends_and_with_trials_running_resumes_to_completion(tmp_path):
    home = tmp_path / "home"
    path = study_file(tmp_path, "crash", epochs=3, timesteps=[1, 2], seeds=[0, 1])
    submit = spikesweep(home, "submit", str(path))
    # kill point 1: trials running with a checkpoint, none finished yet
    wait_for(lambda: checkpointed_running(home) >= 1, submit, "a checkpoint")
    kill_driver(submit)
    assert rows(home, "SELECT count(*) FROM ss_trials WHERE state = 'COMPLETE'") == [(0,)]
    assert rows(home, "SELECT status FROM ss_studies") == [("running",)]

    again = spikesweep(home, "submit", str(path))
    assert "spikesweep resume crash" in again.communicate(timeout=60)[0] and again.returncode == 2

    resume = spikesweep(home, "resume", "crash")
    # kill point 2: at least one trial finished, others running
    wait_for(
        lambda: (
            bool(rows(home, "SELECT 1 FROM ss_trials WHERE state = 'COMPLETE'"))
            and bool(rows(home, "SELECT 1 FROM ss_trials WHERE state = 'RUNNING'"))
        ),
        resume,
        "a finished and a running trial",
    )
    kill_driver(resume)
    finished_before = rows(home, "SELECT ray_trial_id, finished_at FROM ss_trials WHERE state = 'COMPLETE'")

    output = finish(spikesweep(home, "resume", "crash"))
    assert "study crash completed: 4 COMPLETE" in output
    assert_every_store_agrees(home, "crash", 4)
    kept = rows(home, "SELECT ray_trial_id, finished_at FROM ss_trials WHERE state = 'COMPLETE'")
    assert set(finished_before) <= set(kept)  # finished trials were not run again
    refused = spikesweep(home, "resume", "crash")
    assert "the study is completed" in refused.communicate(timeout=60)[0] and refused.returncode == 2


def test_sigterm_ends_the_study_interrupted_with_every_store_closed(tmp_path):
    home = tmp_path / "home"
    path = study_file(tmp_path, "term", epochs=3, timesteps=[1, 2], seeds=[0, 1])
    submit = spikesweep(home, "submit", str(path))
    wait_for(lambda: bool(rows(home, "SELECT 1 FROM ss_trials WHERE state = 'COMPLETE'")), submit, "a finished trial")
    os.kill(submit.pid, signal.SIGTERM)
    output, _ = submit.communicate(timeout=WAIT_S)
    assert submit.returncode == 1 and "study term interrupted" in output, output
    with Registry(f"sqlite:///{home / 'registry.db'}") as registry:
        study = registry.get_study("term")
        stored = registry.trials("term")
    assert study.status == "interrupted"
    assert "RUNNING" not in {t.state for t in stored}
    assert all(t.state == "COMPLETE" or t.error == "interrupted" for t in stored)
    client = MlflowClient(f"sqlite:///{home / 'mlflow.db'}")
    runs = client.search_runs([study.mlflow_experiment_id])
    assert runs and "RUNNING" not in {run.info.status for run in runs}
    assert client.get_run(study.mlflow_parent_run_id).info.status == "KILLED"
    assert "RUNNING" not in {t.state.name for t in load_study(f"sqlite:///{home / 'optuna.db'}", "term").trials}
    assert not (home / "mlflow.db-journal").exists()


def worker_pids(home: Path) -> list[int]:
    """Ray trial workers of this home's driver (their environment names the home; other Rays are left alone)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            environment = (entry / "environ").read_bytes()
        except OSError:
            continue
        if command.startswith(b"ray::ImplicitFunc") and f"SPIKESWEEP_HOME={home}\0".encode() in environment:
            found.append(int(entry.name))
    return found


def test_a_trial_whose_worker_dies_continues_from_its_checkpoint(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    path = study_file(tmp_path, "lost", epochs=6, timesteps=[2], seeds=[0])
    submit = spikesweep(home, "submit", str(path))
    wait_for(lambda: checkpointed_running(home) == 1, submit, "a checkpoint")
    wait_for(lambda: bool(worker_pids(home)), submit, "the trial's worker")
    for pid in worker_pids(home):
        os.kill(pid, signal.SIGKILL)
    output = finish(submit)
    assert "study lost completed: 1 COMPLETE" in output
    assert rows(home, "SELECT attempts, state FROM ss_trials") == [(2, "COMPLETE")]
    assert_every_store_agrees(home, "lost", 1)

    # its trained weights were kept: exported beside its trial file, they evaluate to the accuracy it reported
    from spikesweep.platform.cli.main import main

    monkeypatch.setenv("SPIKESWEEP_HOME", str(home))
    assert main(["export", "lost", "--out", str(tmp_path / "out"), "--weights"]) == 0
    weights = sorted((tmp_path / "out").glob("*.weights.pt"))
    assert len(weights) == 1
    capsys.readouterr()
    trial_file = str(weights[0]).replace(".weights.pt", ".yaml")
    assert main(["train", trial_file, "--weights", str(weights[0]), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    with Registry(f"sqlite:///{home / 'registry.db'}") as registry:
        trained = registry.trials("lost")[0].metrics
    assert (evaluated["accuracy"], evaluated["energy_mj"]) == (trained["accuracy"], trained["energy_mj"])
