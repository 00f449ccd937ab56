"""Optuna made to agree with the registry (real Optuna and registry on SQLite): a lost search study is rebuilt
with its numbers, states, params on the design's distributions and values; values are rewritten in place."""

from __future__ import annotations

import hashlib

import optuna
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState

from spikesweep.platform.run.rescoring import search_distributions
from spikesweep.platform.stores.optuna_store import load_study, open_study
from spikesweep.platform.stores.optuna_sync import agrees, rebuild_from_registry, update_values
from spikesweep.platform.stores.registry import Registry

OBJECTIVES = {"accuracy": "max", "energy_mj": "min"}
RESOLVED = {
    "study": "s",
    "design": {"kind": "search", "space": {"lr": {"log": [0.001, 0.1], "choice": None, "int": None, "float": None}}},
    "objectives": OBJECTIVES,
}


def registry_with_search_trials(tmp_path) -> list:
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    registry.create_study("s", "study: s\n", hashlib.sha256(b"s").hexdigest(), RESOLVED)
    registry.mark_running("s", optuna_study_name="s", mlflow_experiment_id="0", mlflow_parent_run_id="p", ray_path="r")
    # numbers 0, 2 and 3 in the registry; 1 never got a row
    for ray_id, number, lr, state, metrics in (
        ("a", 0, 0.01, "COMPLETE", {"accuracy": 0.8, "energy_mj": 0.5}),
        ("b", 2, 0.05, "PRUNED", {"accuracy": 0.3, "energy_mj": 0.2}),
        ("c", 3, 0.002, "COMPLETE", {"accuracy": 0.9, "energy_mj": 0.7}),
    ):
        registry.start_trial(
            "s", ray_id, arm="search", seed=0, changed={"lr": lr}, config={"lr": lr, "seed": 0},
            mlflow_run_id=None, optuna_trial_number=None,
        )  # fmt: skip
        registry.finish_trial("s", ray_id, state, metrics=metrics, optuna_trial_number=number)
    trials = registry.trials("s")
    registry.close()
    return trials


def test_lost_search_study_is_rebuilt_with_numbers_params_and_values(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    trials = registry_with_search_trials(tmp_path)
    assert not agrees(load_study(url, "s"), trials)
    space = search_distributions(RESOLVED)
    assert space == {"lr": FloatDistribution(0.001, 0.1, log=True)}
    rebuild_from_registry(url, "s", OBJECTIVES, trials, space)
    study = load_study(url, "s")
    assert agrees(study, trials)
    assert [(t.number, t.state) for t in study.trials] == [
        (0, TrialState.COMPLETE),
        (1, TrialState.FAIL),
        (2, TrialState.PRUNED),
        (3, TrialState.COMPLETE),
    ]
    assert study.trials[1].user_attrs["fail_reason"] == "not in the registry"
    assert study.trials[0].params == {"lr": 0.01} and study.trials[0].distributions == space
    assert [t.values for t in study.trials] == [[0.8, 0.5], None, None, [0.9, 0.7]]
    assert study.trials[3].user_attrs["ray_trial_id"] == "c"


def test_values_are_rewritten_in_place_keeping_the_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    trials = registry_with_search_trials(tmp_path)
    rebuild_from_registry(url, "s", OBJECTIVES, trials, search_distributions(RESOLVED))
    before = load_study(url, "s")
    assert update_values(url, "s", {0: [0.8, 0.05], 3: [0.9, 0.07]}) == 4
    after = load_study(url, "s")
    assert after._study_id == before._study_id
    assert [t.values for t in after.trials] == [[0.8, 0.05], None, None, [0.9, 0.07]]
    assert [t.params for t in after.trials] == [t.params for t in before.trials]
    assert [t.number for t in after.best_trials] == [0, 3]


def test_a_study_missing_a_registry_trial_does_not_agree(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    trials = registry_with_search_trials(tmp_path)
    study = open_study(url, "s", OBJECTIVES)
    study.add_trial(optuna.trial.create_trial(state=TrialState.COMPLETE, values=[0.8, 0.5]))
    assert not agrees(study, trials)  # trial 0 there, but 2 and 3 missing
    assert not agrees(None, trials)
