"""MLflow adapter on a tmp SQLite store: parent/child runs, params = knobs read, per-epoch batches, statuses."""

from __future__ import annotations

import json

import pytest

from spikesweep.platform.stores.tracking import Tracker, numeric_metrics, short_run_name
from spikesweep.workers import resolve


@pytest.fixture(scope="module")
def tracker(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow")
    return Tracker(f"sqlite:///{root / 'mlflow.db'}", root / "artifacts")


def test_numeric_metrics_drop_text_bools_and_the_epoch():
    assert numeric_metrics({"epoch": 2, "accuracy": 0.5, "params": 10, "error": "x", "done": True}) == {
        "accuracy": 0.5,
        "params": 10.0,
    }
    assert numeric_metrics({"energy": {"paper": {"mj": 1}, "full": 2.5}, "layers": [1]}) == {
        "energy.paper.mj": 1.0,
        "energy.full": 2.5,
    }


def test_parent_and_child_runs(tracker):
    experiment_id, parent = tracker.start_study("s1", "about s1", {"study": "s1", "design": {"kind": "grid"}})
    config = resolve({"optimizer": "adam", "timesteps": 2, "seed": 3})
    child = tracker.start_trial(experiment_id, parent, "s1", "timesteps=2 seed=3", config, "timesteps=2", 3, "t1")
    tracker.log_result(child, {"epoch": 1, "accuracy": 0.5, "energy_mj": 2.0, "error": "ignored"})
    tracker.log_result(
        child, {"epoch": 2, "accuracy": 0.75, "energy_mj": 1.5, "energy_layers": [{"layer": "conv1", "acs": 10.0}]}
    )
    tracker.end_trial(child, "FINISHED")
    failed = tracker.start_trial(experiment_id, parent, "s1", "x", config, "x", 0, "t2")
    tracker.end_trial(failed, "FAILED", "TrialDiverged: loss nan")
    tracker.finish_study(parent, "FINISHED", {"pareto_size": 1, "hypervolume": float("nan")})

    client = tracker.client
    run = client.get_run(child)
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.parentRunId"] == parent and run.data.tags["spikesweep.arm"] == "timesteps=2"
    assert run.data.params["optimizer"] == "adam" and run.data.params["timesteps"] == "2"
    assert "momentum" not in run.data.params  # adam does not read it
    assert [(m.step, m.value) for m in client.get_metric_history(child, "accuracy")] == [(1, 0.5), (2, 0.75)]
    assert "error" not in run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(child)}
    assert artifacts == {"config.yaml", "energy_layers.json"}
    layers = json.loads(open(client.download_artifacts(child, "energy_layers.json")).read())
    assert layers == {"epoch": 2, "layers": [{"layer": "conv1", "acs": 10.0}]}
    bad = client.get_run(failed)
    assert bad.info.status == "FAILED" and bad.data.tags["spikesweep.error"] == "TrialDiverged: loss nan"
    parent_run = client.get_run(parent)
    assert parent_run.info.status == "FINISHED"
    assert parent_run.data.metrics == {"pareto_size": 1.0}  # the NaN hypervolume is not logged
    assert {r.info.run_id for r in tracker.child_runs(experiment_id, parent)} == {child, failed}


def test_the_parent_run_carries_design_objectives_base_knobs_and_the_description(tracker):
    resolved = {
        "study": "s2",
        "design": {"kind": "ablation", "baseline": {"fsta.dct_kernel": 7}, "arms": [{"name": "k3"}]},
        "seeds": [0, 1],
        "objectives": {"accuracy": "max", "energy_mj": "min"},
        "base": {"attention": "fsta", "timesteps": 1},
    }
    experiment_id, parent = tracker.start_study("s2", "kernel sizes", resolved)
    run = tracker.client.get_run(parent)
    assert run.data.params == {
        "design": "ablation",
        "design.baseline": '{"fsta.dct_kernel": 7}',
        "design.arms": '[{"name": "k3"}]',
        "seeds": "0,1",
        "objectives": "accuracy (max), energy_mj (min)",
        "base.attention": "fsta",
        "base.timesteps": "1",
    }
    assert run.data.tags["mlflow.note.content"] == "kernel sizes"
    experiment = tracker.client.get_experiment(experiment_id)
    assert experiment.tags["mlflow.note.content"] == "kernel sizes"  # the experiment list's description
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"  # the UI's model-training mode


@pytest.mark.parametrize(
    ("arm", "changed", "seed", "name"),
    [
        (
            "timesteps=2, neuron.threshold=0.5",
            {"timesteps": 2, "neuron.threshold": 0.5},
            1,
            "T=2 Vth=0.5 s1",
        ),
        ("k3", {"fsta.dct_kernel": 3}, 0, "k3 s0"),
        ("baseline", {}, 2, "baseline s2"),
        ("a=1", {f"knob{i}.x": i for i in range(20)}, 0, "x=0 x=1 x=2 x=3 x=4 x=5 x=6 x=7 x=8… s0"),
    ],
)
def test_run_names_are_short_and_readable(arm, changed, seed, name):
    assert short_run_name(arm, changed, seed) == name and len(name) <= 40
