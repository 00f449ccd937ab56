"""The multi-objective Optuna searcher for Tune (search designs), aware of early stopping and failures."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import optuna
from optuna.trial import TrialState
from ray.tune.search.optuna import OptunaSearch

from ...workers import resolve
from ..stores.optuna_store import FAIL_REASON, storage
from ..study.designs import config_key
from .outcome import PROCESS_FAILED, classify

MAX_RESAMPLES = 20


class MOOptunaSearch(OptunaSearch):
    """Tells trials stopped before their last epoch PRUNED, and failed ones FAIL with their reason.

    Stock OptunaSearch tells an early-stopped multi-objective trial COMPLETE with the metrics of the epoch it
    stopped at, which puts underfit, cheap configurations on the front. The outcome comes from `outcome.classify`,
    the rule the driver's callback uses too; the reason a trial's process died reaches it through `record_failure`,
    whichever order Tune calls the two in. Uses OptunaSearch's private `_ot_trials`,
    `_ot_study` and `_completed_trials` (Ray is pinned to 2.60.*).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._failures: dict[str, str] = {}
        self._pending_errors: dict[str, dict | None] = {}
        self.final_epochs: dict[str, int] = {}
        self.seen_configs: dict[str, int] = {}

    def suggest(self, trial_id: str) -> dict | None:
        """Sample a configuration not run before in this study (identical configurations run once).

        A repeated sample is told to Optuna as PRUNED with the user attribute `duplicate_of` and never reaches
        Tune; after MAX_RESAMPLES repeats (a small, exhausted space) the repeat is run anyway.
        """
        for attempt in range(MAX_RESAMPLES):
            params = super().suggest(trial_id)
            if params is None:
                return None
            config = resolve(params)
            key = config_key(config)
            if key not in self.seen_configs or attempt == MAX_RESAMPLES - 1:
                break
            ot_trial = self._ot_trials.pop(trial_id)
            ot_trial.set_user_attr("duplicate_of", self.seen_configs[key])
            self._study().tell(ot_trial, state=TrialState.PRUNED)
        self.seen_configs.setdefault(key, self._ot_trials[trial_id].number)
        self.final_epochs[trial_id] = int(config["epochs"])  # how long this trial is meant to train
        return params

    def annotate(self, trial_id: str, attrs: Mapping[str, Any]) -> None:
        """User attributes on the Optuna trial behind a Tune trial (arm, seed, MLflow run id), written now."""
        ot_trial = self._ot_trials.get(trial_id)
        if ot_trial is not None:
            for key, value in attrs.items():
                ot_trial.set_user_attr(key, value)

    def _study(self) -> optuna.Study:
        """OptunaSearch's study (created in its setup, before any suggest)."""
        assert self._ot_study is not None
        return self._ot_study

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        ot_trial = self._ot_trials.get(trial_id)
        if ot_trial is None or trial_id in self._completed_trials:
            return
        if error and trial_id not in self._failures:
            # Tune calls the searcher before the callbacks' on_trial_error, which knows the reason: wait for it
            self._pending_errors[trial_id] = result
            return
        self._tell(trial_id, result, self._failures.get(trial_id, PROCESS_FAILED) if error else None)

    def record_failure(self, trial_id: str, reason: str) -> None:
        """The reason a trial's process failed (from the driver's callback), told to Optuna in either call order."""
        self._failures[trial_id] = reason
        if trial_id in self._pending_errors:
            self._tell(trial_id, self._pending_errors.pop(trial_id), reason)

    def flush_failures(self) -> None:
        """Tell every failure still waiting for its reason (the callback never reported one)."""
        for trial_id in list(self._pending_errors):
            self._tell(trial_id, self._pending_errors.pop(trial_id), PROCESS_FAILED)

    def _tell(self, trial_id: str, result: dict | None, error: str | None) -> None:
        ot_trial = self._ot_trials[trial_id]
        outcome = classify(result, self.final_epochs.get(trial_id, 0), list(self.metric), error)
        if outcome.state == "COMPLETE":
            super().on_trial_complete(trial_id, result, False)
            return
        if outcome.state == "FAIL":
            ot_trial.set_user_attr(FAIL_REASON, outcome.reason)
        else:
            ot_trial.set_user_attr("stopped_at_epoch", outcome.stopped_at_epoch)
        self._study().tell(ot_trial, state=TrialState[outcome.state])
        self._completed_trials.add(trial_id)


SAMPLERS: dict[str, Callable[[int, int], optuna.samplers.BaseSampler]] = {
    "tpe": lambda seed, n: optuna.samplers.TPESampler(
        seed=seed, multivariate=True, n_startup_trials=max(2, min(10, n // 3))
    ),
    "nsga2": lambda seed, n: optuna.samplers.NSGAIISampler(seed=seed, population_size=max(2, min(50, n // 2))),
    "random": lambda seed, n: optuna.samplers.RandomSampler(seed=seed),
}


def make_searcher(
    space: Callable[[Any], dict],
    study_name: str,
    url: str,
    objectives: Mapping[str, str],
    sampler: str,
    n_trials: int,
    seed: int,
    points: list[dict[str, Any]],
) -> MOOptunaSearch:
    """An MO-aware OptunaSearch over a define-by-run space, writing to the study's RDB storage."""
    searcher = MOOptunaSearch(
        space=space,
        metric=list(objectives),
        mode=list(objectives.values()),
        points_to_evaluate=points or None,
        sampler=SAMPLERS[sampler](seed, n_trials),
        study_name=study_name,
        storage=storage(url),
    )
    return searcher
