"""The result cache's key (what is in it, what is not) and its store in a real SQLite registry."""

from __future__ import annotations

import json

import pytest

from spikesweep.platform.run.cache_key import CacheView, data_dir_digest, data_fingerprint, serves, trial_key
from spikesweep.platform.stores.registry import Registry
from spikesweep.platform.stores.result_cache import CachedResult, ResultCache
from spikesweep.workers import resolve

DATA, CODE = data_fingerprint("digits", ""), "code-a"


def key(**knobs) -> str:
    return trial_key(resolve({"dataset": "digits", "backbone": "small_cnn", **knobs}), DATA, CODE)


def test_key_is_by_value_and_drops_unused_knobs_and_the_budget():
    assert key(lr=1) == key(lr=1.0)
    assert key(lr=0.05) != key(lr=0.06)
    assert key(epochs=3, schedule="constant") == key(epochs=30, schedule="constant")  # the budget is not in the key
    assert key(epochs=3) != key(epochs=30)  # ... unless the (cosine) learning rate depends on it
    assert key(attention="none", **{"fsta.dct_kernel": 3}) == key(attention="none", **{"fsta.dct_kernel": 5})
    assert key(attention="fsta", **{"fsta.dct_kernel": 3}) != key(attention="fsta", **{"fsta.dct_kernel": 5})
    assert key(seed=0) != key(seed=1)
    config = resolve({"dataset": "digits", "backbone": "small_cnn"})
    assert trial_key(config, DATA, "code-b") != trial_key(config, DATA, CODE)  # trial code changed
    assert trial_key(config, data_fingerprint("digits", "x"), CODE) != trial_key(config, DATA, CODE)


def test_data_dir_digest_follows_the_files(tmp_path):
    assert data_dir_digest(None) == ""
    (tmp_path / "a.bin").write_bytes(b"12")
    first = data_dir_digest(str(tmp_path))
    (tmp_path / "a.bin").write_bytes(b"123")
    assert data_dir_digest(str(tmp_path)) != first


def test_a_curve_serves_equal_budgets_and_shorter_constant_schedules():
    assert serves(3, {"epochs": 3, "schedule": "cosine"})
    assert not serves(5, {"epochs": 3, "schedule": "cosine"})  # cosine over 5 epochs is another curve
    assert serves(5, {"epochs": 3, "schedule": "constant"})
    assert not serves(3, {"epochs": 5, "schedule": "constant"})  # a longer trial is trained


def test_view_lookup_cuts_the_curve_to_the_trial_budget():
    config = resolve({"dataset": "digits", "backbone": "small_cnn", "schedule": "constant", "epochs": 2})
    view = CacheView(CODE, {"digits": DATA})
    history = [{"epoch": e, "accuracy": 0.1 * e} for e in (1, 2, 3)]
    view = CacheView(CODE, {"digits": DATA}, {view.key(config): ("s/t1", 3, history)})
    found = view.lookup(config)
    assert found is not None and found[1] == "s/t1" and [m["epoch"] for m in found[2]] == [1, 2]
    assert view.lookup({**config, "seed": 7}) is None


@pytest.fixture
def registry(tmp_path):
    registry = Registry(f"sqlite:///{tmp_path / 'registry.db'}")
    yield registry
    registry.close()


def result(key: str, study: str, epochs: int) -> CachedResult:
    history = [{"epoch": e, "accuracy": 0.5 + e / 100, "energy_mj": 1e-3} for e in range(1, epochs + 1)]
    return CachedResult(key, study, f"{study}-t", "run", epochs, {"seed": 0}, history[-1], history)


def test_store_keeps_the_longest_curve_links_and_clears(registry):
    cache = ResultCache(registry)
    assert cache.put(result("k1", "a", 3))
    assert not cache.put(result("k1", "b", 2))  # a shorter curve never replaces a longer one
    assert cache.put(result("k1", "c", 5))
    assert cache.put(result("k2", "a", 1))
    entries = cache.entries()
    assert {k: (e.study, e.epochs) for k, e in entries.items()} == {"k1": ("c", 5), "k2": ("a", 1)}
    assert entries["k1"].history[-1]["accuracy"] == pytest.approx(0.55)
    cache.link("d", "trial-9", entries["k1"])
    assert cache.links("d") == {"trial-9": "c/c-t"} and cache.links("a") == {}
    assert cache.clear("a") == 1 and set(cache.entries()) == {"k1"}
    assert cache.clear() == 1 and cache.entries() == {}
    assert cache.links("d") == {"trial-9": "c/c-t"}  # the history of reuses stays


def test_cache_commands_list_and_clear(tmp_path, monkeypatch, capsys):
    from spikesweep.platform.cli import main
    from spikesweep.platform.stores.home import get_home

    monkeypatch.setenv("SPIKESWEEP_HOME", str(tmp_path / "home"))
    for name in ("SPIKESWEEP_MLFLOW_URI", "SPIKESWEEP_OPTUNA_URI", "SPIKESWEEP_REGISTRY_URI"):
        monkeypatch.delenv(name, raising=False)
    assert main(["cache", "ls"]) == 0
    assert "the result cache is empty" in capsys.readouterr().out
    home = get_home()
    home.create()
    with Registry(home.registry_uri) as registry:
        registry.create_study("a", "text", "0" * 64, {})
        ResultCache(registry).put(result("k1", "a", 2))
    assert main(["cache", "ls", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["study"], r["trial"], r["epochs"], r["accuracy"]) for r in rows] == [("a", "a-t", 2, 0.52)]
    assert main(["cache", "clear", "--study", "nope"]) == 2
    assert "--study: no study 'nope'" in capsys.readouterr().err
    assert main(["cache", "clear"]) == 0
    assert "dropped 1 cached result(s)" in capsys.readouterr().out


def test_the_checkpoint_interval_is_not_in_the_key():
    """How often a trial saves its state changes nothing it learns or measures: one key."""
    from spikesweep.platform.run.cache_key import trial_key
    from spikesweep.workers import resolve

    every_epoch = resolve({"dataset": "digits", "backbone": "small_cnn", "checkpoint.every_epochs": 1})
    every_fifth = resolve({"dataset": "digits", "backbone": "small_cnn", "checkpoint.every_epochs": 5})
    other_seed = resolve({"dataset": "digits", "backbone": "small_cnn", "seed": 7})
    assert trial_key(every_epoch, "d", "c") == trial_key(every_fifth, "d", "c")
    assert trial_key(every_epoch, "d", "c") != trial_key(other_seed, "d", "c")
