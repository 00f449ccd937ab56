"""The trial record: what the report, export and status views read about one finished (or running) trial."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..stores import Study, Trial


@dataclass(frozen=True)
class TrialRecord:
    """One trial of a study as the stores know it.

    `arm` names the design cell (ablation arm, grid cell label, or "search"); `changed` holds the knobs that
    differ from the study's base (or the ablation baseline); `metrics` are the final values reported
    (accuracy, energy_mj, firing_rate, params, ...). `state` is Optuna's: COMPLETE, PRUNED, FAIL or RUNNING.
    """

    number: int
    arm: str
    seed: int
    changed: dict[str, Any]
    config: dict[str, Any]
    state: str
    metrics: dict[str, float] = field(default_factory=dict)
    pareto: bool = False
    mlflow_run_id: str | None = None
    ray_trial_id: str | None = None
    error: str | None = None
    cached_from: str | None = None  # `study/trial` whose cached result this trial reused (not trained)


def load_records(home: Any, study: str) -> list[TrialRecord]:
    """Every trial of `study` in the home's registry, with Optuna's state and the Pareto flag from its front.

    `home` is a `Home` or a path. Raises StudyNotFound (a LookupError) if the study is unknown.
    """
    return load_study_records(home, study)[1]


def load_study_records(home: Any, study: str) -> tuple[Study, list[TrialRecord]]:
    """The study's registry snapshot and its trial records, from one read-only open of the registry."""
    from ..stores import Home, StudyNotFound, get_home, open_registry
    from ..stores.result_cache import cache_links

    home = home if isinstance(home, Home) else get_home(home)
    if not home.registry_exists():
        raise StudyNotFound(f"no study {study!r} in {home.root} (the home has no registry yet)")
    with open_registry(home, read_only=True) as registry:
        row = registry.get_study(study)
        if row is None:
            raise StudyNotFound(f"no study {study!r} in {home.root}")
        trials = registry.trials(study)
        cached = cache_links(registry, study)
    return row, _records(home, row, trials, cached)


def _records(home: Any, row: Study, trials: list[Trial], cached: Mapping[str, str]) -> list[TrialRecord]:
    from ..pareto import front_of
    from ..stores.optuna_store import FAIL_REASON, completed_trials, load_study

    study = row.name
    optuna_study = load_study(home.optuna_uri, row.optuna_study_name or study)
    frozen = {t.number: t for t in optuna_study.get_trials(deepcopy=False)} if optuna_study else {}
    pareto: set[int] = set()
    if optuna_study is not None:
        complete, directions = completed_trials(optuna_study)
        found = front_of([t.values for t in complete], directions)
        pareto = {complete[i].number for i in found.indices()} if found else set()
    records = []
    for trial in trials:
        number = trial.optuna_trial_number
        optuna_trial = frozen.get(number) if number is not None else None
        state = optuna_trial.state.name if optuna_trial is not None else trial.state
        error = trial.error or (optuna_trial.user_attrs.get(FAIL_REASON) if optuna_trial is not None else None)
        metrics = {
            k: float(v) for k, v in trial.metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        records.append(
            TrialRecord(
                number=number if number is not None else -1,
                arm=trial.arm,
                seed=trial.seed,
                changed=dict(trial.changed),
                config=dict(trial.config),
                state=state,
                metrics=metrics,
                pareto=number in pareto,
                mlflow_run_id=trial.mlflow_run_id,
                ray_trial_id=trial.ray_trial_id,
                error=error,
                cached_from=cached.get(trial.ray_trial_id),
            )
        )
    return sorted(records, key=lambda r: (r.number < 0, r.number))
