"""Multi-objective asynchronous successive halving (MOASHA) as a Ray Tune scheduler.

Stop-based like Ray's ASHA: a trial reaching a rung (epochs `grace * eta**k` below `max_t`) is recorded there with
the study's objectives at that epoch and ranked against every trial recorded at the rung (`moasha_rank`:
non-dominated fronts on rank-normalised objectives, fronts ordered by crowding distance, hypervolume contribution
or an ε-net). The top ceil(n / eta) continue, the others stop (they end PRUNED: `outcome.classify`).

Bootstrap: a rung decides nothing until `bootstrap` trials reached it. The first `bootstrap - 1` arrivals continue
provisionally; when the `bootstrap`-th arrives, the rung ranks all of them at once and every provisional trial
outside the top ceil(n / eta) stops at its next report. Trials arriving after that are judged on arrival against
everything recorded at the rung; a verdict once given is never revisited (as in ASHA).
Protected trials (e.g. the baseline arm of an ablation) are recorded and ranked but never stopped.

Ray does not checkpoint schedulers (ray#30838): `MOASHARungs.rebuild` replays (trial, epoch, metrics) records, in
the order they were reported, into fresh rungs, which then hold exactly what the live rungs held.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ray.tune.schedulers import FIFOScheduler, TrialScheduler

from ..pareto import objective_values
from .moasha_rank import kept, positions

Verdict = Literal["continue", "stop"]
RANKS = ("nsga2", "epsnet")
TIE_BREAKS = ("crowding", "hypervolume")


def milestones(grace: int, reduction_factor: float, max_t: int) -> list[int]:
    """Rung epochs grace * eta**k strictly below max_t (distinct, ascending)."""
    if grace < 1 or reduction_factor <= 1 or max_t < 1:
        raise ValueError("milestones need grace >= 1, reduction_factor > 1 and max_t >= 1")
    found: list[int] = []
    k = 0
    while (epoch := int(round(grace * reduction_factor**k))) < max_t:
        if epoch not in found:
            found.append(epoch)
        k += 1
    return found


@dataclass
class Rung:
    """One rung: its epoch, the objective vectors recorded there (in arrival order) and whether it decided."""

    epoch: int
    recorded: dict[str, list[float]] = field(default_factory=dict)
    decided: bool = False


@dataclass
class MOASHARungs:
    """The decision logic of MOASHA, without Ray: feed it results, it says continue or stop."""

    objectives: Mapping[str, str]
    epochs: Sequence[int]
    reduction_factor: float = 3.0
    bootstrap: int = 3
    rank: str = "nsga2"
    tie_break: str = "crowding"
    rungs: list[Rung] = field(init=False)
    pending_stop: set[str] = field(default_factory=set)
    stopped: set[str] = field(default_factory=set)
    finished: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.rank not in RANKS:
            raise ValueError(f"rank {self.rank!r} (allowed: {' | '.join(RANKS)})")
        if self.tie_break not in TIE_BREAKS:
            raise ValueError(f"tie_break {self.tie_break!r} (allowed: {' | '.join(TIE_BREAKS)})")
        if self.bootstrap < 1:
            raise ValueError("bootstrap must be >= 1")
        self.rungs = [Rung(epoch) for epoch in sorted(set(self.epochs))]

    def on_result(self, trial_id: str, epoch: int, metrics: Mapping[str, Any], protected: bool = False) -> Verdict:
        """Record the trial at the highest rung it reached and not yet recorded; the verdict for it."""
        if trial_id in self.pending_stop and not protected:
            return self._stop(trial_id)
        reached = [r for r in self.rungs if r.epoch <= epoch]
        values = objective_values(metrics, list(self.objectives))
        if not reached or trial_id in reached[-1].recorded or values is None:
            return "continue"  # between rungs, already judged at this rung, or no objectives (an error result)
        rung = reached[-1]
        rung.recorded[trial_id] = values
        ids = list(rung.recorded)
        if len(ids) < self.bootstrap:
            return "continue"
        directions = list(self.objectives.values())
        place = dict(zip(ids, positions(list(rung.recorded.values()), directions, self.rank, self.tie_break)))
        keep = kept(len(ids), self.reduction_factor)
        if not rung.decided:  # the bootstrap-th arrival: judge every provisional trial of the rung at once
            rung.decided = True
            judged = {t for t in ids[:-1] if place[t] >= keep}
            self.pending_stop |= judged - self.stopped - self.finished
        if place[trial_id] >= keep and not protected:
            return self._stop(trial_id)
        return "continue"

    def _stop(self, trial_id: str) -> Verdict:
        self.pending_stop.discard(trial_id)
        self.stopped.add(trial_id)
        return "stop"

    def forget(self, trial_id: str) -> None:
        """A trial ended: no pending verdict applies to it any more (its records stay in the rungs)."""
        self.pending_stop.discard(trial_id)
        self.finished.add(trial_id)

    def table(self) -> dict[int, dict[str, list[float]]]:
        """Rung epoch -> {trial: objective values} (what resume needs to compare or persist)."""
        return {rung.epoch: dict(rung.recorded) for rung in self.rungs}

    def rebuild(
        self, history: Iterable[tuple[str, int, Mapping[str, Any]]], protected: Collection[str] = ()
    ) -> MOASHARungs:
        """Replay (trial, epoch, metrics) records, in the order they were reported, into these (empty) rungs.

        Trials in `protected` are never stopped (as live); verdicts are recomputed exactly as when the results
        arrived, so a replay of a study's per-epoch records rebuilds its rung tables, decided flags and pending
        stops.
        """
        for trial_id, epoch, metrics in history:
            if trial_id not in self.stopped:
                self.on_result(trial_id, int(epoch), metrics, protected=trial_id in protected)
        return self

    def rename(self, old: str, new: str) -> None:
        """Trial `old` goes on as `new` (a resumed trial): its records keep their place in every rung, its
        verdicts stay, so it is not judged again at a rung it passed. A trial stopped but never ended stops at
        its next report."""
        for rung in self.rungs:
            if old in rung.recorded:
                rung.recorded = {new if t == old else t: v for t, v in rung.recorded.items()}
        if old in self.pending_stop or old in self.stopped:
            self.pending_stop.discard(old)
            self.stopped.discard(old)
            self.pending_stop.add(new)
        self.finished.discard(old)


def rebuild_rungs(
    history: Iterable[tuple[str, int, Mapping[str, Any]]],
    objectives: Mapping[str, str],
    epochs: Sequence[int],
    protected: Collection[str] = (),
    **options: Any,
) -> MOASHARungs:
    """Fresh `MOASHARungs(objectives, epochs, **options)` holding what the per-epoch records imply (for resume)."""
    return MOASHARungs(objectives, epochs, **options).rebuild(history, protected)


class MOASHAScheduler(FIFOScheduler):
    """Ray Tune's face of `MOASHARungs`: STOP or CONTINUE on every result; `time_attr` is the reported epoch."""

    def __init__(
        self,
        rungs: MOASHARungs,
        protect: Callable[[Any], bool] = lambda trial: False,
        time_attr: str = "epoch",
    ) -> None:
        super().__init__()
        self.rungs, self.protect, self.time_attr = rungs, protect, time_attr
        self.num_stopped = 0
        self.renames: Any = None  # rungs.Renames on a resumed study: continued trials take over their records

    def on_trial_add(self, tune_controller: Any, trial: Any) -> None:
        old = self.renames.claim(trial) if self.renames is not None else None
        if old is not None:
            self.rungs.rename(old, trial.trial_id)

    def set_search_properties(self, metric: str | None, mode: str | None, **spec: Any) -> bool:
        """The objectives come from the study; Tune's single metric/mode are not used."""
        return True

    def on_trial_result(self, tune_controller: Any, trial: Any, result: dict) -> str:
        epoch = result.get(self.time_attr)
        if not isinstance(epoch, (int, float)) or not math.isfinite(epoch):
            return TrialScheduler.CONTINUE
        verdict = self.rungs.on_result(trial.trial_id, int(epoch), result, protected=bool(self.protect(trial)))
        if verdict == "stop":
            self.num_stopped += 1
            return TrialScheduler.STOP
        return TrialScheduler.CONTINUE

    def on_trial_complete(self, tune_controller: Any, trial: Any, result: dict) -> None:
        self.rungs.forget(trial.trial_id)

    def on_trial_error(self, tune_controller: Any, trial: Any) -> None:
        self.rungs.forget(trial.trial_id)

    def on_trial_remove(self, tune_controller: Any, trial: Any) -> None:
        self.rungs.forget(trial.trial_id)

    def debug_string(self) -> str:
        sizes = ", ".join(f"{rung.epoch}:{len(rung.recorded)}" for rung in self.rungs.rungs)
        return f"Using MOASHA: num_stopped={self.num_stopped}, rungs {{{sizes}}}"
