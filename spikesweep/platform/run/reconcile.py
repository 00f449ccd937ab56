"""Closing what an interruption or a dead driver left running: every store ends with no RUNNING trial."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optuna.trial import TrialState

from ..stores.optuna_store import FAIL_REASON, add_finished_trial
from ..stores.registry import INTERRUPTED, Registry
from ..stores.tracking import Tracker


def close_unfinished(
    registry: Registry,
    name: str,
    tracker: Tracker,
    optuna_study: Any,
    choices: Mapping[str, list[Any]],
    searched: bool,
) -> int:
    """Trials left RUNNING: FAIL with reason `interrupted` in the registry, KILLED in MLflow, FAIL in Optuna (a
    grid/ablation trial is added to Optuna as FAIL; a searched one is told FAIL). Returns how many were closed.

    Optuna trials still WAITING (enqueued, never asked) are left for `resume` to run."""
    closed = 0
    for trial in registry.trials(name):
        if trial.state != "RUNNING":
            continue
        number = trial.optuna_trial_number
        if not searched:  # grid/ablation: the driver adds the Optuna trial itself
            params = {knob: trial.config[knob] for knob in choices}
            attrs = {"arm": trial.arm, "seed": trial.seed, "ray_trial_id": trial.ray_trial_id, FAIL_REASON: INTERRUPTED}
            number = add_finished_trial(optuna_study, TrialState.FAIL, None, params, choices, attrs)
        registry.finish_trial(name, trial.ray_trial_id, "FAIL", error=INTERRUPTED, optuna_trial_number=number)
        if trial.mlflow_run_id:
            tracker.end_trial(trial.mlflow_run_id, "KILLED", INTERRUPTED)
        closed += 1
    for frozen in optuna_study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        optuna_study._storage.set_trial_user_attr(frozen._trial_id, FAIL_REASON, INTERRUPTED)
        optuna_study.tell(frozen.number, state=TrialState.FAIL, skip_if_finished=True)
    return closed
