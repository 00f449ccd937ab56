"""A longer trial continues a cached shorter one from its final checkpoint (through `run_trial`, without Ray): the
cache entry keeps where the checkpoint lies, the view offers it only while it exists, and the continued trial ends
with exactly the metrics of an uninterrupted one."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from spikesweep.platform.run.cache import add_epoch, cache_view, whole_curve
from spikesweep.platform.run.cache_key import CacheView, checkpoint_reachable
from spikesweep.platform.stores.registry import Registry
from spikesweep.platform.stores.result_cache import CachedResult, ResultCache
from spikesweep.workers import TrialEnv, resolve, run_trial

# SGD with momentum (optimiser state) and augmentation (the trial's generator decides it): all in the checkpoint
BASE = {
    "dataset": "digits",
    "backbone": "small_cnn",
    "schedule": "constant",
    "timesteps": 2,
    "optimizer": "sgd",
    "lr": 0.05,
    "batch_size": 128,
    "augment": "custom",
    "augment.crop_padding": 1,
    "augment.flip": True,
    "energy.samples": 32,
    "seed": 3,
    "checkpoint.every_epochs": 5,
}


def trained(config: dict[str, Any], root: Path, resume_from: Path | None = None) -> tuple[list[dict], Path | None]:
    """Run a trial keeping its checkpoints as Ray's storage would: (its reports, its last checkpoint's copy)."""
    reports: list[dict[str, Any]] = []
    kept: list[Path] = []

    def report_checkpoint(metrics: dict[str, Any], folder: Path) -> None:
        reports.append(metrics)
        kept.append(Path(shutil.copytree(folder, root / f"checkpoint-{metrics['epoch']}")))

    run_trial(config, reports.append, TrialEnv(report_checkpoint=report_checkpoint, resume_from=resume_from))
    return reports, (kept[-1] if kept else None)


@pytest.fixture
def registry(tmp_path):
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    yield registry
    registry.close()


def cache_short_trial(registry: Registry, config: dict[str, Any], root: Path) -> CachedResult:
    """Train `config` and store it in the result cache as the cache callback does (with its final checkpoint)."""
    reports, checkpoint = trained(config, root)
    assert checkpoint is not None
    view = cache_view({}, None)
    entry = CachedResult(
        view.key(config), "short", "t1", None, len(reports), config, reports[-1], reports, str(checkpoint)
    )
    assert ResultCache(registry).put(entry)
    return entry


def test_a_longer_trial_continues_the_cached_checkpoint_and_ends_like_an_uninterrupted_one(registry, tmp_path):
    short, long = resolve({**BASE, "epochs": 2}), resolve({**BASE, "epochs": 4})
    uninterrupted, _ = trained(long, tmp_path / "fresh")
    cached = cache_short_trial(registry, short, tmp_path / "short")

    entries = ResultCache(registry).entries()
    assert entries[cached.key].checkpoint == cached.checkpoint  # the entry row keeps the checkpoint's location
    view = cache_view(entries, None)
    assert view.lookup(long) is None  # 2 cached epochs do not serve 4 ...
    found = view.continuation(long)  # ... but start them
    assert found is not None and found.origin == "short/t1" and found.checkpoint == cached.checkpoint
    assert [m["epoch"] for m in found.history] == [1, 2]

    rest, _ = trained(long, tmp_path / "rest", resume_from=Path(found.checkpoint))
    assert [m["epoch"] for m in rest] == [3, 4]  # only the remaining epochs are trained
    assert rest[-1] == uninterrupted[-1]  # exactly the final metrics of the uninterrupted 4-epoch trial
    assert found.history + rest == uninterrupted
    assert view.continuation(short) is None and view.lookup(short) is not None  # the same budget is served


def test_under_cosine_the_budget_stays_in_the_key_and_nothing_continues(registry, tmp_path):
    short = resolve({**BASE, "schedule": "cosine", "epochs": 1})
    cache_short_trial(registry, short, tmp_path / "short")
    view = cache_view(ResultCache(registry).entries(), None)
    longer = resolve({**BASE, "schedule": "cosine", "epochs": 3})
    assert view.key(longer) != view.key(short)
    assert view.continuation(longer) is None and view.lookup(longer) is None


def test_a_lost_checkpoint_is_logged_and_the_longer_trial_trains_from_scratch(registry, tmp_path, caplog):
    short = resolve({**BASE, "epochs": 1})
    cached = cache_short_trial(registry, short, tmp_path / "short")
    assert cached.checkpoint is not None and checkpoint_reachable(cached.checkpoint)
    shutil.rmtree(cached.checkpoint)  # Ray's storage of the origin study was deleted
    assert not checkpoint_reachable(cached.checkpoint)
    entries = ResultCache(registry).entries()
    assert cache_view(entries, None).checkpoints == {cached.key: cached.checkpoint}  # a search: the trainable checks
    with caplog.at_level(logging.INFO, logger="spikesweep.platform.run.cache"):
        view = cache_view(entries, None, [cached.key])  # a grid: the driver checks its own keys
    assert view.checkpoints == {}
    assert view.continuation(resolve({**BASE, "epochs": 3})) is None
    assert f"cached short/t1 (1 epoch(s)): its checkpoint {cached.checkpoint} is gone" in caplog.text
    assert "trains from scratch" in caplog.text
    assert not checkpoint_reachable("nosuchscheme://bucket/x")  # an unknown store is not reachable either


def test_cache_ls_shows_whether_a_checkpoint_is_kept(tmp_path, monkeypatch, capsys):
    from spikesweep.platform.cli import main
    from spikesweep.platform.stores.home import get_home

    monkeypatch.setenv("SPIKESWEEP_HOME", str(tmp_path / "home"))
    for name in ("SPIKESWEEP_MLFLOW_URI", "SPIKESWEEP_OPTUNA_URI", "SPIKESWEEP_REGISTRY_URI"):
        monkeypatch.delenv(name, raising=False)
    home = get_home()
    home.create()
    kept, gone = tmp_path / "kept", tmp_path / "gone"
    kept.mkdir()
    with Registry(home.registry_uri) as registry:
        registry.create_study("short", "text", "0" * 64, {})
        store = ResultCache(registry)
        for key, path in (("k-gone", str(gone)), ("k-kept", str(kept)), ("k-none", None)):
            store.put(CachedResult(key, "short", key, None, 1, {"seed": 0}, {"accuracy": 0.5}, [], path))
        assert ResultCache(registry).entries()["k-kept"].checkpoint == str(kept)
    capsys.readouterr()
    assert main(["cache", "ls", "--json"]) == 0
    rows = {row["trial"]: row for row in json.loads(capsys.readouterr().out)}
    assert {t: (r["checkpoint"], r["checkpoint_path"]) for t, r in rows.items()} == {
        "k-gone": ("gone", str(gone)),
        "k-kept": ("kept", str(kept)),
        "k-none": ("none", None),
    }
    assert main(["cache", "ls"]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[-1] == "checkpoint"
    rows_shown = [line.split() for line in table.splitlines() if line.split() and line.split()[2].startswith("k-")]
    assert {cells[2]: cells[-1] for cells in rows_shown} == {
        "k-gone": "gone",
        "k-kept": "kept",
        "k-none": "none",
    }


def test_only_a_whole_curve_is_cached():
    """A resumed trial's callback sees only the epochs after its checkpoint: caching those as epochs 1.. would serve
    a shorter trial the wrong metrics."""
    assert whole_curve([{"epoch": 1}, {"epoch": 2}])
    assert not whole_curve([{"epoch": 3}, {"epoch": 4}])
    assert not whole_curve([])


def test_a_retried_trial_s_repeated_epochs_replace_the_earlier_ones():
    history: list[dict[str, Any]] = []
    for epoch, accuracy in ((1, 0.1), (2, 0.2), (3, 0.3), (3, 0.35), (4, 0.4)):  # retried from its epoch-2 checkpoint
        add_epoch(history, {"epoch": epoch, "accuracy": accuracy, "energy_layers": [epoch], "cached_from": "s/t"})
    assert [(m["epoch"], m["accuracy"]) for m in history] == [(1, 0.1), (2, 0.2), (3, 0.35), (4, 0.4)]
    assert [("energy_layers" in m, "cached_from" in m) for m in history] == [(False, False)] * 3 + [(True, False)]
    assert whole_curve(history)


def test_many_lost_checkpoints_are_named_five_then_counted(tmp_path, caplog):
    entries = {
        f"k{i}": CachedResult(f"k{i}", "s", f"t{i}", None, 1, {}, {}, [], str(tmp_path / f"gone{i}")) for i in range(7)
    }
    (tmp_path / "gone6").mkdir()  # one is still there
    with caplog.at_level(logging.WARNING, logger="spikesweep.platform.run.cache"):
        view = cache_view(entries, None, list(entries))
    assert view.checkpoints == {"k6": str(tmp_path / "gone6")}
    assert [r.getMessage().split(" (")[0] for r in caplog.records][:5] == [f"cached s/t{i}" for i in range(5)]
    assert caplog.records[-1].getMessage().startswith("1 more cached results lost their checkpoints")
    assert len(caplog.records) == 6


@pytest.mark.filterwarnings("ignore:`get_checkpoint` is meant to only be called inside")
def test_the_trainable_trains_from_scratch_when_the_checkpoint_vanished_after_the_driver_looked(tmp_path, caplog):
    """A search's view carries every recorded checkpoint: the trainable checks it before replaying anything."""
    from spikesweep.platform.run.trainable import continue_cached

    config = resolve({**BASE, "epochs": 3})
    view = cache_view({}, None)
    gone = str(tmp_path / "gone")
    view = CacheView(view.code_print, view.data_prints, {view.key(config): ("s/t", 1, [{"epoch": 1}])}, {})
    assert continue_cached(config, view, None) is None  # no checkpoint recorded: trains from scratch
    view.checkpoints[view.key(config)] = gone
    with caplog.at_level(logging.WARNING, logger="spikesweep.platform.run.trainable"):
        assert continue_cached(config, view, None) is None
    assert f"cached s/t: checkpoint {gone} is gone, training from scratch" in caplog.text
