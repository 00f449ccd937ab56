"""`rescore` made safe: refused on a running study, resumable after a failure part-way, Optuna rebuilt from the
registry when its study was lost, the study's identity kept, MLflow's energy series ending at the new value.

A finished grid study is written into real stores (registry, MLflow and Optuna on SQLite) the way the driver
writes them, without training (the trials' op counts are given), so these tests need no Ray.
"""

from __future__ import annotations

import hashlib
import shutil

import optuna
import pytest
from mlflow.tracking import MlflowClient
from optuna.trial import TrialState

from spikesweep.platform.cli import main
from spikesweep.platform.run.rescoring import rescore_study
from spikesweep.platform.stores.home import get_home
from spikesweep.platform.stores.optuna_store import add_finished_trial, load_study, open_study, storage
from spikesweep.platform.stores.optuna_sync import PREVIOUS_IDS
from spikesweep.platform.stores.registry import Registry
from spikesweep.platform.stores.tracking import Tracker

pytestmark = pytest.mark.integration

NAME = "rescored"
OBJECTIVES = {"accuracy": "max", "energy_mj": "min"}
RESOLVED = {
    "study": NAME,
    "design": {"kind": "grid", "factors": {"timesteps": [1, 2]}},
    "seeds": [0, 1],
    "objectives": OBJECTIVES,
}
# (timesteps, seed, state, accuracy, paper ACs, paper MACs, full ACs, full MACs)
TRIALS = [
    (1, 0, "COMPLETE", 0.80, 1e6, 2e6, 3e6, 4e6),
    (2, 0, "COMPLETE", 0.90, 2e6, 3e6, 5e6, 6e6),
    (1, 1, "COMPLETE", 0.82, 1.1e6, 2.1e6, 3.1e6, 4.1e6),
    (2, 1, "FAIL", None, 0, 0, 0, 0),
]
FP32 = (0.9, 4.6)
FP16 = (0.4, 1.5)
INT8 = (0.03, 0.23)


def energy(acs: float, macs: float, preset: tuple[float, float]) -> float:
    return (acs * preset[0] + macs * preset[1]) * 1e-9


@pytest.fixture(scope="module")
def empty_stores(tmp_path_factory):
    """The three SQLite stores, created (migrated) once: creating MLflow's tables takes seconds."""
    folder = get_home(tmp_path_factory.mktemp("template"))
    folder.create()
    Registry(folder.registry_uri).close()
    Tracker(folder.mlflow_uri, folder.artifacts).client.search_experiments()
    optuna.create_study(storage=storage(folder.optuna_uri), study_name="template")
    optuna.delete_study(study_name="template", storage=storage(folder.optuna_uri))
    return folder.root


@pytest.fixture
def home(tmp_path, monkeypatch, empty_stores):
    monkeypatch.setenv("SPIKESWEEP_HOME", str(tmp_path / "home"))
    for name in ("SPIKESWEEP_MLFLOW_URI", "SPIKESWEEP_OPTUNA_URI", "SPIKESWEEP_REGISTRY_URI"):
        monkeypatch.delenv(name, raising=False)
    home = get_home()
    home.create()
    for name in ("registry.db", "mlflow.db", "optuna.db"):
        shutil.copyfile(empty_stores / name, home.root / name)
    return home


def write_study(home, finish: bool = True) -> dict[int, str]:
    """A finished grid study in the three stores as the driver leaves it; returns trial number -> MLflow run id."""
    registry = Registry(home.registry_uri)
    registry.create_study(NAME, "study: rescored\n", hashlib.sha256(b"x").hexdigest(), RESOLVED)
    tracker = Tracker(home.mlflow_uri, home.artifacts)
    experiment_id, parent = tracker.start_study(NAME, "", RESOLVED)
    study = open_study(home.optuna_uri, NAME, OBJECTIVES)
    registry.mark_running(
        NAME, optuna_study_name=NAME, mlflow_experiment_id=experiment_id, mlflow_parent_run_id=parent, ray_path="x"
    )
    runs = {}
    for i, (timesteps, seed, state, accuracy, pa, pm, fa, fm) in enumerate(TRIALS):
        config = {"timesteps": timesteps, "seed": seed, "epochs": 3, "energy.preset": "horowitz45_fp32"}
        run_id = tracker.start_trial(experiment_id, parent, NAME, f"t{i}", {}, "cell", seed, f"ray{i}")
        registry.start_trial(
            NAME,
            f"ray{i}",
            arm="cell",
            seed=seed,
            changed={"timesteps": timesteps},
            config=config,
            mlflow_run_id=run_id,
            optuna_trial_number=None,
        )
        metrics = {}
        if state == "COMPLETE":
            for epoch in (1, 2, 3):
                metrics = {
                    "epoch": epoch,
                    "accuracy": accuracy,
                    "energy_mj": energy(pa, pm, FP32),
                    "ops_paper_acs": pa,
                    "ops_paper_macs": pm,
                    "ops_full_acs": fa,
                    "ops_full_macs": fm,
                }
                tracker.log_result(run_id, metrics)
        values = [accuracy, metrics["energy_mj"]] if state == "COMPLETE" else None
        number = add_finished_trial(
            study,
            TrialState[state],
            values,
            {"timesteps": timesteps},
            {"timesteps": [1, 2]},
            {"arm": "cell", "seed": seed, "ray_trial_id": f"ray{i}"},
        )
        registry.finish_trial(
            NAME,
            f"ray{i}",
            state,
            metrics=metrics,
            optuna_trial_number=number,
            error=None if state == "COMPLETE" else "diverged",
        )
        tracker.end_trial(run_id, "FINISHED" if state == "COMPLETE" else "FAILED")
        runs[number] = run_id
    if finish:
        registry.set_status(NAME, "completed")
        tracker.finish_study(parent, "FINISHED", {"hypervolume": 0.1})
    registry.close()
    return runs


def expected_full(preset: tuple[float, float]) -> dict[int, float]:
    return {
        i: energy(fa, fm, preset) for i, (*_, state, _a, _pa, _pm, fa, fm) in enumerate(TRIALS) if state == "COMPLETE"
    }


def assert_all_stores_int8_full(home, runs: dict[int, str], preset: str = "horowitz45_int8") -> None:
    """Registry, Optuna and MLflow all hold the energy of `preset` under the full accounting."""
    expected = expected_full({"horowitz45_int8": INT8, "horowitz45_fp16": FP16}[preset])
    with Registry(home.registry_uri) as registry:
        trials = {t.optuna_trial_number: t for t in registry.trials(NAME)}
        parent = registry.require_study(NAME).mlflow_parent_run_id
    assert {n: t.metrics["energy_mj"] for n, t in trials.items() if t.state == "COMPLETE"} == pytest.approx(expected)
    assert {t.metrics.get("energy_scoring") for t in trials.values() if t.state == "COMPLETE"} == {f"{preset}/full"}
    study = load_study(home.optuna_uri, NAME)
    assert [(t.number, t.state.name) for t in study.trials] == [(n, trials[n].state) for n in sorted(trials)]
    for trial in study.trials:
        if trial.state == TrialState.COMPLETE:
            assert trial.values == pytest.approx([TRIALS[trial.number][3], expected[trial.number]])
            assert trial.params["timesteps"] == TRIALS[trial.number][0]
    client = MlflowClient(home.mlflow_uri)
    for number, value in expected.items():
        run = client.get_run(runs[number])
        history = client.get_metric_history(runs[number], "energy_mj")
        assert max(m.step for m in history) == 3  # the same epoch series, not a point at step 1,000,000
        assert run.data.metrics["energy_mj"] == pytest.approx(value)  # the series' final value is the new one
        assert run.data.tags["spikesweep.energy"] == f"{preset}/full"
    parent_run = client.get_run(parent)
    assert parent_run.data.tags["spikesweep.energy.preset"] == preset
    assert parent_run.data.metrics["pareto_size"] >= 1


def test_rescore_updates_every_store_and_keeps_the_optuna_study_id(home, capsys):
    runs = write_study(home)
    study_id = load_study(home.optuna_uri, NAME)._study_id
    assert main(["rescore", NAME, "--preset", "horowitz45_int8", "--accounting", "full"]) == 0
    assert "re-scored 3 of 4 trials" in capsys.readouterr().out
    assert_all_stores_int8_full(home, runs)
    assert load_study(home.optuna_uri, NAME)._study_id == study_id
    client = MlflowClient(home.mlflow_uri)
    with Registry(home.registry_uri) as registry:
        parent = registry.require_study(NAME).mlflow_parent_run_id
    artifacts = {a.path for a in client.list_artifacts(parent, "report")}
    assert {"report/report.md", "report/pareto.png"} <= artifacts


def test_failure_part_way_then_rescore_again_succeeds(home):
    """A failure after each step (registry, Optuna, MLflow written) stands in for a kill; a second rescore with
    the same preset finishes the job, and Optuna never loses its trials."""
    runs = write_study(home)
    for step, preset in (("registry", "horowitz45_int8"), ("optuna", "horowitz45_fp16"), ("mlflow", "horowitz45_int8")):

        def kill(at: str, step: str = step) -> None:
            if at == step:
                raise RuntimeError(f"killed after {at}")

        with pytest.raises(RuntimeError):
            rescore_study(home, NAME, preset, "full", checkpoint=kill)
        assert len(load_study(home.optuna_uri, NAME).trials) == len(TRIALS)  # never left with 0 trials
        result = rescore_study(home, NAME, preset, "full")
        assert (result.trials, result.rescored, result.rebuilt_optuna) == (4, 3, False)
        assert_all_stores_int8_full(home, runs, preset)


def test_lost_optuna_study_is_rebuilt_from_the_registry(home, capsys):
    runs = write_study(home)
    optuna.delete_study(study_name=NAME, storage=storage(home.optuna_uri))
    assert main(["rescore", NAME, "--preset", "horowitz45_int8", "--accounting", "full"]) == 0
    assert "Optuna study rebuilt from the registry" in capsys.readouterr().out
    assert_all_stores_int8_full(home, runs)
    study = load_study(home.optuna_uri, NAME)
    assert study.user_attrs[PREVIOUS_IDS] == []  # the old study was gone: no id to record
    assert study.trials[3].user_attrs["fail_reason"] == "diverged"
    # a damaged study (the old rescore's failure: 0 trials) is rebuilt too, and the id change recorded
    optuna.delete_study(study_name=NAME, storage=storage(home.optuna_uri))
    empty_id = open_study(home.optuna_uri, NAME, OBJECTIVES)._study_id
    assert rescore_study(home, NAME, "horowitz45_int8", "full").rebuilt_optuna
    rebuilt = load_study(home.optuna_uri, NAME)
    assert rebuilt.user_attrs[PREVIOUS_IDS] == [empty_id]  # SQLite may hand the same id out again
    with Registry(home.registry_uri) as registry:
        parent = registry.require_study(NAME).mlflow_parent_run_id
    assert MlflowClient(home.mlflow_uri).get_run(parent).data.tags["spikesweep.optuna_study_id"] == str(
        rebuilt._study_id
    )


def test_running_study_is_refused_and_nothing_changes(home, capsys):
    write_study(home, finish=False)
    before = [t.values for t in load_study(home.optuna_uri, NAME).trials]
    assert main(["rescore", NAME, "--preset", "horowitz45_int8"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"study {NAME!r} is running (allowed: a finished study; wait for it to end, or `spikesweep resume {NAME}` "
        "if its driver died)"
    )
    assert [t.values for t in load_study(home.optuna_uri, NAME).trials] == before
    with Registry(home.registry_uri) as registry:
        assert all("energy_scoring" not in t.metrics for t in registry.trials(NAME))
