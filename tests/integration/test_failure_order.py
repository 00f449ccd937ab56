"""A trial whose process fails: its reason reaches Optuna in Tune's real call order (searcher first, callbacks next)."""

from __future__ import annotations

from typing import Any

import pytest

from spikesweep.platform.run.searcher import MOOptunaSearch

pytestmark = pytest.mark.integration
CALLS: list[str] = []


class RecordingSearcher(MOOptunaSearch):
    """The real searcher, noting when Tune calls it."""

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        CALLS.append("searcher")
        super().on_trial_complete(trial_id, result, error)


def crashing_trainable(config: dict[str, Any]) -> None:
    """Dies outside run_trial (as a lost worker or an import error would): Tune records an error file."""
    raise RuntimeError(f"worker lost at lr={config['lr']:.3g}")


def test_process_failure_reason_reaches_optuna_in_tunes_order(ray_session, tmp_path):
    from ray import tune

    from spikesweep.platform.run.callbacks import error_from_file
    from spikesweep.platform.run.searcher import make_searcher
    from spikesweep.platform.stores.optuna_store import load_study
    from spikesweep.platform.study.designs import SearchSpace
    from spikesweep.platform.study.file_model import StudyFile

    calls = CALLS
    calls.clear()

    class Recorder(tune.Callback):
        """Forwards the reason exactly as StoreCallback.on_trial_error does, and notes the call order."""

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            calls.append("callback")
            searcher.record_failure(trial.trial_id, error_from_file(trial))

    study = StudyFile.model_validate(
        {
            "study": "s",
            "base": {"epochs": 1},
            "design": {"kind": "search", "sampler": "random", "n_trials": 2, "space": {"lr": {"log": [0.001, 0.1]}}},
        }
    )
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    searcher = make_searcher(SearchSpace(study), "s", url, {"accuracy": "max", "energy_mj": "min"}, "random", 2, 0, [])
    searcher.__class__ = RecordingSearcher
    tuner = tune.Tuner(
        crashing_trainable,
        tune_config=tune.TuneConfig(search_alg=searcher, num_samples=2, max_concurrent_trials=1),
        run_config=tune.RunConfig(
            storage_path=str(tmp_path / "ray"),
            verbose=0,
            callbacks=[Recorder()],
            failure_config=tune.FailureConfig(max_failures=0),
        ),
    )
    tuner.fit()
    searcher.flush_failures()
    assert calls == ["searcher", "callback", "searcher", "callback"]  # Tune's real order
    trials = [t for t in load_study(url, "s").trials if "duplicate_of" not in t.user_attrs]
    assert [t.state.name for t in trials] == ["FAIL", "FAIL"]
    for trial in trials:
        assert trial.user_attrs["fail_reason"] == f"RuntimeError: worker lost at lr={trial.params['lr']:.3g}"
