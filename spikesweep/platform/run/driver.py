"""The driver: runs a validated study on Ray Tune and is the only writer of the registry, MLflow and Optuna."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...workers import KNOBS, prepare_dataset
from ..errors import Failure
from ..pareto import front_of
from ..stores.checks import store_uris
from ..stores.home import Home
from ..stores.optuna_store import completed_trials, open_study
from ..stores.registry import Registry
from ..stores.schema import init_stores
from ..stores.tracking import Tracker
from ..stores.uris import scrub
from ..study.designs import SearchSpace, TrialSpec, search_spec, varying_knobs
from ..study.validation import LoadedStudy
from .cache import open_cache
from .callbacks import Progress, StoreCallback, StudyContext
from .durable import Heartbeat, terminate_like_ctrl_c
from .packing import GpuPlan, PackedResources, ProbeFit
from .ray_runtime import cluster_gpus, probe_on_gpus, start_ray, stop_ray, trial_resources
from .reconcile import close_unfinished
from .resume import ResumePlan
from .schedulers import make_scheduler
from .trainable import META_KEY, train

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """How a study ended: its status, the Pareto rows and the hypervolume."""

    name: str
    status: str
    pareto: list[dict[str, Any]] = field(default_factory=list)
    hypervolume: float | None = None
    counts: dict[str, int] = field(default_factory=dict)


def prepare_data(specs: list[dict[str, Any]], home: Home, data_dir: str | None) -> None:
    """Call the data side's `prepare_dataset` once per distinct dataset configuration."""
    seen: set[str] = set()
    for config in specs:
        dataset = config["dataset"]
        key_knobs = {
            k: v
            for k, v in config.items()
            if k == "dataset" or k.startswith(f"{dataset}.") or KNOBS[k].owner in ("data", dataset)
        }
        key = repr(sorted(key_knobs.items()))
        if key not in seen:
            seen.add(key)
            prepare_dataset(config, Path(data_dir).expanduser() if data_dir else None, home.cache_dir)


def summarize(optuna_study: Any, registry: Registry, name: str, objectives: dict[str, str]) -> Outcome:
    """Pareto rows (with the registry's arm/seed/metrics) and the hypervolume of the front."""
    stored = registry.trials(name)
    trials = {t.optuna_trial_number: t for t in stored if t.optuna_trial_number is not None}
    complete, directions = completed_trials(optuna_study)
    found = front_of([t.values for t in complete], directions)
    best = [complete[i] for i in found.indices()] if found else []
    volume = found.hypervolume if found else None
    rows = []
    for frozen in sorted(best, key=lambda t: t.number):
        record = trials.get(frozen.number)
        row = {"number": frozen.number, "arm": record.arm if record else "", "seed": record.seed if record else None}
        row.update(dict(zip(objectives, frozen.values)))
        if record:
            for key in ("accuracy", "energy_mj", "firing_rate", "params"):
                row.setdefault(key, record.metrics.get(key))
        rows.append(row)
    counts = dict(Counter(trial.state for trial in stored))
    return Outcome(name, "completed", rows, volume, counts)


def _spec_lookup(loaded: LoadedStudy) -> Callable[[dict[str, Any]], TrialSpec]:
    if loaded.specs:
        return lambda config: loaded.specs[config[META_KEY]]
    return lambda config: search_spec(loaded.study, config)


def _resources(loaded: LoadedStudy, specs: list[dict[str, Any]]) -> tuple[Any, PackedResources | None]:
    """Tune's resources per trial: `resources.gpu` as a number is used as given; `auto` probes each distinct
    (model, batch, input) on a GPU and packs trials by T (`packing.py`) on GPU clusters, and asks for no GPU on
    CPU clusters. The second value, when packed, tells each trial its fraction."""
    cpu, gpu = loaded.study.resources.cpu, loaded.study.resources.gpu
    if gpu != "auto":
        return trial_resources(cpu, gpu), None
    if cluster_gpus() <= 0:
        return trial_resources(cpu, 0.0), None
    configs = specs or [search_spec(loaded.study, {}).config]
    fits = {key: ProbeFit.from_probe(probe) for key, probe in probe_on_gpus(configs).items()}
    lookup = _spec_lookup(loaded)
    packed = PackedResources(cpu, GpuPlan(fits), lambda config: lookup(config).config)
    shares = [packed.plan.fraction(config) for config in configs]
    log.info(
        "gpu: auto: %d probe(s); GPU fraction per trial %s",
        len(fits),
        ", ".join(f"{share:.3g} x{shares.count(share)}" for share in sorted(set(shares))),
    )
    return packed, packed


def _close_unfinished(context: StudyContext) -> None:
    """Trials left running by an interruption: FAIL everywhere (registry, MLflow, Optuna), reason "interrupted"."""
    close_unfinished(
        context.registry,
        context.name,
        context.tracker,
        context.optuna_study,
        context.choices,
        context.searcher is not None,
    )
    context.tracker.kill_running_children(context.experiment_id, context.parent_run_id)


def run_study(
    loaded: LoadedStudy,
    home: Home,
    address: str | None = None,
    show: Callable[[Progress], None] = lambda progress: None,
    plan: ResumePlan | None = None,
) -> Outcome:
    """Run a validated study end to end; every store write happens in this process. With `plan` (from
    `resume.plan_resume`), continue the registered study instead: only its unfinished trials run."""
    from ray import tune

    study = loaded.study
    name = study.study
    uris = store_uris(home)  # reachable: `submit` and `resume` check every store before they call this
    started_ray = start_ray(address, home.ray_token)  # on a cluster: the cluster check, before anything is written
    try:
        home.create()
        init_stores(uris)  # schemas created once, under a lock, before the study row
        registry = Registry(home.registry_uri)
    except BaseException:
        if started_ray:
            stop_ray()
        raise
    try:
        if plan is None:
            registry.create_study(name, loaded.text, loaded.sha256, loaded.resolved())
        heartbeat = Heartbeat(registry, name).start()
    except BaseException:
        registry.close()
        if started_ray:
            stop_ray()
        raise
    tracker = Tracker(home.mlflow_uri, home.artifacts)
    parent_run_id = None
    context: StudyContext | None = None
    restore_signals = terminate_like_ctrl_c()
    try:
        if plan is not None and plan.experiment_id and plan.parent_run_id:
            experiment_id, parent_run_id = plan.experiment_id, plan.parent_run_id
            tracker.reopen(parent_run_id)
        else:
            experiment_id, parent_run_id = tracker.start_study(name, study.description, loaded.resolved())
        optuna_study = open_study(home.optuna_uri, name, study.objectives)
        ray_path = str(home.ray_results / name)
        registry.mark_running(
            name,
            optuna_study_name=name,
            mlflow_experiment_id=experiment_id,
            mlflow_parent_run_id=parent_run_id,
            ray_path=ray_path,
        )
        specs = [spec.config for spec in loaded.specs]
        data_dir = study.data_dir
        prepare_data(specs or [search_spec(study, {}).config], home, data_dir)
        context = StudyContext(
            name,
            study.objectives,
            registry,
            tracker,
            experiment_id,
            parent_run_id,
            optuna_study,
            _spec_lookup(loaded),
            varying_knobs(loaded.specs),
            continued=dict(plan.continued) if plan else {},
        )
        search_alg = None
        if study.design.kind == "search":
            from .searcher import make_searcher

            context.searcher = search_alg = make_searcher(
                SearchSpace(study),
                name,
                home.optuna_uri,
                study.objectives,
                study.design.sampler,
                study.design.n_trials,
                study.seeds[0],
                [] if plan else study.design.points_to_evaluate,  # enqueued once: WAITING ones stay in Optuna
            )
            if plan is not None:
                search_alg.seen_configs.update(plan.seen)
            param_space: dict[str, Any] = {}
            num_samples = plan.remaining if plan else study.design.n_trials
            total = num_samples
        else:
            indices = plan.pending if plan else list(range(len(specs)))
            param_space = {META_KEY: tune.grid_search(indices)}
            num_samples = 1
            total = len(indices)
        progress = Progress(total=total)
        callback = StoreCallback(context, progress, show)
        callbacks: list[Any] = [callback]
        cache_view = None
        if study.cache:
            cache_view, cache_callback = open_cache(context, callback, loaded.specs or None, data_dir)
            callbacks.append(cache_callback)
        resources, packed = _resources(loaded, specs)
        trainable = tune.with_parameters(
            train,
            specs=specs or None,
            objectives=list(study.objectives),
            data_dir=data_dir,
            cache_dir=str(home.cache_dir),
            gpu_share=packed,
            cache=cache_view,
            resume_from=dict(plan.checkpoints) if plan else None,
        )
        log.info("study %s: %d trials, resources per trial %s", name, progress.total, resources)
        tuner = tune.Tuner(
            tune.with_resources(trainable, resources),
            param_space=param_space,
            tune_config=tune.TuneConfig(
                search_alg=search_alg,
                scheduler=make_scheduler(loaded, context.spec_of, plan.rungs if plan else None),
                num_samples=num_samples,
                max_concurrent_trials=study.max_concurrent,
                reuse_actors=True,
                trial_dirname_creator=lambda trial: trial.trial_id,
            ),
            run_config=tune.RunConfig(
                name=name,
                storage_path=str(home.ray_results),
                verbose=0,
                callbacks=callbacks,
                failure_config=tune.FailureConfig(max_failures=study.retries),
                checkpoint_config=tune.CheckpointConfig(num_to_keep=2),
            ),
        )
        interrupted = False
        try:
            if total > 0:
                tuner.fit()
        except KeyboardInterrupt:
            interrupted = True
        if search_alg is not None:
            search_alg.flush_failures()
        interrupted = interrupted or progress.done < progress.total
        if interrupted:
            _close_unfinished(context)
        outcome = summarize(optuna_study, registry, name, study.objectives)
        outcome.status = "interrupted" if interrupted else "completed"
        _log_summary(tracker, parent_run_id, outcome, "KILLED" if interrupted else "FINISHED")
        registry.set_status(name, outcome.status)
        return outcome
    except BaseException as error:
        if context is not None:
            try:
                _close_unfinished(context)
            except Exception as closing:  # the original error is what the user must see
                log.warning("closing the unfinished trials failed: %s", scrub(str(closing)))
        reason = scrub(f"{type(error).__name__}: {error}")  # no store password in the registry or MLflow
        registry.set_status(name, "interrupted" if isinstance(error, KeyboardInterrupt) else "failed", error=reason)
        if parent_run_id:
            tracker.end_trial(parent_run_id, "KILLED" if isinstance(error, KeyboardInterrupt) else "FAILED", reason)
        if reason != f"{type(error).__name__}: {error}" and not isinstance(error, KeyboardInterrupt):
            raise Failure(f"study {name} failed: {reason}") from None  # a traceback would show the password
        raise
    finally:
        restore_signals()
        heartbeat.stop()
        registry.close()
        if started_ray:
            stop_ray()


def _log_summary(tracker: Tracker, parent_run_id: str, outcome: Outcome, status: str) -> None:
    import pandas as pd

    metrics: dict[str, float] = {"pareto_size": len(outcome.pareto), "n_trials": sum(outcome.counts.values())}
    metrics.update({f"n_{state.lower()}": count for state, count in outcome.counts.items()})
    if outcome.hypervolume is not None and math.isfinite(outcome.hypervolume):
        metrics["hypervolume"] = outcome.hypervolume
    tables = {"pareto/front.json": pd.DataFrame(outcome.pareto)} if outcome.pareto else {}
    tracker.finish_study(parent_run_id, status, metrics, tables)
