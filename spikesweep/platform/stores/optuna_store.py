"""Optuna, driver side only: one RDB study per spikesweep study; the Pareto front and its hypervolume.

Grid and ablation trials are added by the driver as finished trials (COMPLETE with values, FAIL with a reason,
PRUNED when stopped early). Search studies are sampled by `searcher.MOOptunaSearch`, which tells early-stopped
trials PRUNED instead of COMPLETE so that they never reach the front.
"""
from __future__ import annotations

import logging
import math
import warnings
from typing import Any, Mapping, Sequence

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution
from optuna.trial import FrozenTrial, TrialState

log = logging.getLogger(__name__)
FAIL_REASON = "fail_reason"
optuna.logging.set_verbosity(optuna.logging.WARNING)


def storage(url: str) -> optuna.storages.RDBStorage:
    kwargs = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}
    return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)


def open_study(url: str, name: str, objectives: Mapping[str, str]) -> optuna.Study:
    """Create (or load) the Optuna study with one direction per objective."""
    directions = ["maximize" if d == "max" else "minimize" for d in objectives.values()]
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


def objective_values(metrics: Mapping[str, Any], objectives: Sequence[str]) -> list[float] | None:
    """The objectives' values from a trial's last metrics, or None if one is missing or not finite."""
    values = []
    for name in objectives:
        value = metrics.get(name)
        if not isinstance(value, (int, float)) or not math.isfinite(float(value)):
            return None
        values.append(float(value))
    return values


def add_finished_trial(study: optuna.Study, state: TrialState, values: list[float] | None,
                       params: Mapping[str, Any], choices: Mapping[str, list[Any]],
                       user_attrs: Mapping[str, Any]) -> int:
    """Record a finished grid/ablation trial with categorical params over the design's values; returns its number."""
    distributions = {name: CategoricalDistribution(choices[name]) for name in params}
    trial = optuna.trial.create_trial(state=state, values=values if state == TrialState.COMPLETE else None,
                                      params=dict(params), distributions=distributions,
                                      user_attrs=dict(user_attrs))
    study.add_trial(trial)
    return study.get_trials(deepcopy=False)[-1].number


def front(study: optuna.Study) -> list[FrozenTrial]:
    """Pareto-optimal COMPLETE trials (PRUNED and FAIL never count)."""
    return study.best_trials if any(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False)) else []


def _losses(values: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    signs = np.array([-1.0 if d == "max" else 1.0 for d in directions])
    return values * signs


def reference_point(all_values: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """10 % of each objective's range beyond its worst value over all completed trials (in loss space)."""
    losses = _losses(all_values, directions)
    worst, best = losses.max(axis=0), losses.min(axis=0)
    return worst + 0.1 * (worst - best) + 1e-12 + 1e-9 * np.abs(worst)


def _hypervolume_2d(losses: np.ndarray, ref: np.ndarray) -> float:
    points = sorted(p for p in losses.tolist() if p[0] < ref[0] and p[1] < ref[1])
    volume, best_second = 0.0, ref[1]
    for first, second in points:
        if second < best_second:
            volume += (ref[0] - first) * (best_second - second)
            best_second = second
    return volume


def hypervolume(front_values: np.ndarray, ref: np.ndarray, directions: Sequence[str]) -> float:
    """Hypervolume of a front (rows = trials) against `ref` (loss space); Optuna's private routine or 2-D numpy."""
    if len(front_values) == 0:
        return 0.0
    losses = _losses(np.asarray(front_values, dtype=float), directions)
    try:
        from optuna._hypervolume import compute_hypervolume

        return float(compute_hypervolume(losses, ref, assume_pareto=False))
    except Exception as error:  # the module is private; fall back where it moved or changed
        if losses.shape[1] != 2:
            raise
        log.debug("optuna._hypervolume failed (%s); using the 2-D sweep", error)
        return _hypervolume_2d(losses, ref)


def optuna_number(searcher: Any, trial_id: str) -> int | None:
    """The Optuna trial number OptunaSearch asked for a Tune trial (private attribute; Ray is pinned)."""
    ot_trial = getattr(searcher, "_ot_trials", {}).get(trial_id)
    return None if ot_trial is None else ot_trial.number
