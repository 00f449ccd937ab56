"""Design expansion: trial counts, shared baseline, paired seeds, dedup, `when:` in search spaces."""

from __future__ import annotations

import optuna
import pytest

from spikesweep.platform.study.designs import expand, sample, search_spec, varying_knobs
from spikesweep.platform.study.file_model import StudyFile


def study(design: dict, base: dict | None = None, seeds: list[int] | None = None) -> StudyFile:
    return StudyFile.model_validate({"study": "s", "base": base or {}, "design": design, "seeds": seeds or [0]})


def test_grid_is_the_full_factorial_times_seeds():
    specs = expand(
        study({"kind": "grid", "factors": {"timesteps": [1, 2, 4], "optimizer": ["sgd", "adam"]}}, seeds=[0, 1])
    )
    assert len(specs) == 12
    assert {(s.config["timesteps"], s.config["optimizer"], s.seed) for s in specs} == {
        (t, o, seed) for t in (1, 2, 4) for o in ("sgd", "adam") for seed in (0, 1)
    }
    first = specs[0]
    assert first.arm == "timesteps=1, optimizer=sgd"
    assert first.changed == {"timesteps": 1, "optimizer": "sgd"}
    assert first.config["seed"] == 0 and first.config["epochs"] == 10  # defaults filled in


def test_grid_duplicates_run_once():
    specs = expand(study({"kind": "grid", "factors": {"timesteps": [2, 2, 1]}}, seeds=[0, 1]))
    assert sorted((s.config["timesteps"], s.seed) for s in specs) == [(1, 0), (1, 1), (2, 0), (2, 1)]


def test_ablation_baseline_once_per_seed_and_seeds_paired():
    design = {
        "kind": "ablation",
        "baseline": {"timesteps": 2},
        "arms": [{"name": "adam", "set": {"optimizer": "adam"}}, {"name": "T4", "set": {"timesteps": 4}}],
    }
    specs = expand(study(design, base={"epochs": 1}, seeds=[3, 5, 7]))
    assert len(specs) == 9
    baselines = [s for s in specs if s.arm == "baseline"]
    assert [s.seed for s in baselines] == [3, 5, 7]
    assert all(s.changed == {} and s.config["timesteps"] == 2 for s in baselines)
    by_arm = {}
    for spec in specs:
        by_arm.setdefault(spec.arm, []).append(spec.seed)
    assert by_arm == {"baseline": [3, 5, 7], "adam": [3, 5, 7], "T4": [3, 5, 7]}
    t4 = next(s for s in specs if s.arm == "T4")
    assert t4.changed == {"timesteps": 4} and t4.config["optimizer"] == "sgd" and t4.config["epochs"] == 1


def test_ablation_arm_equal_to_baseline_runs_once_and_is_noted():
    design = {
        "kind": "ablation",
        "baseline": {"timesteps": 2},
        "arms": [{"name": "same", "set": {"timesteps": 2}}, {"name": "T1", "set": {"timesteps": 1}}],
    }
    notes: list[str] = []
    specs = expand(study(design, seeds=[0, 1]), notes)
    assert sorted({s.arm for s in specs}) == ["T1", "baseline"]
    assert len(specs) == 4
    assert notes == ["arm 'same' has the same configuration as 'baseline'; it runs once, as 'baseline'"]


def test_leave_one_out_arm_applies_the_registered_change():
    design = {
        "kind": "ablation",
        "baseline": {"attention": "staa", "timesteps": 2},
        "leave_one_out": ["staa.tsrd", "staa.gc"],
    }
    specs = expand(study(design))
    assert [(s.arm, s.changed) for s in specs] == [
        ("baseline", {}),
        ("w/o staa.tsrd", {"staa.tsrd_p": 0.0}),
        ("w/o staa.gc", {"staa.gc": False}),
    ]
    design = {"kind": "ablation", "baseline": {"timesteps": 2}, "leave_one_out": ["fsta"]}
    notes: list[str] = []
    specs = expand(study(design), notes)  # the baseline has no attention: switching FSTA off changes nothing
    assert [s.arm for s in specs] == ["baseline"]
    assert notes == ["arm 'w/o fsta' has the same configuration as 'baseline'; it runs once, as 'baseline'"]


def test_varying_knobs_are_the_design_choices():
    specs = expand(study({"kind": "grid", "factors": {"timesteps": [1, 2], "lr": [0.1]}}, seeds=[0, 1]))
    assert varying_knobs(specs) == {"seed": [0, 1], "timesteps": [1, 2]}


SPACE = {
    "kind": "search",
    "n_trials": 30,
    "sampler": "random",
    "space": {
        "optimizer": {"choice": ["sgd", "adam"]},
        "lr": {"log": [0.001, 0.1], "when": {"optimizer": "adam"}},
        "momentum": {"float": [0.5, 0.95]},
        "timesteps": {"int": [1, 4], "when": {"optimizer": ["sgd", "adam"]}},
    },
}


def test_search_samples_when_knobs_only_under_their_condition():
    s = study(SPACE, base={"epochs": 1}, seeds=[0, 1, 2])
    optuna_study = optuna.create_study(
        directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=0)
    )
    seen = set()
    for _ in range(30):
        trial = optuna_study.ask()
        values = sample(trial, s, s.design)
        seen.add(values["optimizer"])
        assert ("lr" in values) == (values["optimizer"] == "adam")
        # momentum has no explicit when, but the schema says only SGD reads it
        assert ("momentum" in values) == (values["optimizer"] == "sgd")
        assert 1 <= values["timesteps"] <= 4
        assert values["seed"] == [0, 1, 2][trial.number % 3]
        if "lr" in values:
            assert 0.001 <= values["lr"] <= 0.1
        spec = search_spec(s, values)
        assert spec.config["epochs"] == 1 and spec.arm == "search" and "seed" not in spec.changed
        optuna_study.tell(trial, [0.5, 1.0])
    assert seen == {"sgd", "adam"}


@pytest.mark.parametrize("bad_when", [{"optimizer": "rms"}, {"nope": 1}])
def test_search_when_values_are_checked(tmp_path, bad_when):
    import yaml

    from spikesweep.platform.errors import UserError
    from spikesweep.platform.study.validation import load_study

    design = {"kind": "search", "n_trials": 2, "space": {"lr": {"log": [0.001, 0.1], "when": bad_when}}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"study": "s", "design": design}))
    with pytest.raises(UserError) as error:
        load_study(str(path))
    key = next(iter(bad_when))
    assert str(error.value).startswith(f"{path}: design.space.lr.when.{key}: ")


def test_max_epochs_covers_searched_epochs():
    from spikesweep.platform.study.designs import max_epochs

    grid = study({"kind": "grid", "factors": {"epochs": [2, 5]}})
    assert max_epochs(grid, expand(grid)) == 5
    search = study({"kind": "search", "n_trials": 2, "space": {"epochs": {"int": [1, 7]}}}, base={"epochs": 3})
    assert max_epochs(search, []) == 7
    assert max_epochs(study({"kind": "search", "n_trials": 2, "space": {"lr": {"log": [0.01, 0.1]}}}), []) == 10
