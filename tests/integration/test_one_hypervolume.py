"""One hypervolume everywhere: submit, status --json, report --format json, the parent run's metric and the plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient

from spikesweep.platform.cli import main
from spikesweep.platform.pareto import front_of
from spikesweep.platform.stores import Registry

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STUDY = {
    "study": "hv",
    "base": {"epochs": 1, "lr": 0.05, "energy.samples": 32},
    "design": {"kind": "grid", "factors": {"timesteps": [1, 2], "neuron.threshold": [0.5, 1.0]}},
    "seeds": [0],
    "objectives": {"accuracy": "max", "energy_mj": "min"},
    "resources": {"cpu": 1},
}


def test_every_place_shows_the_same_hypervolume(ray_session, home, tmp_path, capsys):
    path = tmp_path / "hv.yaml"
    path.write_text(yaml.safe_dump(STUDY, sort_keys=False))
    assert main(["submit", str(path), "--json"]) == 0
    submitted = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["hypervolume"]

    assert main(["status", "hv", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert main(["report", "hv", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)

    with Registry(home.registry_uri, read_only=True) as registry:
        study = registry.require_study("hv")
        trials = registry.trials("hv")
    client = MlflowClient(home.mlflow_uri)
    parent = client.get_run(study.mlflow_parent_run_id)
    html = tmp_path / "html"
    html.mkdir()
    local = client.download_artifacts(study.mlflow_parent_run_id, "report/pareto.html", str(html))
    title = Path(local).read_text(encoding="utf-8")

    # independently: the documented rule over the COMPLETE trials' final metrics
    points = [[t.metrics["accuracy"], t.metrics["energy_mj"]] for t in trials if t.state == "COMPLETE"]
    expected = front_of(points, ["max", "min"])
    assert expected is not None and len(points) == 4 and expected.hypervolume > 0
    for value in (submitted, status["hypervolume"], report["hypervolume"], parent.data.metrics["hypervolume"]):
        assert value == pytest.approx(expected.hypervolume, rel=1e-12)
    assert f"hypervolume {expected.hypervolume:.4g}" in title
    assert sorted(status["pareto"]) == sorted(report["front"])
