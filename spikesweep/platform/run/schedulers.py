"""The trial schedulers a study file can name (`scheduler.kind`), built from the study: a registry, not an if-chain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..study.designs import TrialSpec, max_epochs
from ..study.validation import LoadedStudy
from .rungs import RungHistory, restore_rungs

SpecOf = Callable[[dict[str, Any]], TrialSpec]


def _none(loaded: LoadedStudy, spec_of: SpecOf) -> Any:
    return None


def _asha(loaded: LoadedStudy, spec_of: SpecOf) -> Any:
    """Ray's ASHA on validation accuracy alone (for accuracy-only studies)."""
    from .asha import ResumableASHAScheduler

    scheduler = loaded.study.scheduler
    return ResumableASHAScheduler(
        time_attr="epoch",
        metric="accuracy",
        mode="max",
        max_t=max_epochs(loaded.study, loaded.specs),
        grace_period=scheduler.grace_epochs,
        reduction_factor=scheduler.reduction_factor,
    )


def _moasha(loaded: LoadedStudy, spec_of: SpecOf) -> Any:
    """Multi-objective ASHA over the study's objectives; trials of the `protect` arms are never stopped."""
    from .moasha import MOASHARungs, MOASHAScheduler, milestones

    study, options = loaded.study, loaded.study.scheduler
    rungs = MOASHARungs(
        study.objectives,
        milestones(options.grace_epochs, options.reduction_factor, max_epochs(study, loaded.specs)),
        reduction_factor=options.reduction_factor,
        bootstrap=options.bootstrap,
        rank=options.rank,
        tie_break=options.tie_break,
    )
    protected = set(options.protect)
    return MOASHAScheduler(rungs, lambda trial: bool(protected) and spec_of(trial.config).arm in protected)


SCHEDULERS: dict[str, Callable[[LoadedStudy, SpecOf], Any]] = {"none": _none, "asha": _asha, "moasha": _moasha}


def make_scheduler(loaded: LoadedStudy, spec_of: SpecOf, history: RungHistory | None = None) -> Any:
    """The Tune scheduler of a study (None: run every trial to its last epoch); on resume, its rungs refilled
    from the study's per-epoch `history`."""
    scheduler = SCHEDULERS[loaded.study.scheduler.kind](loaded, spec_of)
    if history is not None:
        restore_rungs(scheduler, history, loaded, spec_of)
    return scheduler
