"""Optuna adapter: finished trials with categorical params and states, and their front."""

from __future__ import annotations

from optuna.trial import TrialState

from spikesweep.platform.pareto import front_of, objective_values
from spikesweep.platform.stores.optuna_store import add_finished_trial, completed_trials, load_study, open_study

OBJECTIVES = {"accuracy": "max", "energy_mj": "min"}


def test_finished_trials_states_params_and_front(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = open_study(url, "s", OBJECTIVES)
    choices = {"timesteps": [1, 2, 4], "seed": [0, 1]}
    numbers = [
        add_finished_trial(study, TrialState.COMPLETE, [0.90, 1.0], {"timesteps": 1, "seed": 0}, choices, {"arm": "a"}),
        add_finished_trial(study, TrialState.COMPLETE, [0.95, 2.0], {"timesteps": 2, "seed": 0}, choices, {}),
        add_finished_trial(study, TrialState.COMPLETE, [0.93, 3.0], {"timesteps": 4, "seed": 0}, choices, {}),
        add_finished_trial(study, TrialState.PRUNED, None, {"timesteps": 1, "seed": 1}, choices, {}),
        add_finished_trial(
            study,
            TrialState.FAIL,
            None,
            {"timesteps": 2, "seed": 1},
            choices,
            {"fail_reason": "TrialDiverged: loss nan"},
        ),
    ]
    assert numbers == [0, 1, 2, 3, 4]
    reloaded = load_study(url, "s")
    assert [t.state.name for t in reloaded.trials] == ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED", "FAIL"]
    assert reloaded.trials[0].params == {"timesteps": 1, "seed": 0} and reloaded.trials[0].user_attrs == {"arm": "a"}
    assert reloaded.trials[4].user_attrs["fail_reason"] == "TrialDiverged: loss nan"
    complete, directions = completed_trials(reloaded)
    assert directions == ["max", "min"] and [t.number for t in complete] == [0, 1, 2]
    found = front_of([t.values for t in complete], directions)
    assert [complete[i].number for i in found.indices()] == [0, 1]  # trial 2 is dominated by trial 1
    assert load_study(url, "missing") is None


def test_front_of_a_study_without_completed_trials_is_empty(tmp_path):
    study = open_study(f"sqlite:///{tmp_path / 'o.db'}", "s", OBJECTIVES)
    add_finished_trial(study, TrialState.FAIL, None, {}, {}, {})
    assert completed_trials(study)[0] == [] and front_of([], ["max", "min"]) is None


def test_objective_values_need_every_objective_finite():
    assert objective_values({"accuracy": 0.5, "energy_mj": 2}, ["accuracy", "energy_mj"]) == [0.5, 2.0]
    assert objective_values({"accuracy": float("nan"), "energy_mj": 2}, ["accuracy", "energy_mj"]) is None
    assert objective_values({"accuracy": 0.5}, ["accuracy", "energy_mj"]) is None
