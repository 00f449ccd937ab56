"""Planning a resume from the stores (no Ray): a search study whose driver died, with real Optuna and MLflow."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest
import yaml

from spikesweep.platform.errors import UserError
from spikesweep.platform.run.resume import plan_resume
from spikesweep.platform.run.searcher import make_searcher
from spikesweep.platform.stores.home import Home
from spikesweep.platform.stores.optuna_store import FAIL_REASON, load_study
from spikesweep.platform.stores.registry import INTERRUPTED, Registry
from spikesweep.platform.stores.tracking import Tracker
from spikesweep.platform.study.designs import SearchSpace, config_key, search_spec
from spikesweep.platform.study.validation import load_study as load_study_file

STUDY = {
    "study": "hunt",
    "base": {"epochs": 2},
    "design": {"kind": "search", "sampler": "random", "n_trials": 5, "space": {"timesteps": {"choice": [1, 2, 3, 4]}}},
    "seeds": [0],
}


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.fixture
def crashed(tmp_path):
    """A search study as a SIGKILLed driver leaves it: one trial COMPLETE, one RUNNING with a checkpoint."""
    home = Home(tmp_path / "home")
    home.create()
    path = tmp_path / "hunt.yaml"
    path.write_text(yaml.safe_dump(STUDY))
    loaded = load_study_file(str(path))
    tracker = Tracker(home.mlflow_uri, home.artifacts)
    experiment_id, parent = tracker.start_study("hunt", "", loaded.resolved())
    searcher = make_searcher(
        SearchSpace(loaded.study), "hunt", home.optuna_uri, loaded.study.objectives, "random", 5, 0, []
    )
    with Registry(home.registry_uri) as registry:
        registry.create_study("hunt", loaded.text, loaded.sha256, loaded.resolved())
        registry.mark_running(
            "hunt",
            optuna_study_name="hunt",
            mlflow_experiment_id=experiment_id,
            mlflow_parent_run_id=parent,
            ray_path="",
        )
        registry.beat("hunt", dead_pid(), socket.gethostname())
        specs = {}
        for trial_id in ("t0", "t1"):
            specs[trial_id] = spec = search_spec(loaded.study, searcher.suggest(trial_id))
            run = tracker.start_trial(
                experiment_id, parent, "hunt", trial_id, spec.config, spec.arm, spec.seed, trial_id
            )
            number = searcher._ot_trials[trial_id].number
            registry.start_trial(
                "hunt",
                trial_id,
                arm=spec.arm,
                seed=spec.seed,
                changed=spec.changed,
                config=spec.config,
                mlflow_run_id=run,
                optuna_trial_number=number,
            )
        final = {"epoch": 2, "accuracy": 0.9, "energy_mj": 0.001}
        searcher.on_trial_complete("t0", final)
        registry.finish_trial("hunt", "t0", "COMPLETE", metrics=final)
        registry.record_checkpoint("hunt", "t1", str(tmp_path / "ckpt"), 1)
    return home, path, specs


def test_a_dead_drivers_search_is_closed_requeued_and_planned(crashed):
    home, _, specs = crashed
    loaded, plan = plan_resume(home, "hunt")
    key = config_key(specs["t1"].config)
    assert plan.remaining == 4  # n_trials 5, one finished
    assert list(plan.continued) == [key] and plan.checkpoints[key].endswith("ckpt")
    assert plan.seen == {config_key(specs["t0"].config): 0}
    with Registry(home.registry_uri) as registry:
        study, trials = registry.get_study("hunt"), registry.trials("hunt")
    assert study.status == "interrupted"
    assert [(t.state, t.error) for t in trials] == [("COMPLETE", None), ("FAIL", INTERRUPTED)]
    client = Tracker(home.mlflow_uri, home.artifacts).client
    assert client.get_run(trials[1].mlflow_run_id).info.status == "KILLED"
    assert client.get_run(study.mlflow_parent_run_id).info.status == "KILLED"
    optuna_study = load_study(home.optuna_uri, "hunt")
    states = [(t.state.name, t.user_attrs.get(FAIL_REASON)) for t in optuna_study.trials]
    assert states == [("COMPLETE", None), ("FAIL", INTERRUPTED), ("WAITING", None)]

    plan_resume(home, "hunt")  # a second resume (the first died at once) enqueues nothing more
    assert [t.state.name for t in load_study(home.optuna_uri, "hunt").trials].count("WAITING") == 1
    # the resumed searcher asks the interrupted configuration first, in the same Optuna study
    searcher = make_searcher(
        SearchSpace(loaded.study), "hunt", home.optuna_uri, loaded.study.objectives, "random", 5, 0, []
    )
    assert search_spec(loaded.study, searcher.suggest("t9")).config == specs["t1"].config


def test_resume_refuses_a_live_driver_a_completed_study_and_a_changed_file(crashed, tmp_path):
    home, path, _ = crashed
    with Registry(home.registry_uri) as registry:
        registry.beat("hunt", os.getpid(), socket.gethostname())
    with pytest.raises(UserError, match=r"hunt: the study is running and its driver \(pid \d+ on .*\) was seen"):
        plan_resume(home, "hunt")
    with Registry(home.registry_uri) as registry:
        registry.beat("hunt", dead_pid(), socket.gethostname())
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump({**STUDY, "base": {"epochs": 3}}))
    with pytest.raises(UserError, match="the study file changed since hunt was submitted"):
        plan_resume(home, "hunt", str(changed))
    loaded, plan = plan_resume(home, "hunt", str(changed), force=True)
    assert loaded.study.base["epochs"] == 3 and plan.remaining == 4
    assert plan_resume(home, "hunt")[0].study.base["epochs"] == 3  # the accepted file is the study's now
    with pytest.raises(UserError, match="no such study"):
        plan_resume(home, "nope")
    with Registry(home.registry_uri) as registry:
        registry.mark_running(
            "hunt", optuna_study_name="hunt", mlflow_experiment_id="1", mlflow_parent_run_id="p", ray_path=""
        )
        registry.set_status("hunt", "completed")
    with pytest.raises(UserError, match="the study is completed"):
        plan_resume(home, "hunt")
