"""End to end through the CLI on a tmp home: submit, the three stores, the front, export + train."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from mlflow.tracking import MlflowClient

from spikesweep.platform.cli import main
from spikesweep.platform.stores.optuna_store import load_study
from spikesweep.platform.stores.registry import Registry

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GRID = {
    "study": "e2e",
    "description": "tiny grid",
    "base": {"epochs": 2, "lr": 0.05, "energy.samples": 64},
    "design": {"kind": "grid", "factors": {"timesteps": [1, 2], "neuron.threshold": [0.5, 1.0]}},
    "seeds": [0, 1],
    "objectives": {"accuracy": "max", "energy_mj": "min"},
    "resources": {"cpu": 1, "gpu": 0.5},
}


def write(tmp_path, document: dict, name: str = "study.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def non_dominated(points: dict[str, tuple[float, float]]) -> set[str]:
    """Keys of the points no other point dominates (accuracy max, energy min), computed independently."""

    def dominates(a, b):
        return a[0] >= b[0] and a[1] <= b[1] and (a[0] > b[0] or a[1] < b[1])

    return {k for k, p in points.items() if not any(dominates(q, p) for j, q in points.items() if j != k)}


def test_grid_study_end_to_end(ray_session, home, tmp_path, capsys):
    assert main(["submit", str(write(tmp_path, GRID))]) == 0
    out = capsys.readouterr().out
    assert "study e2e completed: 8 COMPLETE" in out and "Pareto front" in out
    assert "spikesweep export e2e --out" in out

    registry = Registry(home.registry_uri)
    study = registry.get_study("e2e")
    trials = registry.trials("e2e")
    registry.close()
    assert study.status == "completed"
    assert study.resolved["base"]["epochs"] == 2
    assert len(trials) == 8 and all(t.state == "COMPLETE" for t in trials)
    assert {(t.config["timesteps"], t.config["neuron.threshold"], t.seed) for t in trials} == {
        (tt, th, s) for tt in (1, 2) for th in (0.5, 1.0) for s in (0, 1)
    }

    client = MlflowClient(home.mlflow_uri)
    children = client.search_runs(
        [study.mlflow_experiment_id], f"tags.`mlflow.parentRunId` = '{study.mlflow_parent_run_id}'"
    )
    assert len(children) == 8
    assert {run.info.status for run in children} == {"FINISHED"}
    assert client.get_run(study.mlflow_parent_run_id).info.status == "FINISHED"
    by_run = {run.info.run_id: run for run in children}
    for trial in trials:
        run = by_run[trial.mlflow_run_id]
        assert run.data.params["timesteps"] == str(trial.config["timesteps"])
        assert "momentum" in run.data.params and "min_lr" in run.data.params  # read by sgd + cosine
        history = client.get_metric_history(run.info.run_id, "accuracy")
        assert [m.step for m in history] == [1, 2]
        assert history[-1].value == trial.metrics["accuracy"]
        assert [m.step for m in client.get_metric_history(run.info.run_id, "energy_mj")] == [1, 2]

    optuna_study = load_study(home.optuna_uri, "e2e")
    assert [t.state.name for t in optuna_study.trials] == ["COMPLETE"] * 8
    assert optuna_study.metric_names == ["accuracy", "energy_mj"]
    for trial in trials:  # real times, knobs as params, the rest as user attributes
        ot_trial = optuna_study.trials[trial.optuna_trial_number]
        assert ot_trial.duration is not None and ot_trial.duration.total_seconds() > 0.1
        assert set(ot_trial.params) == {"timesteps", "neuron.threshold"}  # no seed
        assert ot_trial.user_attrs["seed"] == trial.seed and ot_trial.user_attrs["arm"] == trial.arm
        assert ot_trial.user_attrs["mlflow_run_id"] == trial.mlflow_run_id
        name = f"T={trial.config['timesteps']} Vth={trial.config['neuron.threshold']} s{trial.seed}"
        assert by_run[trial.mlflow_run_id].info.run_name == name
    parent = client.get_run(study.mlflow_parent_run_id).data.params
    assert parent["design"] == "grid" and parent["objectives"] == "accuracy (max), energy_mj (min)"
    assert parent["base.epochs"] == "2" and parent["seeds"] == "0,1"
    assert sorted(t.optuna_trial_number for t in trials) == list(range(8))
    number_of_run = {t.mlflow_run_id: t.optuna_trial_number for t in trials}
    from_mlflow = {
        run_id: (run.data.metrics["accuracy"], run.data.metrics["energy_mj"]) for run_id, run in by_run.items()
    }
    expected_front = {number_of_run[r] for r in non_dominated(from_mlflow)}
    assert {t.number for t in optuna_study.best_trials} == expected_front
    assert client.get_run(study.mlflow_parent_run_id).data.metrics["pareto_size"] == len(expected_front)

    assert main(["status", "e2e", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["status"] == "completed"
    assert {r["number"] for r in status["trials"] if r["pareto"]} == expected_front

    out_dir = tmp_path / "export"
    assert main(["export", "e2e", "--out", str(out_dir)]) == 0
    capsys.readouterr()
    files = sorted(out_dir.glob("e2e-trial*.yaml"))
    assert len(files) == len(expected_front)
    assert (out_dir / "pareto.csv").read_text().count("\n") == len(expected_front) + 1
    exported = yaml.safe_load(files[0].read_text())
    assert exported["config"]["seed"] in (0, 1) and exported["source"]["study"] == "e2e"
    assert main(["train", str(files[0]), "--json"]) == 0
    rerun = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rerun["accuracy"] == exported["measured"]["accuracy"]
    assert rerun["energy_mj"] == exported["measured"]["energy_mj"]

    assert main(["list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["study"] == "e2e" and listed[0]["trials"] == {"COMPLETE": 8}
    # a pinned name that is taken: nothing is overwritten (without --name it would run as e2e-2)
    assert main(["submit", str(write(tmp_path, GRID)), "--name", "e2e"]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without CUDA")
def test_failing_trial_is_fail_with_its_reason_and_the_study_completes(ray_session, home, tmp_path, capsys):
    document = {
        "study": "fails",
        "base": {"epochs": 1, "energy.samples": 32},
        "design": {
            "kind": "ablation",
            "baseline": {"timesteps": 1},
            "arms": [{"name": "on-cuda", "set": {"device": "cuda"}}],
        },
        "seeds": [0],
    }
    assert main(["submit", str(write(tmp_path, document))]) == 0
    capsys.readouterr()
    registry = Registry(home.registry_uri)
    study = registry.get_study("fails")
    trials = {t.arm: t for t in registry.trials("fails")}
    registry.close()
    assert study.status == "completed"
    assert trials["baseline"].state == "COMPLETE"
    failed = trials["on-cuda"]
    assert failed.state == "FAIL"
    assert failed.error == "AssertionError: Torch not compiled with CUDA enabled"
    optuna_trials = {t.number: t for t in load_study(home.optuna_uri, "fails").trials}
    assert optuna_trials[failed.optuna_trial_number].state.name == "FAIL"
    assert optuna_trials[failed.optuna_trial_number].user_attrs["fail_reason"] == failed.error
    assert [t.number for t in load_study(home.optuna_uri, "fails").best_trials] == [
        trials["baseline"].optuna_trial_number
    ]
    client = MlflowClient(home.mlflow_uri)
    run = client.get_run(failed.mlflow_run_id)
    assert run.info.status == "FAILED" and run.data.tags["spikesweep.error"] == failed.error
    assert client.get_run(trials["baseline"].mlflow_run_id).info.status == "FINISHED"
    assert main(["status", "fails"]) == 0
    assert "AssertionError: Torch not compiled with CUDA enabled" in capsys.readouterr().out

    from spikesweep.platform.reporting.records import load_records

    records = {r.arm: r for r in load_records(home.root, "fails")}
    assert set(records) == {"baseline", "on-cuda"}
    base, cuda = records["baseline"], records["on-cuda"]
    assert (base.state, base.pareto, base.changed, base.seed) == ("COMPLETE", True, {}, 0)
    assert base.metrics["accuracy"] == trials["baseline"].metrics["accuracy"]
    assert (cuda.state, cuda.pareto, cuda.changed, cuda.error) == ("FAIL", False, {"device": "cuda"}, failed.error)
    assert cuda.config["device"] == "cuda" and cuda.mlflow_run_id == failed.mlflow_run_id


def test_search_with_asha_prunes_early_stopped_trials_off_the_front(ray_session, home, tmp_path, capsys):
    good, bad = 0.05, 1e-6
    document = {
        "study": "asha",
        "base": {"epochs": 2, "energy.samples": 32, "schedule": "constant"},
        "design": {
            "kind": "search",
            "sampler": "random",
            "n_trials": 4,
            "space": {"lr": {"log": [1e-6, 0.1]}, "timesteps": {"int": [1, 2]}},
            "points_to_evaluate": [
                {"lr": good, "timesteps": 1},
                {"lr": good, "timesteps": 2},
                {"lr": bad, "timesteps": 1},
                {"lr": bad, "timesteps": 2},
            ],
        },
        "seeds": [0],
        "max_concurrent": 2,
        "scheduler": {"kind": "asha", "grace_epochs": 1, "reduction_factor": 2},
    }
    assert main(["submit", str(write(tmp_path, document)), "--json"]) == 0
    outcome = json.loads(capsys.readouterr().out)
    registry = Registry(home.registry_uri)
    trials = registry.trials("asha")
    registry.close()
    optuna_study = load_study(home.optuna_uri, "asha")
    states = {t.number: t.state.name for t in optuna_study.trials}
    assert len(trials) == 4 and len(states) == 4
    for trial in trials:
        stopped_early = trial.metrics["epoch"] < 2
        assert states[trial.optuna_trial_number] == ("PRUNED" if stopped_early else "COMPLETE")
        attrs = optuna_study.trials[trial.optuna_trial_number].user_attrs
        assert attrs["mlflow_run_id"] == trial.mlflow_run_id and attrs["seed"] == 0 and attrs["arm"] == "search"
        assert "seed" not in optuna_study.trials[trial.optuna_trial_number].params
        assert trial.state == states[trial.optuna_trial_number]
        assert math.isclose(trial.config["lr"], optuna_study.trials[trial.optuna_trial_number].params["lr"])
    pruned = {t.optuna_trial_number for t in trials if t.state == "PRUNED"}
    # the untrainable trials start after both good ones passed the first rung, so ASHA stops them there
    assert {t.optuna_trial_number for t in trials if math.isclose(t.config["lr"], bad)} <= pruned
    front = {t.number for t in optuna_study.best_trials}
    assert front and not pruned & front
    assert outcome["status"] == "completed" and {row["number"] for row in outcome["pareto"]} == front
    assert sum(outcome["counts"].values()) == 4 and outcome["hypervolume"] > 0
    client = MlflowClient(home.mlflow_uri)
    for trial in trials:
        assert client.get_run(trial.mlflow_run_id).info.status == ("KILLED" if trial.state == "PRUNED" else "FINISHED")
