"""The Ray Tune trainable: runs `run_trial` with `tune.report` as its report callback.

Imports Ray and the trial code only (no MLflow, Optuna or SQLAlchemy): everything it learns goes to Ray as
results and the driver writes the stores. An exception inside the trial is reported as a last result carrying
`error` (objectives NaN), so the driver records the trial FAIL with its reason and the actor can be reused.
"""

from __future__ import annotations

import logging
import math
import os
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ...workers import TrialEnv, resolve, run_trial
from ..study.designs import config_key
from .cache_key import CacheView, checkpoint_reachable

META_KEY = "index"
NODE_KEY = "ray_node_id"
CACHED_FROM, CACHE_KEY = "cached_from", "cache_key"  # result keys of a trial served from the result cache
log = logging.getLogger(__name__)


def error_text(error: BaseException) -> str:
    """One line naming the exception, plus where it happened for exceptions without a message."""
    text = f"{type(error).__name__}: {error}".strip()
    if text.endswith(":"):
        frames = traceback.extract_tb(error.__traceback__)
        text += f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return text


def oom_text(config: Mapping[str, Any], fraction: float | None) -> str:
    """The reason of a trial that ran out of GPU memory, in the knobs' words."""
    share = f"{fraction:.3g} GPU" if fraction else "the GPU memory free to it"
    batch, steps = config.get("batch_size"), config.get("timesteps")
    return f"out of memory: batch_size {batch} at T={steps} needs more than {share}"


@contextmanager
def checkpoint_folder(
    config_text: str, resume_from: Mapping[str, str] | None, cached: str | None = None
) -> Iterator[Path | None]:
    """The checkpoint a trial continues from: Tune's own (a retried trial), else the one the stores recorded for
    this configuration when its study was interrupted (`resume`), else `cached` (the final checkpoint of a shorter
    cached trial of the same key), else none."""
    from ray import tune

    checkpoint = tune.get_checkpoint()
    if checkpoint is None and resume_from and config_text in resume_from:
        checkpoint = tune.Checkpoint(resume_from[config_text])
    if checkpoint is None and cached is not None:
        checkpoint = tune.Checkpoint(cached)
    if checkpoint is None:
        yield None
        return
    with checkpoint.as_directory() as folder:
        yield Path(folder)


def trial_config(config: dict[str, Any], specs: Sequence[dict[str, Any]] | None) -> dict[str, Any]:
    """The full configuration of a trial: a grid/ablation spec by index, or the sampled search knobs."""
    if specs is not None and META_KEY in config:
        return dict(specs[config[META_KEY]])
    return resolve(config)


def train(
    config: dict[str, Any],
    specs: Sequence[dict[str, Any]] | None = None,
    objectives: Sequence[str] = ("accuracy", "energy_mj"),
    data_dir: str | None = None,
    cache_dir: str | None = None,
    gpu_share: Callable[[dict[str, Any]], float] | None = None,
    cache: CacheView | None = None,
    resume_from: Mapping[str, str] | None = None,
) -> None:
    """Function trainable for Tune (wrapped with `tune.with_parameters` by the driver).

    `gpu_share` (under `resources.gpu: auto`) gives the trial's GPU fraction, which the trial enforces on itself.
    A configuration with a COMPLETE result in `cache` is not trained: its cached epochs are reported instead, each
    carrying `CACHED_FROM` (the origin trial). One with a shorter COMPLETE result whose final checkpoint is still
    reachable reports those cached epochs the same way and trains only the rest from that checkpoint. Checkpoints
    go to Tune with the epoch's report; `resume_from` maps a configuration (`config_key`) to the checkpoint its
    interrupted trial left (a resumed study).
    """
    import ray
    from ray import tune

    last_epoch = 0
    node = ray.get_runtime_context().get_node_id()  # the driver records where each trial ran

    def report(metrics: dict[str, Any]) -> None:
        nonlocal last_epoch
        last_epoch = int(metrics.get("epoch", last_epoch))
        tune.report({**metrics, NODE_KEY: node})

    cache_dir = os.environ.get("SPIKESWEEP_CACHE_DIR") or cache_dir  # a node's own frame cache, if it names one
    hit = cache.lookup(trial_config(config, specs)) if cache is not None else None
    if hit is not None:
        for metrics in hit[2]:
            tune.report({**metrics, CACHED_FROM: hit[1], CACHE_KEY: hit[0]})
        return

    def report_checkpoint(metrics: dict[str, Any], folder: Path) -> None:
        nonlocal last_epoch
        last_epoch = int(metrics.get("epoch", last_epoch))
        tune.report({**metrics, NODE_KEY: node}, checkpoint=tune.Checkpoint.from_directory(str(folder)))

    fraction = gpu_share(config) if gpu_share is not None else None
    full: dict[str, Any] = {}
    try:
        full = trial_config(config, specs)
        cached = continue_cached(full, cache, resume_from) if cache is not None else None
        if cached is not None:
            last_epoch = len(cached[1])
        with checkpoint_folder(config_key(full), resume_from, cached[0] if cached else None) as folder:
            env = TrialEnv(
                Path(data_dir) if data_dir else None,
                Path(cache_dir) if cache_dir else None,
                gpu_fraction=fraction or None,
                report_checkpoint=report_checkpoint,
                resume_from=folder,
            )
            run_trial(full, report, env)
    except Exception as error:
        failed = {name: math.nan for name in objectives}
        text = oom_text(full, fraction) if type(error).__name__ == "OutOfMemoryError" else error_text(error)
        tune.report({**failed, "accuracy": math.nan, "epoch": last_epoch, "error": text, NODE_KEY: node})


def continue_cached(
    config: dict[str, Any], cache: CacheView, resume_from: Mapping[str, str] | None
) -> tuple[str, list[dict[str, Any]]] | None:
    """For a trial that may continue a shorter cached one: report the cached epochs (marked `CACHED_FROM`) and
    return (its final checkpoint, those epochs). None, reporting nothing, when the trial has a checkpoint of its own
    (a retried or resumed trial: it replayed them already) or no cached start, or the checkpoint is gone."""
    from ray import tune

    if tune.get_checkpoint() is not None or (resume_from and config_key(config) in resume_from):
        return None
    found = cache.continuation(config)
    if found is None:
        return None
    if not checkpoint_reachable(found.checkpoint):
        log.warning("cached %s: checkpoint %s is gone, training from scratch", found.origin, found.checkpoint)
        return None
    for metrics in found.history:
        tune.report({**metrics, CACHED_FROM: found.origin, CACHE_KEY: found.key})
    return found.checkpoint, found.history
