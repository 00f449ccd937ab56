"""Optuna, driver side only: one RDB study per spikesweep study, with its trials added or told by the driver.

Grid and ablation trials are added by the driver as finished trials (COMPLETE with values, FAIL with a reason,
PRUNED when stopped early). Search studies are sampled by `searcher.MOOptunaSearch`, which tells early-stopped
trials PRUNED instead of COMPLETE so that they never reach the front.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Mapping
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.trial import FrozenTrial, TrialState

log = logging.getLogger(__name__)
FAIL_REASON = "fail_reason"
optuna.logging.set_verbosity(optuna.logging.WARNING)


def storage(url: str) -> optuna.storages.RDBStorage:
    kwargs = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
    return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)


def open_study(url: str, name: str, objectives: Mapping[str, str]) -> optuna.Study:
    """Create (or load) the Optuna study with one direction per objective."""
    directions = [
        optuna.study.StudyDirection.MAXIMIZE if d == "max" else optuna.study.StudyDirection.MINIMIZE
        for d in objectives.values()
    ]
    study = optuna.create_study(storage=storage(url), study_name=name, directions=directions, load_if_exists=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names(list(objectives))
    return study


def load_study(url: str, name: str) -> optuna.Study | None:
    try:
        return optuna.load_study(study_name=name, storage=storage(url))
    except KeyError:
        return None


def add_finished_trial(
    study: optuna.Study,
    state: TrialState,
    values: list[float] | None,
    params: Mapping[str, Any],
    choices: Mapping[str, list[Any]],
    user_attrs: Mapping[str, Any],
    started: dt.datetime | None = None,
    completed: dt.datetime | None = None,
) -> int:
    """Record a finished grid/ablation trial with categorical params over the design's values and its real start
    and completion times (Optuna's own `create_trial` stamps both "now": a zero duration); returns its number."""
    distributions: dict[str, BaseDistribution] = {name: CategoricalDistribution(choices[name]) for name in params}
    trial = optuna.trial.create_trial(
        state=state,
        values=values if state == TrialState.COMPLETE else None,
        params=dict(params),
        distributions=distributions,
        user_attrs=dict(user_attrs),
    )
    trial.datetime_complete = completed or trial.datetime_complete
    trial.datetime_start = started or trial.datetime_start
    # Study.add_trial returns nothing; the storage call gives the new trial's id (private attributes, Optuna pinned)
    trial_id = study._storage.create_new_trial(study._study_id, template_trial=trial)
    return study._storage.get_trial_number_from_id(trial_id)


def optuna_number(searcher: Any, trial_id: str) -> int | None:
    """The Optuna trial number OptunaSearch asked for a Tune trial (private attribute; Ray is pinned)."""
    ot_trial = getattr(searcher, "_ot_trials", {}).get(trial_id)
    return None if ot_trial is None else ot_trial.number


def completed_trials(study: optuna.Study) -> tuple[list[FrozenTrial], list[str]]:
    """The COMPLETE trials with values, and the study's directions as "max"/"min" (inputs of `pareto.front_of`)."""
    directions = ["max" if d == optuna.study.StudyDirection.MAXIMIZE else "min" for d in study.directions]
    trials = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if t.values]
    return trials, directions


CONTINUES = "continues"


def requeue_interrupted(study: optuna.Study) -> int:
    """Enqueue again the parameters of every trial closed as interrupted (FAIL, reason `interrupted`) that no
    enqueued trial continues yet (user attribute `continues`), so a resumed search runs them first; returns how
    many were enqueued."""
    trials = study.get_trials(deepcopy=False)
    continued = {t.user_attrs.get(CONTINUES) for t in trials}
    count = 0
    for frozen in trials:
        if frozen.state != TrialState.FAIL or frozen.user_attrs.get(FAIL_REASON) != "interrupted":
            continue
        if frozen.number in continued:
            continue
        params = dict(frozen.params) or dict(frozen.system_attrs.get("fixed_params") or {})
        study.enqueue_trial(params, user_attrs={CONTINUES: frozen.number})
        count += 1
    return count
