"""The MO searcher: define-by-run sampling through OptunaSearch, duplicates skipped, PRUNED/FAIL/COMPLETE told."""

from __future__ import annotations

from spikesweep.platform.run.searcher import make_searcher
from spikesweep.platform.stores.optuna_store import load_study
from spikesweep.platform.study.designs import SearchSpace
from spikesweep.platform.study.file_model import StudyFile

OBJECTIVES = {"accuracy": "max", "energy_mj": "min"}


def searcher_for(tmp_path, space: dict, n_trials: int = 8, seeds: list[int] | None = None):
    study = StudyFile.model_validate(
        {
            "study": "s",
            "base": {"epochs": 3},
            "design": {"kind": "search", "sampler": "random", "n_trials": n_trials, "space": space},
            "seeds": seeds or [0],
        }
    )
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    return make_searcher(SearchSpace(study), "s", url, OBJECTIVES, "random", n_trials, 0, []), url


def test_identical_configurations_are_sampled_once(tmp_path):
    searcher, url = searcher_for(tmp_path, {"timesteps": {"choice": [1, 2, 3]}})
    configs = [searcher.suggest(f"t{i}") for i in range(3)]
    assert sorted(c["timesteps"] for c in configs) == [1, 2, 3]
    assert all(c["epochs"] == 3 and c["seed"] == 0 for c in configs)
    duplicates = [t for t in load_study(url, "s").trials if "duplicate_of" in t.user_attrs]
    assert all(t.state.name == "PRUNED" for t in duplicates)
    # the space is exhausted: a fourth trial repeats a configuration rather than looping forever
    assert searcher.suggest("t3")["timesteps"] in (1, 2, 3)


def test_states_told_to_optuna(tmp_path):
    searcher, url = searcher_for(tmp_path, {"lr": {"log": [0.001, 0.1]}})
    for i in range(6):
        searcher.suggest(f"t{i}")
    searcher.on_trial_complete("t0", {"accuracy": 0.9, "energy_mj": 1.0, "epoch": 3})
    searcher.on_trial_complete("t1", {"accuracy": 0.5, "energy_mj": 0.5, "epoch": 1})  # stopped early
    searcher.on_trial_complete(
        "t2", {"accuracy": float("nan"), "energy_mj": float("nan"), "epoch": 2, "error": "TrialDiverged: loss nan"}
    )
    # Tune's order: the searcher hears of the error first, the callback brings the reason after
    searcher.on_trial_complete("t3", None, error=True)
    assert load_study(url, "s").trials[3].state.name == "RUNNING"
    searcher.record_failure("t3", "ActorDiedError: killed")
    # the other order gives the same answer
    searcher.record_failure("t4", "OSError: disk full")
    searcher.on_trial_complete("t4", None, error=True)
    # a failure whose reason never came is told at the end of the study
    searcher.on_trial_complete("t5", None, error=True)
    searcher.flush_failures()
    trials = load_study(url, "s").trials
    assert [t.state.name for t in trials] == ["COMPLETE", "PRUNED", "FAIL", "FAIL", "FAIL", "FAIL"]
    assert trials[0].values == [0.9, 1.0]
    assert trials[1].user_attrs["stopped_at_epoch"] == 1
    assert trials[2].user_attrs["fail_reason"] == "TrialDiverged: loss nan"
    assert trials[3].user_attrs["fail_reason"] == "ActorDiedError: killed"
    assert trials[4].user_attrs["fail_reason"] == "OSError: disk full"
    assert trials[5].user_attrs["fail_reason"] == "the trial process failed"
    assert [t.number for t in load_study(url, "s").best_trials] == [0]
