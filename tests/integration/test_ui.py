"""`spikesweep ui` on a finished study, seen in a real browser (headless Chromium over the DevTools protocol): the
URL it prints opens the runs table in model-training mode with the parent run and, expanded, its child runs; a
child run's page shows the knobs as params. The report's Pareto page draws its plot offline.

Readiness is polled (the server's /health, then the page's own text), never slept, so a loaded machine only
makes the test slower.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from spikesweep.platform.cli import main
from spikesweep.platform.stores.registry import Registry

try:  # tests/integration as a plain folder (pytest puts it on sys.path) or as a package
    from browser import CHROMIUM, Browser
except ImportError:
    from .browser import CHROMIUM, Browser

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (make test installs it)"),
]

STUDY = {
    "study": "ui-study",
    "description": "two trials for the browser",
    "base": {"epochs": 1, "energy.samples": 16},
    "design": {"kind": "grid", "factors": {"timesteps": [1, 2]}},
    "seeds": [0],
    "resources": {"cpu": 1, "gpu": 0},
}
EXPAND_PARENT = """(() => {
  const link = [...document.querySelectorAll('.ag-row a')].find(a => a.textContent.trim() === %s);
  const button = link && link.closest('.ag-cell').querySelector('button');
  if (!button) return false;
  button.click();
  return true;
})()"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_served(port: int, process: subprocess.Popen, log: Path, limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"`spikesweep ui` exited {process.returncode}: {log.read_text()}")
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"the MLflow UI did not come up in {limit_s} s: {log.read_text()}")


def printed_url(log: Path, limit_s: float = 60) -> str:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        found = re.search(r"its runs: (\S+)", log.read_text())
        if found:
            return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"`spikesweep ui` printed no runs URL: {log.read_text()}")


def test_the_runs_page_shows_the_parent_its_children_and_their_knobs(ray_session, home, tmp_path, capsys):
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(STUDY, sort_keys=False))
    assert main(["submit", str(path)]) == 0
    registry = Registry(home.registry_uri)
    study, trials = registry.get_study("ui-study"), registry.trials("ui-study")
    registry.close()
    children = {f"T={t.config['timesteps']} s0": t for t in trials}
    assert len(children) == 2

    port, log = free_port(), tmp_path / "ui.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "spikesweep", "ui", "ui-study", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "SPIKESWEEP_HOME": str(home.root)},
        )
    try:
        url = printed_url(log)
        experiment = study.mlflow_experiment_id
        assert url == f"http://127.0.0.1:{port}/#/experiments/{experiment}/runs?workflowType=machine_learning"
        wait_until_served(port, process, log)
        with Browser() as browser:
            browser.open(url)
            text = browser.wait_for_text("Model training", "3 matching runs")
            assert "No data available" not in text  # not the GenAI view
            browser.wait_for(EXPAND_PARENT % json.dumps("ui-study"), what="the parent run's row")
            browser.wait_for_text(*children)  # the child runs, under their parent
            child = trials[0]
            browser.open(f"http://127.0.0.1:{port}/#/experiments/{experiment}/runs/{child.mlflow_run_id}")
            page = browser.wait_for_text("Parameters", "timesteps")
            for knob in ("timesteps", "epochs", "neuron.threshold"):
                assert f"{knob}\n{child.config[knob]}" in page, knob  # the params table: name, then value
            assert "spikesweep.arm" in page and "Finished" in page
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)

    report = tmp_path / "report"
    assert main(["report", "ui-study", "--artifacts", str(report)]) == 0
    capsys.readouterr()
    with Browser(offline=True) as browser:
        browser.open((report / "pareto.html").as_uri())
        points = browser.wait_for(
            "document.querySelectorAll('.main-svg .scatterlayer .point').length", what="the plot's points"
        )
        assert points == len(trials)
        assert re.fullmatch(
            r"energy \((mJ|µJ|nJ|pJ)\), min", browser.evaluate("document.querySelector('.xtitle').textContent")
        )


def test_ui_without_a_home_is_bad_input(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPIKESWEEP_HOME", str(tmp_path / "nowhere"))
    assert main(["ui"]) == 2
    assert "no spikesweep home here yet" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()
