"""The result cache on the driver side: which curves a study may reuse, and a Tune callback that links reused
trials to their origin and stores every COMPLETE trial it trained (see `cache_key.py` for the key)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ray.tune import Callback

from ...workers import DATASETS
from ..stores.result_cache import CachedResult, ResultCache
from ..study.designs import TrialSpec
from .cache_key import CacheView, code_fingerprint, data_dir_digest, data_fingerprint
from .callbacks import StoreCallback, StudyContext, trial_metrics
from .outcome import classify
from .trainable import CACHE_KEY, CACHED_FROM

CACHED_FROM_TAG, CACHED_RUN_TAG = "spikesweep.cached_from", "spikesweep.cached_run_id"


def cache_view(entries: dict[str, CachedResult], data_dir: str | None, keys: Sequence[str] | None = None) -> CacheView:
    """The view trainables read: fingerprints for every dataset and the curves of `entries` (only `keys` if given)."""
    digest = data_dir_digest(data_dir)
    view = CacheView(code_fingerprint(), {name: data_fingerprint(name, digest) for name in DATASETS.names()})
    wanted = set(keys) if keys is not None else set(entries)
    curves = {k: (e.origin, e.epochs, e.history) for k, e in entries.items() if k in wanted}
    return CacheView(view.code_print, view.data_prints, curves)


class CacheCallback(Callback):
    """After the store callback: links trials served from the cache, caches the COMPLETE ones it trained."""

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
        if CACHED_FROM in result and trial_id not in self.served:
            self.served.add(trial_id)
            origin = self.entries[result[CACHE_KEY]]
            self.cache.link(self.context.name, trial_id, origin)
            run_id = self.store.runs.get(trial_id)
            if run_id is not None:
                self.context.tracker.client.set_tag(run_id, CACHED_FROM_TAG, origin.origin)
                self.context.tracker.client.set_tag(run_id, CACHED_RUN_TAG, origin.mlflow_run_id or "")
        metrics = trial_metrics(result)
        if "error" not in metrics:
            history = self.history.setdefault(trial_id, [])
            if history:
                history[-1].pop("energy_layers", None)  # the per-layer table of the last epoch only is kept
            history.append(metrics)

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        trial_id = trial.trial_id
        history = self.history.pop(trial_id, [])
        if trial_id in self.served or not history:
            return
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
    view = cache_view(entries, data_dir)
    if specs is not None:  # grid/ablation: send the trainables only the curves this study can use
        keys = {view.key(spec.config) for spec in specs}
        view = CacheView(view.code_print, view.data_prints, {k: c for k, c in view.curves.items() if k in keys})
    return view, CacheCallback(context, store, cache, view, entries)
