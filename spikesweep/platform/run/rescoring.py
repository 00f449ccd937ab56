"""Re-score a finished study's energy under another preset/accounting from its stored op counts.

Optuna does not allow changing a finished trial's values, so the study is rebuilt under the same name with every
trial copied in number order (numbers, states, params and attributes kept) and the new energy in its values.
The registry's trial metrics and the MLflow child runs get the new `energy_mj`; the parent run records the preset.
"""

from __future__ import annotations

from dataclasses import dataclass

import optuna
from optuna.trial import TrialState

from ...workers import rescore
from ..pareto import front_of
from ..stores import open_registry
from ..stores.home import Home
from ..stores.optuna_store import completed_trials, open_study, storage

ENERGY = "energy_mj"


@dataclass(frozen=True)
class RescoreResult:
    trials: int
    rescored: int
    front_size: int


def rescore_study(home: Home, study: str, preset: str, accounting: str) -> RescoreResult:
    """Recompute `energy_mj` of every COMPLETE trial of `study`; rebuild its Optuna study and front."""
    with open_registry(home) as registry:
        row = registry.require_study(study)
        trials = registry.trials(study)
        objectives = dict(row.resolved.get("objectives") or {"accuracy": "max", ENERGY: "min"})
        by_number = {t.optuna_trial_number: t for t in trials if t.optuna_trial_number is not None}
        new_energy = {
            number: rescore(t.metrics, preset, accounting) for number, t in by_number.items() if t.state == "COMPLETE"
        }
        name = row.optuna_study_name or study
        old = optuna.load_study(study_name=name, storage=storage(home.optuna_uri))
        frozen = old.get_trials(deepcopy=True)
        names = list(objectives)
        optuna.delete_study(study_name=name, storage=storage(home.optuna_uri))
        rebuilt = open_study(home.optuna_uri, name, objectives)
        rebuilt.set_user_attr("energy", {"preset": preset, "accounting": accounting})
        for trial in frozen:
            values = trial.values
            if trial.state == TrialState.COMPLETE and ENERGY in names and trial.number in new_energy:
                values = list(values)
                values[names.index(ENERGY)] = new_energy[trial.number]
            rebuilt.add_trial(
                optuna.trial.create_trial(
                    state=trial.state,
                    values=values if trial.state == TrialState.COMPLETE else None,
                    params=trial.params,
                    distributions=trial.distributions,
                    user_attrs=trial.user_attrs,
                    system_attrs=trial.system_attrs,
                    intermediate_values=trial.intermediate_values,
                )
            )
        for number, energy in new_energy.items():
            record = by_number[number]
            registry.set_trial_metrics(study, record.ray_trial_id, {**record.metrics, ENERGY: energy})
        _log_to_mlflow(home, row.mlflow_parent_run_id, by_number, new_energy, preset, accounting)
        complete, directions = completed_trials(rebuilt)
        found = front_of([t.values for t in complete], directions)
        front_size = len(found.indices()) if found and new_energy else 0
    return RescoreResult(len(trials), len(new_energy), front_size)


def _log_to_mlflow(
    home: Home, parent_run_id: str | None, by_number: dict, new_energy: dict[int, float], preset: str, accounting: str
) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=home.mlflow_uri)
    for number, energy in new_energy.items():
        run_id = by_number[number].mlflow_run_id
        if run_id:
            client.log_metric(run_id, f"energy_mj.{preset}.{accounting}", energy)
            client.log_metric(run_id, ENERGY, energy, step=10**6)
    if parent_run_id:
        client.set_tag(parent_run_id, "spikesweep.energy", f"{preset}/{accounting}")
