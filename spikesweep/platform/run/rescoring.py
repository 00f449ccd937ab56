"""Re-score a finished study's energy under another preset/accounting from its stored op counts.

The registry is the record, and each step can be repeated, so an interrupted rescore loses nothing and a second
`rescore` finishes the job:
1. refuse a study that is still running (its trials would end up priced under two presets);
2. the registry: every COMPLETE trial's `energy_mj` and `energy_scoring` (`preset/accounting`) in one transaction;
3. Optuna from the registry: values rewritten in place in one transaction (the study keeps its name and id);
   a study whose Optuna side is missing or disagrees with the registry is rebuilt from it (the id change is
   recorded in the study's `previous_study_ids` and in the parent run's tag `spikesweep.optuna_study_id`);
4. MLflow: the new energy as the final value of each child's `energy_mj` step series (same last step, later
   time), tags `spikesweep.energy*` on every child and the parent, the parent's hypervolume, front size and
   front table (the CLI then rebuilds the report artifacts and the Pareto plot).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from ...workers import rescore
from ..errors import UserError
from ..stores import open_registry
from ..stores.home import Home
from ..stores.optuna_store import load_study
from ..stores.optuna_sync import agrees, objective_values, rebuild_from_registry, update_values
from ..stores.registry import Registry, Study, Trial

ENERGY = "energy_mj"
SCORING = "energy_scoring"
UNFINISHED = ("queued", "running")


@dataclass(frozen=True)
class RescoreResult:
    trials: int
    rescored: int
    front_size: int
    rebuilt_optuna: bool


def search_distributions(resolved: Mapping[str, Any]) -> dict[str, BaseDistribution] | None:
    """Optuna distributions of a search design's space (from the stored resolved study), None for grid/ablation."""
    design = resolved.get("design") or {}
    if design.get("kind") != "search":
        return None
    found: dict[str, BaseDistribution] = {}
    for name, spec in (design.get("space") or {}).items():
        if spec.get("choice") is not None:
            found[name] = CategoricalDistribution(spec["choice"])
        elif spec.get("int") is not None:
            found[name] = IntDistribution(*spec["int"])
        elif spec.get("float") is not None:
            found[name] = FloatDistribution(*spec["float"])
        elif spec.get("log") is not None:
            found[name] = FloatDistribution(spec["log"][0], spec["log"][1], log=True)
    return found


def ensure_optuna(home: Home, row: Study, trials: list[Trial], values: Mapping[int, list[float]] | None = None) -> bool:
    """Make the study's Optuna side hold the registry's trials (and `values`); True if it had to be rebuilt."""
    objectives = dict(row.resolved.get("objectives") or {"accuracy": "max", ENERGY: "min"})
    name = row.optuna_study_name or row.name
    study = load_study(home.optuna_uri, name)
    if agrees(study, trials):
        if values:
            update_values(home.optuna_uri, name, values)
        return False
    rebuild_from_registry(
        home.optuna_uri, name, objectives, trials, search_distributions(row.resolved), values=values or None
    )
    return True


def _refuse_unfinished(row: Study, trials: list[Trial]) -> None:
    running = [t.ray_trial_id for t in trials if t.state == "RUNNING"]
    if row.status in UNFINISHED or running:
        raise UserError(
            f"study {row.name!r} is {row.status}"
            + (f" with {len(running)} trials running" if running else "")
            + f" (allowed: a finished study; wait for it to end, or `spikesweep resume {row.name}` if its driver died)"
        )


def rescore_study(
    home: Home,
    study: str,
    preset: str,
    accounting: str,
    checkpoint: Callable[[str], None] = lambda step: None,
) -> RescoreResult:
    """Recompute `energy_mj` of every COMPLETE trial of `study` in every store (see the module docstring).

    `checkpoint(step)` is called after each step ("registry", "optuna", "mlflow"): tests raise there to
    stand in for a kill.
    """
    with open_registry(home) as registry:
        row = registry.require_study(study)
        trials = registry.trials(study)
        _refuse_unfinished(row, trials)
        objectives = list(row.resolved.get("objectives") or {"accuracy": "max", ENERGY: "min"})
        scoring = f"{preset}/{accounting}"
        new_energy = {t.ray_trial_id: rescore(t.metrics, preset, accounting) for t in trials if t.state == "COMPLETE"}
        registry.set_many_trial_metrics(
            study,
            {rid: {**_metrics(trials, rid), ENERGY: energy, SCORING: scoring} for rid, energy in new_energy.items()},
        )
        checkpoint("registry")
        trials = registry.trials(study)
        values = {
            t.optuna_trial_number: row_values
            for t in trials
            if t.state == "COMPLETE" and t.optuna_trial_number is not None and ENERGY in objectives
            for row_values in [objective_values(t, objectives)]
            if row_values is not None
        }
        rebuilt = ensure_optuna(home, row, trials, values)
        checkpoint("optuna")
        front_size, hypervolume, front = _front(home, row, registry)
        _log_to_mlflow(home, row, trials, set(new_energy), preset, accounting, rebuilt)
        _log_parent_summary(home, row, front_size, hypervolume, front)
        checkpoint("mlflow")
    return RescoreResult(len(trials), len(new_energy), front_size, rebuilt)


def _metrics(trials: list[Trial], ray_trial_id: str) -> dict[str, Any]:
    return next(dict(t.metrics) for t in trials if t.ray_trial_id == ray_trial_id)


def _front(home: Home, row: Study, registry: Registry) -> tuple[int, float | None, list[dict[str, Any]]]:
    from .driver import summarize

    name = row.optuna_study_name or row.name
    optuna_study = load_study(home.optuna_uri, name)
    if optuna_study is None:
        return 0, None, []
    outcome = summarize(optuna_study, registry, row.name, dict(row.resolved.get("objectives") or {}))
    return len(outcome.pareto), outcome.hypervolume, outcome.pareto


def _log_to_mlflow(
    home: Home, row: Study, trials: list[Trial], rescored: set[str], preset: str, accounting: str, rebuilt: bool
) -> None:
    """Each rescored child: new energy at the last step of its series, and tags naming the current scoring."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=home.mlflow_uri)
    tags = {
        "spikesweep.energy": f"{preset}/{accounting}",
        "spikesweep.energy.preset": preset,
        "spikesweep.energy.accounting": accounting,
    }
    now = int(time.time() * 1000)
    for trial in trials:
        if trial.ray_trial_id not in rescored or not trial.mlflow_run_id:
            continue
        energy = float(trial.metrics[ENERGY])
        history = client.get_metric_history(trial.mlflow_run_id, ENERGY)
        last = max((m.step for m in history), default=0)
        client.log_metric(trial.mlflow_run_id, ENERGY, energy, timestamp=now, step=last)
        client.log_metric(trial.mlflow_run_id, f"{ENERGY}.{preset}.{accounting}", energy, timestamp=now, step=last)
        for key, value in tags.items():
            client.set_tag(trial.mlflow_run_id, key, value)
    if row.mlflow_parent_run_id:
        for key, value in tags.items():
            client.set_tag(row.mlflow_parent_run_id, key, value)
        if rebuilt:
            study = load_study(home.optuna_uri, row.optuna_study_name or row.name)
            if study is not None:
                client.set_tag(row.mlflow_parent_run_id, "spikesweep.optuna_study_id", str(study._study_id))


def _log_parent_summary(
    home: Home, row: Study, front_size: int, hypervolume: float | None, front: list[dict[str, Any]]
) -> None:
    if not row.mlflow_parent_run_id:
        return
    import math

    import pandas as pd
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=home.mlflow_uri)
    client.log_metric(row.mlflow_parent_run_id, "pareto_size", float(front_size), step=0)
    if hypervolume is not None and math.isfinite(hypervolume):
        client.log_metric(row.mlflow_parent_run_id, "hypervolume", float(hypervolume), step=0)
    if front:  # log_dict replaces the file (log_table would append to the table the driver logged)
        table = pd.DataFrame(front).to_dict(orient="split", index=False)
        client.log_dict(row.mlflow_parent_run_id, table, "pareto/front.json")
