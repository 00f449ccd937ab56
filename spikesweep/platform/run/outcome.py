"""The one rule that decides how a trial ended, used by the Tune callbacks and by the Optuna searcher alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..pareto import objective_values

TrialState = Literal["COMPLETE", "PRUNED", "FAIL"]
PROCESS_FAILED = "the trial process failed"
MISSING_OBJECTIVE = "an objective is missing or not finite"


@dataclass(frozen=True)
class TrialOutcome:
    """A finished trial's state, the reason for FAIL and, for PRUNED, the epoch it was stopped at."""

    state: TrialState
    reason: str | None = None
    stopped_at_epoch: int | None = None


def classify(
    metrics: Mapping[str, Any] | None, planned_epochs: int, objectives: Sequence[str], error: str | None = None
) -> TrialOutcome:
    """FAIL (an error, reported or seen by Tune, or an objective missing), PRUNED (stopped before its last
    epoch) or COMPLETE, from the trial's last reported metrics."""
    metrics = metrics or {}
    reason = error or metrics.get("error")
    if reason:
        return TrialOutcome("FAIL", str(reason))
    epoch = int(metrics.get("epoch", 0) or 0)
    if epoch < planned_epochs:
        return TrialOutcome("PRUNED", stopped_at_epoch=epoch)
    if objective_values(metrics, objectives) is None:
        return TrialOutcome("FAIL", MISSING_OBJECTIVE)
    return TrialOutcome("COMPLETE")
