"""The result cache on the driver side: which curves (and final checkpoints) a study may reuse, and a Tune callback
that links reused trials to their origin and stores every COMPLETE trial it trained, with its final checkpoint's
location (see `cache_key.py` for the key)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ray.tune import Callback

from ...workers import DATASETS
from ..stores.result_cache import CachedResult, ResultCache
from ..study.designs import TrialSpec
from .cache_key import CacheView, checkpoint_reachable, code_fingerprint, data_dir_digest, data_fingerprint
from .callbacks import StoreCallback, StudyContext, trial_metrics
from .outcome import classify
from .trainable import CACHE_KEY, CACHED_FROM

CACHED_FROM_TAG, CACHED_RUN_TAG = "spikesweep.cached_from", "spikesweep.cached_run_id"
log = logging.getLogger(__name__)
MAX_GONE_LINES = 5  # cached results with a lost checkpoint named one by one in the log, then counted


def cache_view(entries: dict[str, CachedResult], data_dir: str | None, keys: Sequence[str] | None = None) -> CacheView:
    """The view trainables read: fingerprints for every dataset and the curves of `entries` (only `keys` if given)."""
    return with_curves(fingerprints(data_dir), entries, keys)


def fingerprints(data_dir: str | None) -> CacheView:
    """A view without curves: the code and data fingerprints that key a configuration."""
    digest = data_dir_digest(data_dir)
    return CacheView(code_fingerprint(), {name: data_fingerprint(name, digest) for name in DATASETS.names()})


def with_curves(view: CacheView, entries: dict[str, CachedResult], keys: Sequence[str] | None = None) -> CacheView:
    """`view` with the curves of `entries` and their final checkpoints. Given the study's `keys` (grid/ablation),
    only theirs, and only the checkpoints still reachable (the driver logs the others); without (a search, whose
    keys are sampled later), every recorded one, which the trainable checks before continuing from it."""
    if keys is None:
        curves = {k: (e.origin, e.epochs, e.history) for k, e in entries.items()}
        recorded = {k: e.checkpoint for k, e in entries.items() if e.checkpoint is not None}
        return CacheView(view.code_print, view.data_prints, curves, recorded)
    wanted = set(keys)
    curves = {k: (e.origin, e.epochs, e.history) for k, e in entries.items() if k in wanted}
    return CacheView(view.code_print, view.data_prints, curves, reachable_checkpoints(entries, wanted))


def reachable_checkpoints(entries: dict[str, CachedResult], keys: set[str]) -> dict[str, str]:
    """key -> final checkpoint of the entries of `keys` whose checkpoint still exists (the others are logged: a
    longer trial of their key trains from scratch)."""
    found: dict[str, str] = {}
    gone: list[CachedResult] = []
    for key in sorted(keys & set(entries)):
        entry = entries[key]
        if entry.checkpoint is not None and checkpoint_reachable(entry.checkpoint):
            found[key] = entry.checkpoint
        elif entry.checkpoint is not None:
            gone.append(entry)
    for entry in gone[:MAX_GONE_LINES]:
        log.warning(
            "cached %s (%d epoch(s)): its checkpoint %s is gone, a longer trial of it trains from scratch",
            entry.origin,
            entry.epochs,
            entry.checkpoint,
        )
    if len(gone) > MAX_GONE_LINES:
        more = len(gone) - MAX_GONE_LINES
        log.warning("%d more cached results lost their checkpoints: longer trials of them train from scratch", more)
    return found


def add_epoch(history: list[dict[str, Any]], metrics: dict[str, Any]) -> None:
    """Append an epoch's results to a trial's curve. A retried trial reports again from its checkpoint: the epochs
    it repeats replace the earlier ones. The per-layer table is kept for the last epoch only, the cache marks not."""
    epoch = metrics.get("epoch")
    if isinstance(epoch, int) and 0 < epoch <= len(history):
        del history[epoch - 1 :]
    if history:
        history[-1].pop("energy_layers", None)
    history.append({k: v for k, v in metrics.items() if k not in (CACHED_FROM, CACHE_KEY)})


def whole_curve(history: Sequence[dict[str, Any]]) -> bool:
    """Whether per-epoch results are a whole run (epochs 1, 2, ..., N): only such a curve may be cached."""
    return bool(history) and [m.get("epoch") for m in history] == list(range(1, len(history) + 1))


class CacheCallback(Callback):
    """After the store callback: links trials served from the cache, caches the COMPLETE ones it trained (a trial
    that continued a cached shorter one included: its longer curve replaces the shorter)."""

    def __init__(
        self, context: StudyContext, store: StoreCallback, cache: ResultCache, view: CacheView, entries: dict
    ) -> None:
        self.context, self.store, self.cache, self.view, self.entries = context, store, cache, view, entries
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.served: set[str] = set()

    def __getstate__(self) -> dict[str, Any]:
        return {}  # Tune pickles callbacks for restore: the stores are reopened by whoever resumes

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(context=None, store=None, cache=None, view=None, entries={}, history={}, served=set())

    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict, **info: Any) -> None:
        trial_id = trial.trial_id
        if CACHED_FROM not in result:
            self.served.discard(trial_id)  # trained epochs after cached ones: a continuation, cached at its end
        elif trial_id not in self.served and trial_id not in self.history:  # its first (cached) epoch
            self.served.add(trial_id)
            origin = self.entries[result[CACHE_KEY]]
            self.cache.link(self.context.name, trial_id, origin)
            run_id = self.store.runs.get(trial_id)
            if run_id is not None:
                self.context.tracker.client.set_tag(run_id, CACHED_FROM_TAG, origin.origin)
                self.context.tracker.client.set_tag(run_id, CACHED_RUN_TAG, origin.mlflow_run_id or "")
        metrics = trial_metrics(result)
        if "error" not in metrics:
            add_epoch(self.history.setdefault(trial_id, []), metrics)

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        trial_id = trial.trial_id
        history = self.history.pop(trial_id, [])
        if trial_id in self.served or not whole_curve(history):
            return  # served, or a resumed trial that saw only its last epochs: its curve is not the whole run
        spec = self.context.spec_of(trial.config)
        final = {k: v for k, v in history[-1].items() if k != "energy_layers"}
        if classify(final, spec.config["epochs"], list(self.context.objectives)).state != "COMPLETE":
            return
        self.cache.put(
            CachedResult(
                self.view.key(spec.config),
                self.context.name,
                trial_id,
                self.store.runs.get(trial_id),
                len(history),
                dict(spec.config),
                final,
                history,
                self.store.checkpoints.get(trial_id),
            )
        )

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self.history.pop(trial.trial_id, None)


def open_cache(
    context: StudyContext, store: StoreCallback, specs: Sequence[TrialSpec] | None, data_dir: str | None
) -> tuple[CacheView, CacheCallback]:
    """The view for the trainables (grid/ablation: only the study's keys) and the callback that fills the cache."""
    cache = ResultCache(context.registry)
    entries = cache.entries()
    view = fingerprints(data_dir)
    # grid/ablation: send the trainables only the curves this study can use
    keys = [view.key(spec.config) for spec in specs] if specs is not None else None
    view = with_curves(view, entries, keys)
    return view, CacheCallback(context, store, cache, view, entries)
