"""`spikesweep dashboard` serves the home's Optuna storage with optuna-dashboard on 127.0.0.1; the study's
objectives show by name; without optuna-dashboard installed the command says how to get it."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from spikesweep.platform.stores.optuna_store import add_finished_trial, open_study

pytestmark = [pytest.mark.integration]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def poll_json(url: str, process: subprocess.Popen, limit_s: float = 120) -> dict:
    """GET `url` until it answers JSON (the server is up) or the process exits."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return json.loads(urllib.request.urlopen(url, timeout=5).read())
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"no answer from {url}: " + (process.stdout.read().decode() if process.poll() else ""))


def test_dashboard_serves_the_homes_optuna_study_with_named_objectives(home):
    from optuna.trial import TrialState

    home.create()
    study = open_study(home.optuna_uri, "dash", {"accuracy": "max", "energy_mj": "min"})
    add_finished_trial(study, TrialState.COMPLETE, [0.9, 2e-4], {}, {}, {"arm": "a", "seed": 0})
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "spikesweep", "dashboard", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "SPIKESWEEP_HOME": str(home.root)},
    )
    try:
        studies = poll_json(f"http://127.0.0.1:{port}/api/studies", process)["study_summaries"]
        assert [s["study_name"] for s in studies] == ["dash"]
        detail = poll_json(f"http://127.0.0.1:{port}/api/studies/{studies[0]['study_id']}", process)
        assert detail["objective_names"] == ["accuracy", "energy_mj"]
        assert detail["trials"][0]["user_attrs"] == [{"key": "arm", "value": "a"}, {"key": "seed", "value": "0"}]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_dashboard_without_optuna_dashboard_says_how_to_install_it(home, monkeypatch, capsys):
    from spikesweep.platform.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "optuna_dashboard" else real(name)
    )
    assert main(["dashboard"]) == 2
    assert "pip install 'spikesweep[dashboard]'" in capsys.readouterr().err
