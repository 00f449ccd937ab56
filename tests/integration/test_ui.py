"""`spikesweep ui` serves this home's MLflow store on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from spikesweep.platform.stores.tracking import Tracker

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ui_serves_the_homes_experiments(home, monkeypatch):
    home.create()
    experiment_id, parent = Tracker(home.mlflow_uri, home.artifacts).start_study(
        "ui-study", "", {"design": {"kind": "grid"}}
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "spikesweep", "ui", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "SPIKESWEEP_HOME": str(home.root)},
    )
    try:
        body = None
        deadline = time.time() + 90
        while time.time() < deadline and process.poll() is None:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/get-by-name?experiment_name=ui-study"
                )
                body = json.loads(urllib.request.urlopen(request, timeout=5).read())
                break
            except OSError:
                time.sleep(1)
        assert body is not None, process.stdout.read1().decode() if process.poll() is not None else "no answer"
        assert body["experiment"]["experiment_id"] == experiment_id
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_ui_without_a_home_is_bad_input(tmp_path, monkeypatch, capsys):
    from spikesweep.platform.cli import main

    monkeypatch.setenv("SPIKESWEEP_HOME", str(tmp_path / "nowhere"))
    assert main(["ui"]) == 2
    assert "no spikesweep home here yet" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()
