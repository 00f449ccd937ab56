"""The result cache across studies: the quickstart submitted twice trains 8 trials, then 0, with equal results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from spikesweep.platform.cli import main
from spikesweep.platform.stores.registry import Registry
from spikesweep.platform.stores.result_cache import ResultCache

pytestmark = [pytest.mark.integration, pytest.mark.slow]
QUICKSTART = str(Path(__file__).resolve().parents[2] / "search_spaces" / "quickstart.yaml")
OBJECTIVES = ("accuracy", "energy_mj")


def status(capsys, name: str) -> dict:
    capsys.readouterr()
    assert main(["status", name, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def front(document: dict) -> set[tuple]:
    trials = {t["number"]: t for t in document["trials"]}
    return {
        (trials[n]["arm"], trials[n]["seed"], *(trials[n]["metrics"][o] for o in OBJECTIVES))
        for n in document["pareto"]
    }


def report_rows(capsys, name: str) -> dict[str, dict]:
    """The report's rows by name, without the Optuna trial numbers (they follow the order trials finished in)."""
    capsys.readouterr()
    assert main(["report", name, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    for row in rows:
        row.pop("trials", None)
    return {row["name"]: row for row in rows}


def exported(tmp_path: Path, name: str) -> tuple[dict, list]:
    """The exported trial files by (arm, seed) and pareto.csv's rows, without what names the study's own trials
    (its name, trial numbers, MLflow run ids, file names)."""
    import csv

    import yaml

    out = tmp_path / f"export-{name}"
    assert main(["export", name, "--out", str(out)]) == 0
    files = {}
    for path in out.glob("*.yaml"):
        document = yaml.safe_load(path.read_text())
        source = document.pop("source")
        assert source["study"] == name
        files[(source["arm"], document["config"]["seed"])] = document
    with (out / "pareto.csv").open() as handle:
        rows = [{k: v for k, v in row.items() if k not in ("number", "file")} for row in csv.DictReader(handle)]
    return files, sorted(rows, key=lambda row: (row["arm"], row["seed"]))


def test_quickstart_twice_trains_once_and_reports_the_same(ray_session, home, tmp_path, capsys):
    assert main(["submit", QUICKSTART, "--name", "first"]) == 0
    registry = Registry(home.registry_uri)
    cache = ResultCache(registry)
    assert len(cache.entries()) == 8 and {e.study for e in cache.entries().values()} == {"first"}
    assert all(e.epochs == 3 and len(e.history) == 3 for e in cache.entries().values())
    assert cache.links("first") == {}

    assert main(["submit", QUICKSTART, "--name", "second"]) == 0
    trials = {t.ray_trial_id: t for t in registry.trials("second")}
    first = {(t.arm, t.seed): t for t in registry.trials("first")}
    links = cache.links("second")
    registry.close()
    # 0 trained: every trial of the second study reported the cached curve of the first's same cell
    assert len(trials) == 8 and set(links) == set(trials)
    assert all(t.state == "COMPLETE" for t in trials.values())
    for trial_id, trial in trials.items():
        origin = first[(trial.arm, trial.seed)]
        assert links[trial_id] == f"first/{origin.ray_trial_id}"
        assert trial.metrics == origin.metrics  # metrics and op counts copied
    client = MlflowClient(home.mlflow_uri)
    for trial in trials.values():
        run = client.get_run(trial.mlflow_run_id)
        origin = first[(trial.arm, trial.seed)]
        assert run.data.tags["spikesweep.cached_from"] == f"first/{origin.ray_trial_id}"
        assert run.data.tags["spikesweep.cached_run_id"] == origin.mlflow_run_id
        history = [m.value for m in client.get_metric_history(trial.mlflow_run_id, "accuracy")]
        assert history == [m.value for m in client.get_metric_history(origin.mlflow_run_id, "accuracy")]
        assert len(history) == 3

    one, two = status(capsys, "first"), status(capsys, "second")
    assert front(one) == front(two) and one["hypervolume"] == two["hypervolume"]
    assert all(t["cached_from"] for t in two["trials"]) and not any(t["cached_from"] for t in one["trials"])
    assert report_rows(capsys, "first") == report_rows(capsys, "second")
    assert exported(tmp_path, "first") == exported(tmp_path, "second")
    capsys.readouterr()
    assert main(["status", "second"]) == 0
    assert capsys.readouterr().out.count("from first/") == 8

    # --no-cache trains again (one seed: the 4 cached trials of seed 0) and links nothing
    assert main(["submit", QUICKSTART, "--name", "third", "--no-cache", "--seeds", "0"]) == 0
    registry = Registry(home.registry_uri)
    assert ResultCache(registry).links("third") == {} and len(registry.trials("third")) == 4
    registry.close()
    assert main(["cache", "clear", "--study", "first"]) == 0
    assert "dropped 8 cached result(s) of study first" in capsys.readouterr().out
    assert main(["cache", "ls", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


SEARCH = {
    "study": "srch",
    "base": {"epochs": 1, "energy.samples": 32},
    "design": {
        "kind": "search",
        "sampler": "random",
        "n_trials": 2,
        "space": {"timesteps": {"int": [1, 2]}},
        "points_to_evaluate": [{"timesteps": 1}, {"timesteps": 2}],
    },
    "seeds": [0],
    "resources": {"cpu": 1, "gpu": 0},
}


def test_search_design_reuses_cached_trials_and_tells_optuna_their_values(ray_session, home, tmp_path, capsys):
    import yaml

    from spikesweep.platform.stores.optuna_store import load_study

    path = tmp_path / "srch.yaml"
    path.write_text(yaml.safe_dump(SEARCH, sort_keys=False))
    assert main(["submit", str(path), "--name", "a"]) == 0
    assert main(["submit", str(path), "--name", "b"]) == 0
    registry = Registry(home.registry_uri)
    first = {t.config["timesteps"]: t for t in registry.trials("a")}
    second = registry.trials("b")
    links = ResultCache(registry).links("b")
    registry.close()
    assert len(second) == 2 and set(links) == {t.ray_trial_id for t in second}
    values = {t.number: t.values for t in load_study(home.optuna_uri, "b").trials}
    for trial in second:
        origin = first[trial.config["timesteps"]]
        assert links[trial.ray_trial_id] == f"a/{origin.ray_trial_id}"
        assert values[trial.optuna_trial_number] == [origin.metrics["accuracy"], origin.metrics["energy_mj"]]
    capsys.readouterr()
    assert main(["report", "b"]) == 0
    assert "2 of 2 trial(s) reused cached results instead of training" in capsys.readouterr().out
