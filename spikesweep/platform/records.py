"""The trial record: what the report, export and status views read about one finished (or running) trial."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
