"""Optuna adapter: finished trials with categorical params, the front, hypervolume (known answers)."""
from __future__ import annotations

import numpy as np
import pytest
from optuna.trial import TrialState

from spikesweep.platform.stores.optuna_store import (_hypervolume_2d, add_finished_trial, front, hypervolume, load_study,
                                        objective_values, open_study, reference_point)

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
        add_finished_trial(study, TrialState.FAIL, None, {"timesteps": 2, "seed": 1}, choices,
                           {"fail_reason": "TrialDiverged: loss nan"}),
    ]
    assert numbers == [0, 1, 2, 3, 4]
    reloaded = load_study(url, "s")
    assert [t.state.name for t in reloaded.trials] == ["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED", "FAIL"]
    assert reloaded.trials[0].params == {"timesteps": 1, "seed": 0} and reloaded.trials[0].user_attrs == {"arm": "a"}
    assert reloaded.trials[4].user_attrs["fail_reason"] == "TrialDiverged: loss nan"
    assert sorted(t.number for t in front(reloaded)) == [0, 1]  # trial 2 is dominated by trial 1
    assert load_study(url, "missing") is None


def test_front_of_a_study_without_completed_trials_is_empty(tmp_path):
    study = open_study(f"sqlite:///{tmp_path / 'o.db'}", "s", OBJECTIVES)
    add_finished_trial(study, TrialState.FAIL, None, {}, {}, {})
    assert front(study) == []


def test_hypervolume_known_answer():
    # losses (-acc, energy): (-0.9, 1), (-0.95, 2); ref (0, 4): union of [-0.9,0]x[1,4] and [-0.95,0]x[2,4]
    values = np.array([[0.9, 1.0], [0.95, 2.0]])
    ref = np.array([0.0, 4.0])
    expected = 0.9 * 3 + 0.05 * 2
    assert hypervolume(values, ref, ["max", "min"]) == pytest.approx(expected)
    assert _hypervolume_2d(values * [-1, 1], ref) == pytest.approx(expected)
    assert hypervolume(np.zeros((0, 2)), ref, ["max", "min"]) == 0.0


def test_reference_point_is_beyond_the_worst_values():
    values = np.array([[0.9, 1.0], [0.5, 3.0]])
    ref = reference_point(values, ["max", "min"])
    assert ref == pytest.approx([-0.5 + 0.04, 3.0 + 0.2], abs=1e-6)


def test_objective_values_need_every_objective_finite():
    assert objective_values({"accuracy": 0.5, "energy_mj": 2}, ["accuracy", "energy_mj"]) == [0.5, 2.0]
    assert objective_values({"accuracy": float("nan"), "energy_mj": 2}, ["accuracy", "energy_mj"]) is None
    assert objective_values({"accuracy": 0.5}, ["accuracy", "energy_mj"]) is None
