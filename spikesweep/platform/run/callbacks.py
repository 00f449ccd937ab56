"""The driver's Tune callback: every store write for a trial happens here, in the driver process."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optuna.trial import TrialState
from ray.tune import Callback
from ray.tune.result import AUTO_RESULT_KEYS

from ..pareto import non_dominated_mask, objective_values
from ..stores.optuna_store import FAIL_REASON, add_finished_trial, optuna_number
from ..stores.registry import Registry, Trial
from ..stores.tracking import NODE_TAG, Tracker, short_run_name
from ..study.designs import SEARCH_ARM, TrialSpec, config_key
from .outcome import TrialOutcome, classify
from .trainable import NODE_KEY

log = logging.getLogger(__name__)
TUNE_KEYS = set(AUTO_RESULT_KEYS) | {
    "done",
    "trial_id",
    "experiment_tag",
    "should_checkpoint",
    "checkpoint_dir_name",
    "date",
    "hostname",
    "node_ip",
    "pid",
    "timestamp",
    NODE_KEY,
    "cached_from",  # a trial served from the result cache: `cache.py` links it, the stores keep the metrics only
    "cache_key",
}
MLFLOW_STATUS = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}


def trial_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """What the trial reported, without Tune's own bookkeeping keys."""
    return {k: v for k, v in result.items() if k not in TUNE_KEYS}


def error_from_file(trial: Any) -> str:
    """The last line of the traceback Tune saved for a trial that died outside run_trial."""
    path = getattr(trial, "error_file", None)
    try:
        lines = [line for line in Path(path).read_text().splitlines() if line.strip()] if path else []
    except OSError:
        lines = []
    return lines[-1].strip() if lines else "the trial process failed"


@dataclass
class StudyContext:
    """What the callback needs to know about the study being run."""

    name: str
    objectives: dict[str, str]
    registry: Registry
    tracker: Tracker
    experiment_id: str
    parent_run_id: str
    optuna_study: Any
    spec_of: Callable[[Any], TrialSpec]
    choices: dict[str, list[Any]] = field(default_factory=dict)
    searcher: Any = None
    continued: dict[str, Trial] = field(default_factory=dict)  # resume: config key -> its interrupted trial


@dataclass
class Progress:
    """What the terminal shows while a study runs: counts, best accuracy, front size, elapsed time and an ETA
    from the measured epoch times."""

    total: int
    done: int = 0
    running: int = 0
    failed: int = 0
    pruned: int = 0
    best_accuracy: float | None = None
    front: list[list[float]] = field(default_factory=list)
    started_at: float = field(default_factory=time.monotonic)
    started: int = 0  # trials started so far
    epochs_done: int = 0
    epoch_seconds: float = 0.0  # summed wall time of the epochs done, each measured inside its trial
    epochs_planned: int = 0  # summed `epochs` of the trials started
    epochs_left: dict[str, int] = field(default_factory=dict)  # running trial -> epochs it has still to run
    most_running: int = 0  # the most trials seen running at once (the parallelism the ETA divides by)

    def elapsed(self) -> float:
        """Seconds since the study started."""
        return time.monotonic() - self.started_at

    def eta(self) -> float | None:
        """Seconds left: the epochs still to run (trials not started yet count the mean planned epochs) times
        the mean measured epoch time, divided by the trials that run at once; None before the first epoch."""
        if not self.epochs_done or not self.started:
            return None
        per_epoch = self.epoch_seconds / self.epochs_done
        waiting = max(0, self.total - self.started) * self.epochs_planned / self.started
        left = sum(self.epochs_left.values()) + waiting
        return left * per_epoch / max(1, self.most_running)

    def trial_started(self, trial_id: str, epochs: int) -> None:
        """A trial began: it plans `epochs` epochs."""
        self.started += 1
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        self.epochs_planned += epochs
        self.epochs_left[trial_id] = epochs

    def epoch_done(self, trial_id: str, seconds: float | None) -> None:
        """A trial reported one epoch that took `seconds` (Tune's `time_this_iter_s`)."""
        if trial_id in self.epochs_left:
            self.epochs_left[trial_id] = max(0, self.epochs_left[trial_id] - 1)
        if seconds is not None and seconds >= 0:
            self.epochs_done += 1
            self.epoch_seconds += seconds


class StoreCallback(Callback):
    """Writes MLflow child runs, registry rows and (grid/ablation) Optuna trials as Tune reports them."""

    def __init__(self, context: StudyContext, progress: Progress, show: Callable[[Progress], None]) -> None:
        self.context, self.progress, self.show = context, progress, show
        self.runs: dict[str, str] = {}
        self.specs: dict[str, TrialSpec] = {}
        self.finished: set[str] = set()
        self.nodes: set[str] = set()
        self.started_at: dict[str, dt.datetime] = {}  # Optuna's start time of grid/ablation trials
        self.checkpoints: dict[str, str] = {}

    def __getstate__(self) -> dict[str, Any]:
        # Tune pickles its run config for restore; callbacks must be stateless there (stores are reopened).
        return {"runs": self.runs, "finished": self.finished}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(
            state, context=None, progress=None, show=None, specs={}, nodes=set(), started_at={}, checkpoints={}
        )

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        if trial.trial_id in self.runs:
            return
        context = self.context
        spec = context.spec_of(trial.config)
        self.specs[trial.trial_id] = spec
        if self._continue(trial.trial_id, spec):
            return
        run_id = context.tracker.start_trial(
            context.experiment_id,
            context.parent_run_id,
            context.name,
            short_run_name("" if spec.arm == SEARCH_ARM else spec.arm, spec.changed, spec.seed),
            spec.config,
            spec.arm,
            spec.seed,
            trial.trial_id,
        )
        self.runs[trial.trial_id] = run_id
        self.started_at[trial.trial_id] = dt.datetime.now()
        number = None
        if context.searcher is not None:
            number = optuna_number(context.searcher, trial.trial_id)
            context.searcher.annotate(trial.trial_id, self._user_attrs(trial.trial_id, spec))
        context.registry.start_trial(
            context.name,
            trial.trial_id,
            arm=spec.arm,
            seed=spec.seed,
            changed=spec.changed,
            config=spec.config,
            mlflow_run_id=run_id,
            optuna_trial_number=number,
        )
        log.debug("trial %s started: arm %r seed %s, MLflow run %s", trial.trial_id, spec.arm, spec.seed, run_id)
        self.progress.trial_started(trial.trial_id, int(spec.config["epochs"]))
        self.show(self.progress)

    def _continue(self, trial_id: str, spec: TrialSpec) -> bool:
        """A resumed study's trial that continues an interrupted one: its registry row and MLflow run go on."""
        context = self.context
        previous = context.continued.pop(config_key(spec.config), None)
        if previous is None:
            return False
        number = optuna_number(context.searcher, trial_id) if context.searcher is not None else None
        context.registry.restart_trial(context.name, previous.ray_trial_id, trial_id, optuna_trial_number=number)
        if previous.mlflow_run_id:
            context.tracker.reopen(previous.mlflow_run_id)
        self.runs[trial_id] = previous.mlflow_run_id or ""
        if previous.checkpoint_path:
            self.checkpoints[trial_id] = previous.checkpoint_path
        log.info("trial %s continues interrupted trial %s", trial_id, previous.ray_trial_id)
        self.progress.trial_started(trial_id, int(spec.config["epochs"]))
        self.show(self.progress)
        return True

    def on_checkpoint(self, iteration: int, trials: list, trial: Any, checkpoint: Any, **info: Any) -> None:
        if trial.trial_id not in self.runs or trial.trial_id in self.finished:
            return
        epoch = int((trial.last_result or {}).get("epoch", 0))
        self.checkpoints[trial.trial_id] = str(checkpoint.path)
        self.context.registry.record_checkpoint(self.context.name, trial.trial_id, str(checkpoint.path), epoch)

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        if trial.trial_id in self.runs and trial.trial_id not in self.finished:
            attempts = self.context.registry.count_attempt(self.context.name, trial.trial_id).attempts
            log.warning("trial %s lost its worker: attempt %d from its last checkpoint", trial.trial_id, attempts)

    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
        run_id = self.runs.get(trial.trial_id)
        self._record_node(trial.trial_id, run_id, result.get(NODE_KEY))
        metrics = trial_metrics(result)
        if run_id is None or "error" in metrics:
            return
        self.context.tracker.log_result(run_id, metrics)
        self.context.registry.record_epoch(
            self.context.name, trial.trial_id, {k: v for k, v in metrics.items() if k != "energy_layers"}
        )
        self.progress.epoch_done(trial.trial_id, result.get("time_this_iter_s"))
        self.show(self.progress)

    def _record_node(self, trial_id: str, run_id: str | None, node: str | None) -> None:
        """The Ray node of a trial, once: registry column and MLflow tag `spikesweep.node`."""
        if run_id is None or not node or trial_id in self.nodes:
            return
        self.nodes.add(trial_id)
        self.context.registry.set_trial_node(self.context.name, trial_id, node)
        self.context.tracker.client.set_tag(run_id, NODE_TAG, node)

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._finish(trial, None)

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        reason = error_from_file(trial)
        if self.context.searcher is not None:
            self.context.searcher.record_failure(trial.trial_id, reason)
        self._finish(trial, reason)

    def _finish(self, trial: Any, error: str | None) -> None:
        trial_id = trial.trial_id
        if trial_id in self.finished or trial_id not in self.runs:
            return
        self.finished.add(trial_id)
        context, spec = self.context, self.specs[trial_id]
        metrics = {k: v for k, v in trial_metrics(trial.last_result or {}).items() if k != "energy_layers"}
        outcome = classify(metrics, spec.config["epochs"], list(context.objectives), error)
        state, reason = outcome.state, outcome.reason
        number = self._tell_optuna(trial_id, spec, outcome, metrics)
        if state == "COMPLETE" and trial_id in self.checkpoints:
            context.tracker.log_weights(self.runs[trial_id], self.checkpoints[trial_id])
        context.tracker.end_trial(self.runs[trial_id], MLFLOW_STATUS[state], reason)
        kept = {k: v for k, v in metrics.items() if k != "error"}
        context.registry.finish_trial(
            context.name, trial_id, state, metrics=kept, error=reason, optuna_trial_number=number
        )
        log.info("trial %s ended %s%s", trial_id, state, f" ({reason})" if reason else "")
        self.progress.epochs_left.pop(trial_id, None)
        self._count(state, kept)

    def _tell_optuna(
        self, trial_id: str, spec: TrialSpec, outcome: TrialOutcome, metrics: dict[str, Any]
    ) -> int | None:
        context = self.context
        if context.searcher is not None:  # the searcher tells Optuna itself (MO-aware subclass)
            return optuna_number(context.searcher, trial_id)
        state = outcome.state
        values = objective_values(metrics, list(context.objectives)) if state == "COMPLETE" else None
        attrs = self._user_attrs(trial_id, spec)
        if outcome.reason:
            attrs[FAIL_REASON] = outcome.reason
        if outcome.stopped_at_epoch is not None:
            attrs["stopped_at_epoch"] = outcome.stopped_at_epoch
        # knobs only: the seed is a user attribute (as a param it would show in Optuna's importance)
        params = {name: spec.config[name] for name in context.choices if name != "seed"}
        return add_finished_trial(
            context.optuna_study,
            TrialState[state],
            values,
            params,
            context.choices,
            attrs,
            started=self.started_at.get(trial_id),
            completed=dt.datetime.now(),
        )

    def _user_attrs(self, trial_id: str, spec: TrialSpec) -> dict[str, Any]:
        """What every Optuna trial carries besides its knobs: arm, seed, and where to find it in Ray and MLflow."""
        return {"arm": spec.arm, "seed": spec.seed, "ray_trial_id": trial_id, "mlflow_run_id": self.runs[trial_id]}

    def _count(self, state: str, metrics: dict[str, Any]) -> None:
        progress = self.progress
        progress.running = max(0, progress.running - 1)
        progress.done += 1
        if state == "FAIL":
            progress.failed += 1
        elif state == "PRUNED":
            progress.pruned += 1
        else:
            accuracy = metrics.get("accuracy")
            if accuracy is not None and (progress.best_accuracy is None or accuracy > progress.best_accuracy):
                progress.best_accuracy = float(accuracy)
            values = objective_values(metrics, list(self.context.objectives))
            if values is not None:
                points = [*progress.front, values]
                mask = non_dominated_mask(points, list(self.context.objectives.values()))
                progress.front = [p for p, on in zip(points, mask) if on]
        self.show(progress)
