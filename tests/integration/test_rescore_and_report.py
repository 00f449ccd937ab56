"""After a study: the ablation report is logged to the parent run, and `rescore` rebuilds energy and the front."""

from __future__ import annotations

import pytest
import yaml
from mlflow.tracking import MlflowClient

from spikesweep.platform.cli import main
from spikesweep.platform.stores.optuna_store import load_study
from spikesweep.platform.stores.registry import Registry

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STUDY = {
    "study": "rescore",
    "description": "tiny grid for re-scoring",
    "base": {"epochs": 1, "lr": 0.05, "energy.samples": 32},
    "design": {"kind": "grid", "factors": {"timesteps": [1, 2]}},
    "seeds": [0, 1],
    "objectives": {"accuracy": "max", "energy_mj": "min"},
    "resources": {"cpu": 1},
}


def dominated(a, b) -> bool:
    """b dominates a (accuracy max, energy min)."""
    return b[0] >= a[0] and b[1] <= a[1] and (b[0] > a[0] or b[1] < a[1])


def test_report_is_logged_and_rescore_updates_every_store(ray_session, home, tmp_path, capsys):
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(STUDY))
    assert main(["submit", str(path)]) == 0
    assert "ablation report" in capsys.readouterr().out

    registry = Registry(home.registry_uri)
    study = registry.get_study("rescore")
    before = {t.optuna_trial_number: t for t in registry.trials("rescore")}
    registry.close()
    client = MlflowClient(home.mlflow_uri)
    artifacts = {a.path for a in client.list_artifacts(study.mlflow_parent_run_id, "report")}
    assert {"report/report.md", "report/report.csv", "report/pareto.png"} <= artifacts

    assert main(["rescore", "rescore", "--preset", "horowitz45_int8", "--accounting", "full"]) == 0
    expected = {
        n: (t.metrics["ops_full_acs"] * 0.03 + t.metrics["ops_full_macs"] * 0.23) * 1e-9 for n, t in before.items()
    }
    optuna_study = load_study(home.optuna_uri, "rescore")
    assert [t.number for t in optuna_study.trials] == sorted(before)
    for trial in optuna_study.trials:
        assert trial.state.name == "COMPLETE"
        assert trial.values[0] == before[trial.number].metrics["accuracy"]
        assert trial.values[1] == pytest.approx(expected[trial.number], rel=1e-9)
        assert trial.values[1] != before[trial.number].metrics["energy_mj"]
    points = {t.number: tuple(t.values) for t in optuna_study.trials}
    front = {n for n, p in points.items() if not any(dominated(p, q) for m, q in points.items() if m != n)}
    assert {t.number for t in optuna_study.best_trials} == front

    registry = Registry(home.registry_uri)
    after = {t.optuna_trial_number: t for t in registry.trials("rescore")}
    registry.close()
    assert {n: t.metrics["energy_mj"] for n, t in after.items()} == pytest.approx(expected)
    run = client.get_run(before[0].mlflow_run_id)
    assert run.data.metrics["energy_mj.horowitz45_int8.full"] == pytest.approx(expected[0])
    assert client.get_run(study.mlflow_parent_run_id).data.tags["spikesweep.energy"] == "horowitz45_int8/full"

    assert main(["rescore", "missing", "--preset", "horowitz45_fp32"]) == 2
