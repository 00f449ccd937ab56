"""Resumed schedulers: rungs rebuilt from the per-epoch records equal the live ones (ASHA and MOASHA), continued
trials take over their records, and the registry keeps the per-epoch history in reporting order."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import yaml

from spikesweep.platform.run.rungs import RungHistory
from spikesweep.platform.run.schedulers import make_scheduler
from spikesweep.platform.stores.registry import INTERRUPTED, Registry
from spikesweep.platform.study.designs import TrialSpec, config_key
from spikesweep.platform.study.validation import load_study

EPOCHS = 9  # rungs 1 and 3 (moasha: below max_t), 1, 3 and 9 (ASHA)


def loaded_study(tmp_path, kind: str) -> Any:
    scheduler: dict[str, Any] = {"kind": kind, "grace_epochs": 1, "reduction_factor": 3}
    if kind == "moasha":
        scheduler.update(bootstrap=3, protect=["baseline"])
    study = {
        "study": "rungs",
        "base": {"epochs": EPOCHS},
        "design": {"kind": "grid", "factors": {"timesteps": [1, 2]}},
        "seeds": [0],
        "resources": {"cpu": 1, "gpu": 0},
        "scheduler": scheduler,
    }
    path = tmp_path / "rungs.yaml"
    path.write_text(yaml.safe_dump(study))
    return load_study(str(path))


def spec_of(config: dict[str, Any]) -> TrialSpec:
    return TrialSpec(config, config["arm"], 0)


def trial(trial_id: str, arm: str = "arm") -> Any:
    return SimpleNamespace(trial_id=trial_id, config={"arm": arm, "name": trial_id})


def run_live(scheduler: Any, reports: int, seed: int) -> tuple[list[tuple[str, int, dict]], set[str], set[str]]:
    """Feed random asynchronous results to a live scheduler as Tune would; stop after `reports` results (the kill).
    Returns the per-epoch records, the trials that ended and those still running."""
    rng = np.random.default_rng(seed)
    trials = {f"t{i}": trial(f"t{i}", "baseline" if i == 0 else "arm") for i in range(10)}
    for t in trials.values():
        scheduler.on_trial_add(None, t)
    epochs = dict.fromkeys(trials, 0)
    quality = {t: rng.uniform(0.2, 1.0) for t in trials}
    history: list[tuple[str, int, dict]] = []
    ended: set[str] = set()
    while len(history) < reports and len(ended) < len(trials):
        running = sorted(set(trials) - ended)
        trial_id = running[int(rng.integers(len(running)))]
        epochs[trial_id] += 1
        epoch = epochs[trial_id]
        result = {
            "epoch": epoch,
            "accuracy": quality[trial_id] * (1 - 0.5**epoch),
            "energy_mj": quality[trial_id] * rng.uniform(0.8, 1.2),
        }
        history.append((trial_id, epoch, result))
        if scheduler.on_trial_result(None, trials[trial_id], result) == "STOP" or epoch == EPOCHS:
            scheduler.on_trial_complete(None, trials[trial_id], result)
            ended.add(trial_id)
    return history, ended, set(trials) - ended


def history_of(records, ended, continued=()) -> RungHistory:
    arms = {trial_id: "baseline" if trial_id == "t0" else "arm" for trial_id, *_ in records}
    keys = {config_key(trial(t).config): t for t in continued}
    return RungHistory(records, set(ended), arms, keys)


@pytest.mark.parametrize("reports", [12, 25, 40])
def test_rebuilt_moasha_scheduler_equals_the_live_one(tmp_path, reports):
    loaded = loaded_study(tmp_path, "moasha")
    live = make_scheduler(loaded, spec_of)
    records, ended, _ = run_live(live, reports, seed=reports)
    assert live.num_stopped or reports < 25  # the longer histories did stop trials
    rebuilt = make_scheduler(loaded, spec_of, history_of(records, ended))
    assert rebuilt.rungs.table() == live.rungs.table() and any(rebuilt.rungs.table().values())
    assert [r.decided for r in rebuilt.rungs.rungs] == [r.decided for r in live.rungs.rungs]
    assert rebuilt.rungs.pending_stop == live.rungs.pending_stop
    assert rebuilt.rungs.stopped == live.rungs.stopped
    assert rebuilt.rungs.finished == live.rungs.finished
    newcomer = {"epoch": 1, "accuracy": 0.3, "energy_mj": 0.4}
    assert rebuilt.on_trial_result(None, trial("new"), newcomer) == live.on_trial_result(None, trial("new"), newcomer)


@pytest.mark.parametrize("reports", [12, 25, 40])
def test_rebuilt_asha_scheduler_equals_the_live_one(tmp_path, reports):
    loaded = loaded_study(tmp_path, "asha")
    live = make_scheduler(loaded, spec_of)
    records, ended, _ = run_live(live, reports, seed=reports)
    rebuilt = make_scheduler(loaded, spec_of, history_of(records, ended))
    assert rebuilt.rungs() == live.rungs() and any(rebuilt.rungs().values())
    newcomer = {"epoch": 1, "accuracy": 0.3}
    rebuilt.on_trial_add(None, trial("new"))
    live.on_trial_add(None, trial("new"))
    assert rebuilt.on_trial_result(None, trial("new"), newcomer) == live.on_trial_result(None, trial("new"), newcomer)


@pytest.mark.parametrize("kind", ["asha", "moasha"])
def test_a_continued_trial_takes_over_its_records_and_is_not_judged_again(tmp_path, kind):
    loaded = loaded_study(tmp_path, kind)
    live = make_scheduler(loaded, spec_of)
    records, ended, running = run_live(live, 25, seed=7)
    table = (lambda s: s.rungs()) if kind == "asha" else (lambda s: s.rungs.table())
    at_rung = [t for t in sorted(running) if any(t in recorded for recorded in table(live).values())]
    assert at_rung  # a trial still running was recorded at a rung
    old = at_rung[0]
    rebuilt = make_scheduler(loaded, spec_of, history_of(records, ended, continued=[old]))
    continued = SimpleNamespace(trial_id="resumed", config=trial(old).config)  # a new Ray trial, same config
    rebuilt.on_trial_add(None, continued)
    renamed = {e: {("resumed" if t == old else t): v for t, v in rows.items()} for e, rows in table(live).items()}
    assert table(rebuilt) == renamed
    # from its checkpoint it reports the rung epochs again: not recorded (nor judged) a second time
    for epoch in (1, 2, 3):
        rebuilt.on_trial_result(None, continued, {"epoch": epoch, "accuracy": 0.0, "energy_mj": 99.0})
        if epoch == 1:
            assert table(rebuilt)[1] == renamed[1]  # its rung-1 record keeps the value it had
    other = SimpleNamespace(trial_id="other", config=trial(old).config)
    rebuilt.on_trial_add(None, other)  # the old id is handed out once
    assert "other" not in {t for rows in table(rebuilt).values() for t in rows}


def test_a_trial_the_rungs_stopped_stops_at_its_first_report_when_continued(tmp_path):
    loaded = loaded_study(tmp_path, "moasha")
    live = make_scheduler(loaded, spec_of)
    records, ended, running = run_live(live, 40, seed=40)
    doomed = sorted(live.rungs.pending_stop & running)
    if not doomed:  # make one: a trial stopped (verdict given) whose end the dead driver never saw
        doomed = sorted(live.rungs.stopped)[:1]
        ended -= set(doomed)
    assert doomed
    rebuilt = make_scheduler(loaded, spec_of, history_of(records, ended, continued=doomed[:1]))
    continued = SimpleNamespace(trial_id="resumed", config=trial(doomed[0]).config)
    rebuilt.on_trial_add(None, continued)
    assert rebuilt.on_trial_result(None, continued, {"epoch": 8, "accuracy": 1.0, "energy_mj": 0.0}) == "STOP"


def test_registry_keeps_every_epoch_in_reporting_order_under_the_trials_current_id(tmp_path):
    with Registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        registry.create_study("s", "study: s\n", "ab" * 32, {"study": "s"})
        registry.mark_running(
            "s", optuna_study_name="s", mlflow_experiment_id="1", mlflow_parent_run_id="p", ray_path="/r"
        )
        for name in ("a", "b"):
            registry.start_trial(
                "s",
                name,
                arm=name,
                seed=0,
                changed={},
                config={"n": name},
                mlflow_run_id=None,
                optuna_trial_number=None,
            )
        registry.record_epoch("s", "a", {"epoch": 1, "accuracy": 0.1})
        registry.record_epoch("s", "b", {"epoch": 1, "accuracy": 0.2})
        registry.record_epoch("s", "a", {"epoch": 2, "accuracy": 0.3})
        registry.finish_trial("s", "a", "FAIL", error=INTERRUPTED)
        registry.restart_trial("s", "a", "a2", optuna_trial_number=None)
        registry.record_epoch("s", "a2", {"epoch": 2, "accuracy": 0.35})  # re-trained after its checkpoint
        assert registry.epoch_history("s") == [
            ("a2", 1, {"epoch": 1, "accuracy": 0.1}),
            ("b", 1, {"epoch": 1, "accuracy": 0.2}),
            ("a2", 2, {"epoch": 2, "accuracy": 0.3}),
            ("a2", 2, {"epoch": 2, "accuracy": 0.35}),
        ]
        assert registry.trials("s")[0].metrics == {"epoch": 2, "accuracy": 0.35}
