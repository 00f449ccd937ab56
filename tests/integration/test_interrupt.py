"""Ctrl-C during `submit`: the study is marked interrupted and every finished trial is kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import yaml
from mlflow.tracking import MlflowClient

from spikesweep.platform.stores.optuna_store import load_study
from spikesweep.platform.stores.registry import Registry

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_ctrl_c_marks_the_study_interrupted_and_keeps_finished_trials(home, tmp_path):
    study = {
        "study": "stop",
        "base": {"epochs": 3, "energy.samples": 32},
        "design": {"kind": "grid", "factors": {"timesteps": [1, 2, 3]}},
        "seeds": [0, 1, 2],
    }
    path = tmp_path / "stop.yaml"
    path.write_text(yaml.safe_dump(study))
    process = subprocess.Popen(
        [sys.executable, "-m", "spikesweep", "submit", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        env={**os.environ, "SPIKESWEEP_HOME": str(home.root)},
    )
    output = []
    for line in process.stdout:
        output.append(line)
        if line.startswith("[1/9 done"):
            os.kill(process.pid, signal.SIGINT)
            break
    output += process.stdout.readlines()
    assert process.wait(timeout=120) == 1, "".join(output)
    assert any(line.startswith("study stop interrupted") for line in output)

    registry = Registry(home.registry_uri)
    record = registry.get_study("stop")
    trials = registry.trials("stop")
    registry.close()
    assert record.status == "interrupted"
    complete = [t for t in trials if t.state == "COMPLETE"]
    assert 1 <= len(complete) < 9
    assert all(t.state == "FAIL" and t.error == "interrupted" for t in trials if t.state != "COMPLETE")
    optuna_states = {t.number: t.state.name for t in load_study(home.optuna_uri, "stop").trials}
    assert {t.optuna_trial_number: t.state for t in trials} == optuna_states
    client = MlflowClient(home.mlflow_uri)
    assert client.get_run(record.mlflow_parent_run_id).info.status == "KILLED"
    assert all(client.get_run(t.mlflow_run_id).info.status == "FINISHED" for t in complete)
