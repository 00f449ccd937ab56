"""The registry is the record: make a study's Optuna side agree with it.

- `update_values` rewrites the objective values of finished trials in place, in one transaction of the Optuna
  database (the study keeps its id, so optuna-dashboard links keep working; a crash leaves old or new values);
- `rebuild_from_registry` recreates an Optuna study that was lost or damaged (e.g. left with 0 trials by an
  interrupted rescore) from the registry's trial rows: same name, same trial numbers, states, params, values and
  attributes. The new study id is recorded: the study's user attribute `previous_study_ids` lists the old ones;
- `agrees` tells whether the Optuna study holds the registry's trials (numbers and states).

Used by `rescore`, and available to `resume` (a study whose optuna.db was lost).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.trial import TrialState
from sqlalchemy import text

from .optuna_store import FAIL_REASON, load_study, open_study, storage
from .registry import Trial

PREVIOUS_IDS = "previous_study_ids"
STATES = {"COMPLETE": TrialState.COMPLETE, "PRUNED": TrialState.PRUNED, "FAIL": TrialState.FAIL}
UPDATE_VALUE = text(
    "UPDATE trial_values SET value = :value, value_type = 'FINITE' WHERE objective = :objective AND trial_id = "
    "(SELECT trial_id FROM trials WHERE study_id = :study_id AND number = :number)"
)


def objective_values(trial: Trial, objectives: Sequence[str]) -> list[float] | None:
    """The trial's objective values from its registry metrics, or None if one is missing or not finite."""
    values = [trial.metrics.get(name) for name in objectives]
    if any(not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) for v in values):
        return None
    return [float(v) for v in values]  # type: ignore[arg-type]


def agrees(study: optuna.Study | None, trials: Sequence[Trial]) -> bool:
    """Whether `study` holds every numbered registry trial with the same number and finished state."""
    if study is None:
        return False
    held = {t.number: t.state for t in study.get_trials(deepcopy=False)}
    for trial in trials:
        if trial.optuna_trial_number is None:
            continue
        wanted = STATES.get(trial.state, TrialState.FAIL)
        if held.get(trial.optuna_trial_number) != wanted:
            return False
    return True


def update_values(url: str, name: str, values: Mapping[int, Sequence[float]]) -> int:
    """Set the objective values of COMPLETE trials (number -> values) in one transaction; returns rows changed."""
    rdb = storage(url)
    study = optuna.load_study(study_name=name, storage=rdb)
    changed = 0
    with rdb.engine.begin() as connection:
        for number, row in values.items():
            for objective, value in enumerate(row):
                result = connection.execute(
                    UPDATE_VALUE,
                    {"value": float(value), "objective": objective, "study_id": study._study_id, "number": number},
                )
                changed += int(result.rowcount or 0)
    return changed


def _grid_distributions(trials: Sequence[Trial]) -> dict[str, list[Any]]:
    """Knobs whose value differs between the trials -> their distinct values (the grid's categorical params)."""
    choices: dict[str, list[Any]] = {}
    for name in trials[0].config if trials else ():
        distinct: list[Any] = []
        for trial in trials:
            value = trial.config.get(name)
            if not any(value == v and type(value) is type(v) for v in distinct):
                distinct.append(value)
        if len(distinct) > 1:
            choices[name] = distinct
    return choices


def _params(
    trial: Trial, space: Mapping[str, BaseDistribution] | None, choices: Mapping[str, list[Any]]
) -> tuple[dict[str, Any], dict[str, BaseDistribution]]:
    if space is not None:
        params = {k: v for k, v in trial.changed.items() if k in space}
        return params, {k: space[k] for k in params}
    params = {k: trial.config[k] for k in choices if k in trial.config}
    return params, {k: CategoricalDistribution(choices[k]) for k in params}


def rebuild_from_registry(
    url: str,
    name: str,
    objectives: Mapping[str, str],
    trials: Sequence[Trial],
    space: Mapping[str, BaseDistribution] | None = None,
    values: Mapping[int, Sequence[float]] | None = None,
) -> optuna.Study:
    """Recreate the Optuna study `name` from registry trials (numbers kept; gaps become FAIL "not in the
    registry"); `space` gives a search design's distributions (grid/ablation params are categorical over the
    values the trials took); `values` overrides COMPLETE trials' values (number -> values)."""
    old = load_study(url, name)
    previous: list[int] = []
    if old is not None:
        previous = [*old.user_attrs.get(PREVIOUS_IDS, []), old._study_id]
        optuna.delete_study(study_name=name, storage=storage(url))
    study = open_study(url, name, objectives)
    study.set_user_attr(PREVIOUS_IDS, previous)
    numbered = {t.optuna_trial_number: t for t in trials if t.optuna_trial_number is not None}
    choices = _grid_distributions(list(numbered.values())) if space is None else {}
    for number in range(max(numbered, default=-1) + 1):
        trial = numbered.get(number)
        if trial is None:
            study.add_trial(
                optuna.trial.create_trial(state=TrialState.FAIL, user_attrs={FAIL_REASON: "not in the registry"})
            )
            continue
        state = STATES.get(trial.state, TrialState.FAIL)
        row = (values or {}).get(number) or objective_values(trial, list(objectives))
        if state == TrialState.COMPLETE and row is None:
            state = TrialState.FAIL
        params, distributions = _params(trial, space, choices)
        attrs: dict[str, Any] = {"arm": trial.arm, "seed": trial.seed, "ray_trial_id": trial.ray_trial_id}
        if trial.error or trial.state not in STATES:
            attrs[FAIL_REASON] = trial.error or f"registry state {trial.state}"
        study.add_trial(
            optuna.trial.create_trial(
                state=state,
                values=list(row) if state == TrialState.COMPLETE and row is not None else None,
                params=params,
                distributions=distributions,
                user_attrs=attrs,
            )
        )
    return study


__all__ = ["PREVIOUS_IDS", "agrees", "objective_values", "rebuild_from_registry", "update_values"]
