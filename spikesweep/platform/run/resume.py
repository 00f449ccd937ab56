"""`resume`: what a study interrupted, failed or left by a dead driver still has to run, read from the stores.

The registry is the source of truth (Ray's experiment folder is never read): trials that ended COMPLETE, PRUNED
or FAIL by their own error are done; trials closed as `interrupted` run again from the checkpoint the registry
recorded for them, in their own registry row and MLflow run. Before planning, whatever a dead driver left RUNNING
is closed in every store (`reconcile.close_unfinished`), so a resume that dies itself leaves the stores clean too.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import UserError
from ..stores.heartbeat import UNFINISHED, ago, driver_seen
from ..stores.home import Home
from ..stores.optuna_store import open_study, requeue_interrupted
from ..stores.registry import INTERRUPTED, Registry, Study, Trial
from ..stores.tracking import Tracker
from ..study.designs import config_key, varying_knobs
from ..study.validation import LoadedStudy, load_study
from .reconcile import close_unfinished
from .rungs import RungHistory, history_of


@dataclass
class ResumePlan:
    """What a resumed run of a registered study does."""

    experiment_id: str | None
    parent_run_id: str | None
    pending: list[int] = field(default_factory=list)  # grid/ablation: indices of the specs still to run
    remaining: int = 0  # search: trials still to run (n_trials minus those finished)
    continued: dict[str, Trial] = field(default_factory=dict)  # config key -> interrupted trial to continue
    checkpoints: dict[str, str] = field(default_factory=dict)  # config key -> its last checkpoint
    seen: dict[str, int] = field(default_factory=dict)  # search: config key -> Optuna number of finished trials
    rungs: RungHistory = field(default_factory=RungHistory)  # what the scheduler's rungs held (`rungs.py`)


def done(trial: Trial) -> bool:
    """Whether a trial needs no more training: COMPLETE, PRUNED, or FAIL for a reason of its own."""
    return trial.state in ("COMPLETE", "PRUNED") or (trial.state == "FAIL" and trial.error != INTERRUPTED)


def plan_resume(home: Home, name: str, file: str | None = None, force: bool = False) -> tuple[LoadedStudy, ResumePlan]:
    """Check that `name` can be resumed, close what its last driver left running and plan the rest.

    Raises UserError when it cannot: unknown, completed, its driver still alive, or `file` differs from the
    submitted study file without `force`.
    """
    if not home.registry_exists():
        raise UserError(f"{name}: no such study in {home.root} (allowed: see `spikesweep list`)")
    with Registry(home.registry_uri) as registry:
        study = registry.get_study(name)
        if study is None:
            raise UserError(f"{name}: no such study in {home.root} (allowed: see `spikesweep list`)")
        _check_resumable(study)
        loaded = _load(study, file, force)
        if loaded.sha256 != study.file_sha256:  # a changed file, forced: later resumes run it too
            registry.replace_file(name, loaded.text, loaded.sha256, loaded.resolved())
        tracker = Tracker(home.mlflow_uri, home.artifacts)
        optuna_study = open_study(home.optuna_uri, name, loaded.study.objectives)
        searched = loaded.study.design.kind == "search"
        close_unfinished(registry, name, tracker, optuna_study, varying_knobs(loaded.specs), searched)
        if study.mlflow_experiment_id and study.mlflow_parent_run_id:
            tracker.kill_running_children(study.mlflow_experiment_id, study.mlflow_parent_run_id)
            if tracker.client.get_run(study.mlflow_parent_run_id).info.status == "RUNNING":
                tracker.end_trial(study.mlflow_parent_run_id, "KILLED", "the driver died")
        if study.status in UNFINISHED:
            registry.set_status(name, "interrupted", error="the driver died")
        if searched:
            requeue_interrupted(optuna_study)
        trials = registry.trials(name)
        records = registry.epoch_history(name)
    plan = _plan(study, loaded, trials)
    plan.rungs = history_of(records, trials, plan.continued, {t.ray_trial_id for t in trials if done(t)})
    return loaded, plan


def _check_resumable(study: Study) -> None:
    if study.status == "completed":
        raise UserError(f"{study.name}: the study is completed (allowed: a study interrupted, failed or left running)")
    seen = driver_seen(study)
    if study.status in UNFINISHED and seen.alive:
        where = f" (pid {study.driver_pid} on {study.driver_host})" if study.driver_pid else ""
        raise UserError(
            f"{study.name}: the study is {study.status} and its driver{where} was seen {ago(seen.seen_s)} ago "
            f"(allowed: resume once it is interrupted or its driver is gone)"
        )


def _load(study: Study, file: str | None, force: bool) -> LoadedStudy:
    """The study as submitted (its stored, resolved file), or `file` when given and unchanged or `force`d."""
    if file is not None:
        loaded = load_study(file)
        if loaded.sha256 != study.file_sha256 and not force:
            raise UserError(
                f"{file}: the study file changed since {study.name} was submitted (sha256 {loaded.sha256[:12]} "
                f"vs {study.file_sha256[:12]}) (allowed: the submitted file, or --force to run the new one's "
                "unfinished trials)"
            )
        loaded.study.study = study.name
        return loaded
    with tempfile.TemporaryDirectory(prefix="spikesweep-resume-") as folder:
        path = Path(folder) / f"{study.name}.yaml"
        path.write_text(yaml.safe_dump(study.resolved, sort_keys=False))
        loaded = load_study(str(path))
    loaded.text, loaded.sha256 = study.file_text, study.file_sha256
    return loaded


def _plan(study: Study, loaded: LoadedStudy, trials: list[Trial]) -> ResumePlan:
    finished = [t for t in trials if done(t)]
    finished_keys = {config_key(t.config) for t in finished}
    plan = ResumePlan(study.mlflow_experiment_id, study.mlflow_parent_run_id)
    for trial in trials:
        if trial.state == "FAIL" and trial.error == INTERRUPTED:
            key = config_key(trial.config)
            if key in finished_keys:
                continue
            plan.continued[key] = trial
            if trial.checkpoint_path:
                plan.checkpoints[key] = trial.checkpoint_path
    if loaded.study.design.kind == "search":
        n_trials: int = getattr(loaded.study.design, "n_trials", 0)
        plan.remaining = max(0, n_trials - len(finished))
        plan.seen = {config_key(t.config): t.optuna_trial_number for t in finished if t.optuna_trial_number is not None}
    else:
        plan.pending = [i for i, spec in enumerate(loaded.specs) if config_key(spec.config) not in finished_keys]
    return plan


def describe(plan: ResumePlan, loaded: LoadedStudy) -> str:
    """One line: how much of the study is left and how much continues from a checkpoint."""
    count = plan.remaining if loaded.study.design.kind == "search" else len(plan.pending)
    return f"{count} trial(s) to run, {len(plan.continued)} continued ({len(plan.checkpoints)} from a checkpoint)"
