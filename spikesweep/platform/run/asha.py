"""Ray's ASHA (`AsyncHyperBandScheduler`) with rungs that can be refilled from a study's per-epoch records.

Ray's brackets record, per rung, {trial id: metric_op * metric} (`_Bracket.on_result`, called from
`on_trial_result` below `max_t` and from `on_trial_complete` at the end). `replay` calls exactly that for every
record, in reporting order, into the one bracket spikesweep uses (`brackets=1`); `on_trial_add` renames a continued
trial's old records to its new id so that it is not judged twice at a rung it passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from ray.tune.schedulers import ASHAScheduler


@dataclass(frozen=True)
class _Reported:
    """The part of a Tune trial that `_Bracket.on_result` reads."""

    trial_id: str


class ResumableASHAScheduler(ASHAScheduler):
    """ASHA whose rungs `replay` refills; continued trials take over their old records."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.renames: Any = None  # rungs.Renames on a resumed study

    def replay(self, records: Iterable[tuple[str, int, Mapping[str, Any]]]) -> None:
        """Record every (trial, epoch, metrics) as the live scheduler did, in reporting order."""
        if len(self._brackets) != 1:
            raise ValueError("replaying rungs needs a single ASHA bracket")
        bracket, sign = self._brackets[0], float(self._metric_op or 1.0)
        for trial_id, epoch, metrics in records:
            value = metrics.get(self._metric) if self._metric else None
            if isinstance(value, (int, float)):
                bracket.on_result(cast(Any, _Reported(trial_id)), epoch, sign * value)

    def rungs(self) -> dict[float, dict[str, float]]:
        """Rung epoch -> {trial: signed metric} (to compare live and rebuilt rungs)."""
        return {milestone: dict(recorded) for milestone, recorded in self._brackets[0]._rungs}

    def on_trial_add(self, tune_controller: Any, trial: Any) -> None:
        super().on_trial_add(tune_controller, trial)
        old = self.renames.claim(trial) if self.renames is not None else None
        if old is None:
            return
        for bracket in self._brackets:
            for _, recorded in bracket._rungs:
                if old in recorded:
                    recorded[trial.trial_id] = recorded.pop(old)
