"""Resumed studies keep their early-stopping rungs (Ray does not checkpoint schedulers: ray#30838).

The registry keeps every epoch a trial reported, in reporting order (`ss_trial_epochs`, written by the driver's
callback with the trial's latest metrics, in the same transaction). `resume` reads it into a `RungHistory`;
before Tune starts, `restore_rungs` replays it into the fresh scheduler of the study's `scheduler.kind`, so the
rungs hold what the dead driver's rungs held. A trial continued from a checkpoint runs as a new Ray trial: the
scheduler renames its old records to the new id when Tune adds it (`on_trial_add`), so it is not judged again at
a rung it passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..stores.registry import Trial
from ..study.designs import TrialSpec, config_key
from ..study.validation import LoadedStudy

Record = tuple[str, int, dict[str, Any]]  # (Ray trial id, epoch, metrics), in reporting order
SpecOf = Callable[[dict[str, Any]], TrialSpec]


@dataclass
class RungHistory:
    """What a resumed scheduler replays: the per-epoch records, the trials that ended, their arms, and the old
    trial id of every trial that continues (by config key)."""

    records: list[Record] = field(default_factory=list)
    ended: set[str] = field(default_factory=set)
    arms: dict[str, str] = field(default_factory=dict)
    continued: dict[str, str] = field(default_factory=dict)


def history_of(records: list[Record], trials: list[Trial], continued: dict[str, Trial], ended: set[str]) -> RungHistory:
    """The history of a study from its registry rows (`ended`: ids of the trials that need no more training)."""
    return RungHistory(
        list(records),
        set(ended),
        {t.ray_trial_id: t.arm for t in trials},
        {key: trial.ray_trial_id for key, trial in continued.items()},
    )


class Renames:
    """Old trial id of each continued trial, claimed once by the new Ray trial of the same configuration."""

    def __init__(self, continued: dict[str, str], spec_of: SpecOf) -> None:
        self.continued, self.spec_of = dict(continued), spec_of

    def claim(self, trial: Any) -> str | None:
        """The old id `trial` continues, if any (each old id is handed out once)."""
        if not self.continued:
            return None
        return self.continued.pop(config_key(self.spec_of(trial.config).config), None)


def _restore_moasha(scheduler: Any, history: RungHistory, loaded: LoadedStudy, spec_of: SpecOf) -> None:
    protect = set(loaded.study.scheduler.protect)
    protected = {trial for trial, arm in history.arms.items() if arm in protect}
    scheduler.rungs.rebuild(history.records, protected)
    for trial in history.ended:
        scheduler.rungs.forget(trial)
    scheduler.renames = Renames(history.continued, spec_of)


def _restore_asha(scheduler: Any, history: RungHistory, loaded: LoadedStudy, spec_of: SpecOf) -> None:
    scheduler.replay(history.records)
    scheduler.renames = Renames(history.continued, spec_of)


RESTORERS: dict[str, Callable[[Any, RungHistory, LoadedStudy, SpecOf], None]] = {
    "asha": _restore_asha,
    "moasha": _restore_moasha,
}


def restore_rungs(scheduler: Any, history: RungHistory, loaded: LoadedStudy, spec_of: SpecOf) -> None:
    """Replay `history` into the fresh `scheduler` of the study (kinds without rungs have nothing to restore)."""
    restorer = RESTORERS.get(loaded.study.scheduler.kind)
    if restorer is not None and scheduler is not None:
        restorer(scheduler, history, loaded, spec_of)
