"""The registry's durable-study verbs: driver heartbeat, trial checkpoints, attempts, continuing interrupted trials."""

from __future__ import annotations

import os
import socket

import pytest

from spikesweep.platform.stores import InvalidTransition, Registry
from spikesweep.platform.stores.registry import INTERRUPTED

SHA = "cd" * 32


@pytest.fixture
def registry(tmp_path):
    with Registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        registry.create_study("s", "study: s\n", SHA, {"study": "s", "design": {"kind": "grid"}})
        registry.mark_running(
            "s", optuna_study_name="s", mlflow_experiment_id="1", mlflow_parent_run_id="p", ray_path="/r/s"
        )
        registry.start_trial(
            "s", "t1", arm="a", seed=0, changed={}, config={"seed": 0}, mlflow_run_id="m1", optuna_trial_number=None
        )
        yield registry


def test_heartbeat_records_time_process_and_host(registry):
    assert registry.get_study("s").heartbeat_at is None
    registry.beat("s", os.getpid(), socket.gethostname())
    first = registry.get_study("s")
    assert (first.driver_pid, first.driver_host) == (os.getpid(), socket.gethostname())
    registry.beat("s")
    second = registry.get_study("s")
    assert second.heartbeat_at >= first.heartbeat_at and second.driver_pid == os.getpid()


def test_checkpoints_and_attempts_of_a_running_trial(registry):
    registry.record_checkpoint("s", "t1", "/ray/s/t1/checkpoint_000001", 2)
    assert registry.count_attempt("s", "t1").attempts == 2
    trial = registry.trials("s")[0]
    assert (trial.checkpoint_path, trial.checkpoint_epoch, trial.attempts) == ("/ray/s/t1/checkpoint_000001", 2, 2)
    registry.finish_trial("s", "t1", "COMPLETE", metrics={"accuracy": 0.9})
    with pytest.raises(InvalidTransition, match="not RUNNING"):
        registry.record_checkpoint("s", "t1", "/x", 3)
    with pytest.raises(InvalidTransition, match="not RUNNING"):
        registry.count_attempt("s", "t1")


def test_only_an_interrupted_trial_is_continued_and_it_keeps_its_run_and_checkpoint(registry):
    registry.record_checkpoint("s", "t1", "/ray/s/t1/checkpoint_000000", 1)
    registry.finish_trial("s", "t1", "FAIL", error=INTERRUPTED)
    again = registry.restart_trial("s", "t1", "t9", optuna_trial_number=4)
    assert (again.ray_trial_id, again.state, again.error, again.attempts) == ("t9", "RUNNING", None, 2)
    assert (again.mlflow_run_id, again.checkpoint_epoch, again.optuna_trial_number) == ("m1", 1, 4)
    assert [t.ray_trial_id for t in registry.trials("s")] == ["t9"]
    registry.finish_trial("s", "t9", "FAIL", error="ValueError: boom")
    with pytest.raises(InvalidTransition, match="not continued"):
        registry.restart_trial("s", "t9", "t10", optuna_trial_number=None)


def test_status_tells_a_live_driver_from_a_dead_or_silent_one(registry, monkeypatch):
    import datetime as dt
    import subprocess

    from spikesweep.platform.stores.heartbeat import driver_seen, status_text

    monkeypatch.setenv("SPIKESWEEP_HEARTBEAT_S", "30")
    registry.beat("s", os.getpid(), socket.gethostname())
    study = registry.get_study("s")
    assert driver_seen(study).alive and status_text(study) == "running"
    later = study.heartbeat_at + dt.timedelta(minutes=14)  # alive pid, but no beat for 14 min: hung or reused
    assert status_text(study, later) == "running, driver last seen 14 min ago; `spikesweep resume s`"
    finished = subprocess.Popen(["true"])
    finished.wait()
    registry.beat("s", finished.pid, socket.gethostname())  # beat just now, but its process is gone
    assert not driver_seen(registry.get_study("s")).alive
    registry.beat("s", 1, "another-host")  # another host: only the heartbeat's age counts
    elsewhere = registry.get_study("s")
    assert driver_seen(elsewhere).alive
    assert not driver_seen(elsewhere, elsewhere.heartbeat_at + dt.timedelta(seconds=91)).alive
    registry.set_status("s", "interrupted")
    assert status_text(registry.get_study("s")) == "interrupted"
