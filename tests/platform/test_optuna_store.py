"""Grid/ablation trials added to Optuna after the fact keep their real start and completion times and their
user attributes; objective names are set on the study (optuna-dashboard shows them)."""

from __future__ import annotations

import datetime as dt

from optuna.trial import TrialState

from spikesweep.platform.stores.optuna_store import add_finished_trial, load_study, open_study


def test_an_added_trial_keeps_its_times_attrs_and_knob_params(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = open_study(url, "s", {"accuracy": "max", "energy_mj": "min"})
    started = dt.datetime(2026, 1, 2, 3, 4, 5)
    completed = started + dt.timedelta(seconds=42)
    attrs = {"arm": "k3", "seed": 1, "mlflow_run_id": "abc", "ray_trial_id": "t1"}
    number = add_finished_trial(
        study, TrialState.COMPLETE, [0.9, 1e-4], {"timesteps": 2}, {"timesteps": [1, 2]}, attrs, started, completed
    )
    trial = load_study(url, "s").trials[number]
    assert (trial.datetime_start, trial.datetime_complete) == (started, completed)
    assert trial.duration == dt.timedelta(seconds=42)
    assert trial.user_attrs == attrs and trial.params == {"timesteps": 2} and trial.values == [0.9, 1e-4]
    assert load_study(url, "s").metric_names == ["accuracy", "energy_mj"]
