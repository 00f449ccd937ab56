"""Bad study files: exit status 2, one line per problem naming the key path, and nothing written anywhere."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from spikesweep.platform.cli import main

GOOD = """\
study: good
base: {epochs: 1}
design:
  kind: grid
  factors: {timesteps: [1, 2]}
seeds: [0]
"""

# (file text, --set overrides, expected lines after "FILE: ")
BAD = [
    (
        "study: s\nbase: {timestep: 2}\ndesign: {kind: grid, factors: {epochs: [1]}}\n",
        [],
        ["base.timestep: unknown knob; did you mean 'timesteps'? (allowed: see `spikesweep knobs`)"],
    ),
    (
        "study: s\nbase: {timesteps: two}\ndesign: {kind: grid, factors: {epochs: [1]}}\n",
        [],
        ["base.timesteps: expected an integer, got str 'two' (allowed: int in [1, 64])"],
    ),
    (
        "study: s\ndesign: {kind: grid, factors: {timesteps: [1, 65]}}\n",
        [],
        ["design.factors.timesteps[1]: 65 is out of range (allowed: int in [1, 64])"],
    ),
    (
        "study: s\ndesign: {kind: grid, factors: {optimizer: [sgd, rmsprop]}}\n",
        [],
        ["design.factors.optimizer[1]: 'rmsprop' is not a valid choice (allowed: 'sgd' | 'adam' | 'adamw')"],
    ),
    (
        "study: s\ndesign: {kind: sweep}\n",
        [],
        ["design: unknown design kind 'sweep' (allowed: grid | ablation | search)"],
    ),
    ("study: s\ndesign: {kind: grid}\n", [], ["design.factors: missing field (required)"]),
    ("design: {kind: grid, factors: {timesteps: [1]}}\n", [], ["study: missing field (required)"]),
    (
        "study: s\ndesign: {kind: grid, factors: {timesteps: [1]\n",
        [],
        ["line 3: malformed YAML: did not find expected ',' or '}' (allowed: a YAML mapping)"],
    ),
    (
        "study: s\ndesign: {kind: grid, factors: {timesteps: [1]}}\nscheduler: {kind: hyperband}\n",
        [],
        ["scheduler.kind: 'hyperband' is not allowed (allowed: 'none', 'asha', 'moasha')"],
    ),
    (
        "study: s\ndesign: {kind: grid, factors: {timesteps: [1]}}\nscheduler: {kind: asha, rank: epsnet}\n",
        [],
        ["scheduler: rank applies to kind moasha only (allowed with asha: kind, grace_epochs, reduction_factor)"],
    ),
    (
        "study: s\ndesign: {kind: grid, factors: {timesteps: [1]}}\nscheduler: {kind: moasha, rank: crowding}\n",
        [],
        ["scheduler.rank: 'crowding' is not allowed (allowed: 'nsga2', 'epsnet')"],
    ),
    (
        "study: s\ndesign: {kind: ablation, arms: [{name: T2, set: {timesteps: 2}}]}\n"
        "scheduler: {kind: moasha, protect: [basline]}\n",
        [],
        ["scheduler.protect: unknown arm 'basline' (allowed: baseline | T2)"],
    ),
    (
        "study: s\ndesign: {kind: grid, factors: {timesteps: [1]}}\nobjectives: {accuracy: max, energy: min}\n",
        [],
        ["objectives: unknown objective 'energy' (allowed: accuracy | energy_mj | firing_rate | val_loss | params)"],
    ),
    (
        "study: s\ndesign: {kind: grid, factors: {timesteps: [1]}, extra: 1}\n",
        [],
        ["design.extra: unknown field (allowed: kind | factors)"],
    ),
    (
        "study: s\ndesign: {kind: search, n_trials: 2, space: {neuron.decay: {int: [0, 1]}}}\n",
        [],
        ["design.space.neuron.decay.int: knob neuron.decay is a float (allowed: float | log)"],
    ),
    (
        "study: s\ndesign: {kind: search, n_trials: 2, space: {lr: {log: [0.1, 0.01]}}}\n",
        [],
        [
            "design.space.lr: Value error, bounds [0.1, 0.01] are not increasing "
            "(allowed: [lo, hi] with lo < hi)".replace("Value error, ", "")
        ],
    ),
    (
        "study: s\ndesign: {kind: ablation, arms: [{name: a, set: {lr: -1}}]}\n",
        [],
        ["design.arms[0].set.lr: -1 is out of range (allowed: float in [1e-08, 10.0])"],
    ),
    (
        "study: s\ndesign: {kind: ablation, leave_one_out: [warp.drive]}\n",
        [],
        [
            "design.leave_one_out[0]: unknown submodule 'warp.drive' (allowed: dta.tna | dta.txa | fsta | staa.gc | "
            "staa.pe | staa.step_attention | staa.tsrd)"
        ],
    ),
    (
        "study: s\nbase: {attention: fsta, fsta.freq_select: lowfreq, fsta.freq_k: 16, fsta.dct_kernel: 3}\n"
        "design: {kind: grid, factors: {timesteps: [1, 2]}}\n",
        [],
        ["base.fsta.freq_k: 16 is out of range (allowed: 1..9 for fsta.dct_kernel 3)"],
    ),
    (
        "study: s\nbase: {attention: fsta, fsta.freq_select: topk, fsta.freq_k: 16, fsta.dct_kernel: 3}\n"
        "design: {kind: search, n_trials: 2, space: {lr: {log: [0.01, 0.1]}}}\n",
        [],
        [
            "base.fsta.freq_select: 'topk' ranks frequencies by the reference code's 7 x 7 accuracy table, but "
            "fsta.dct_kernel is 3 (allowed: topk with fsta.dct_kernel 7; lowfreq, all or single with any kernel)"
        ],
    ),
    (
        "study: s\nbase: {attention: fsta, fsta.freq_select: single}\n"
        "design: {kind: grid, factors: {fsta.dct_kernel: [3, 5], fsta.freq_index: [4, 9]}}\n",
        [],
        ["design.factors.fsta.freq_index: 9 is out of range (allowed: 0..8 for fsta.dct_kernel 3)"],
    ),
    (GOOD, ["epochs=0"], ["base.epochs: 0 is out of range (allowed: int in [1, 100000])"]),
    (GOOD, ["epochs"], ["--set epochs: expected KNOB=VALUE (allowed: e.g. --set epochs=2)"]),
    (
        "study: s\nbase: {seed: 3}\ndesign: {kind: grid, factors: {timesteps: [1]}}\n",
        [],
        ["base.seed: the seed is not a knob to set here (allowed: list seeds under `seeds:`)"],
    ),
    (
        "study: s\ndesign: {kind: search, n_trials: 0, space: {lr: {log: [0.1]}}}\nresources: {cpu: -1}\n",
        [],
        [
            "design.space.lr.log: has 1 entries (allowed: at least 2)",
            "design.n_trials: 0 is out of range (allowed: >= 1)",
            "resources.cpu: -1 is out of range (allowed: > 0.0)",
        ],
    ),
    (
        "study: s\ndesign: {kind: grid, factors: {timesteps: 3}}\nseeds: abc\n",
        [],
        ["design.factors.timesteps: expected a list, got int 3", "seeds: expected a list, got str 'abc'"],
    ),
    ("", [], ["the file is empty (allowed: a YAML mapping with study, design and the other fields)"]),
    (
        "- just\n- a list\n",
        [],
        [
            "expected a mapping of study fields, got list (allowed: study, description, base, "
            "design, seeds, objectives, resources, scheduler, ...)"
        ],
    ),
]


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*")] if path.exists() else []


@pytest.mark.parametrize("command", ["validate", "submit"])
@pytest.mark.parametrize("text,overrides,expected", BAD)
def test_bad_study_file_exits_2_with_one_line_per_problem_and_writes_nothing(
    tmp_path, monkeypatch, capsys, command, text, overrides, expected
):
    home = tmp_path / "home"
    monkeypatch.setenv("SPIKESWEEP_HOME", str(home))
    study = tmp_path / "study.yaml"
    study.write_text(text)
    argv = [command, str(study)] + [item for o in overrides for item in ("--set", o)]
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"{study}: {line}" for line in expected]
    assert files_under(home) == []


def test_several_problems_give_several_lines(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPIKESWEEP_HOME", str(tmp_path / "home"))
    study = tmp_path / "s.yaml"
    study.write_text(
        "study: bad name\nbase: {timesteps: 0, optimzer: adam}\ndesign: {kind: grid, factors: "
        "{timesteps: [1]}}\nseeds: [1, 1]\n"
    )
    assert main(["validate", str(study)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4
    assert all(line.startswith(f"{study}: ") for line in lines)
    assert {line.split(": ")[1] for line in lines} == {"study", "seeds", "base.timesteps", "base.optimzer"}


def test_good_file_validates_with_overrides_and_writes_nothing(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("SPIKESWEEP_HOME", str(home))
    study = tmp_path / "good.yaml"
    study.write_text(GOOD)
    assert main(["validate", str(study), "--set", "epochs=2", "--set", "momentum=0.5"]) == 0
    out = capsys.readouterr().out
    assert "ok: study 'good', design grid, 2 trials" in out
    assert files_under(home) == []


def test_unused_knob_is_a_warning_not_an_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPIKESWEEP_HOME", str(tmp_path / "home"))
    study = tmp_path / "s.yaml"
    study.write_text(
        textwrap.dedent("""\
        study: s
        base: {optimizer: adam, momentum: 0.5}
        design: {kind: grid, factors: {timesteps: [1]}}
        """)
    )
    assert main(["validate", str(study)]) == 0
    err = capsys.readouterr().err
    assert (
        f"warning: {study}: base.momentum: momentum is not read by this configuration (it applies when "
        "optimizer in [sgd])" in err
    )


def test_resolved_study_holds_overrides_and_defaults(tmp_path):
    from spikesweep.platform.study.validation import load_study

    study = tmp_path / "s.yaml"
    study.write_text(GOOD)
    loaded = load_study(str(study), ["lr=0.01", "optimizer=adam"])
    resolved = loaded.resolved()
    assert resolved["base"] == {"epochs": 1, "lr": 0.01, "optimizer": "adam"}
    assert resolved["objectives"] == {"accuracy": "max", "energy_mj": "min"}
    assert resolved["scheduler"] == {"kind": "none", "grace_epochs": 1, "reduction_factor": 2.0}
    assert resolved["cache"] is True
    assert [spec.config["lr"] for spec in loaded.specs] == [0.01, 0.01]


def test_moasha_scheduler_fields_are_stored_with_their_defaults(tmp_path):
    from spikesweep.platform.study.validation import load_study

    study = tmp_path / "s.yaml"
    study.write_text(GOOD + "scheduler: {kind: moasha, bootstrap: 4, protect: [baseline]}\ncache: false\n")
    resolved = load_study(str(study), []).resolved()
    assert resolved["scheduler"] == {
        "kind": "moasha",
        "grace_epochs": 1,
        "reduction_factor": 2.0,
        "rank": "nsga2",
        "tie_break": "crowding",
        "bootstrap": 4,
        "protect": ["baseline"],
    }
    assert resolved["cache"] is False


def test_data_dir_must_exist_and_is_stored_absolute(tmp_path, monkeypatch):
    from spikesweep.platform.errors import UserError
    from spikesweep.platform.study.validation import load_study

    study = tmp_path / "s.yaml"
    study.write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    assert load_study(str(study), data_dir="data").study.data_dir == str(tmp_path / "data")
    with pytest.raises(UserError) as error:
        load_study(str(study), data_dir="missing")
    assert str(error.value) == f"{study}: data_dir: missing is not a directory (allowed: an existing folder)"


def test_budget_overrides_replace_seeds_and_n_trials(tmp_path):
    from spikesweep.platform.errors import UserError
    from spikesweep.platform.study.validation import load_study

    grid = tmp_path / "grid.yaml"
    grid.write_text(GOOD)
    loaded = load_study(str(grid), seeds="3,4,5")
    assert loaded.study.seeds == [3, 4, 5] and len(loaded.specs) == 6
    with pytest.raises(UserError) as error:
        load_study(str(grid), n_trials=2)
    assert str(error.value) == (
        f"{grid}: --n-trials: applies to search designs only (allowed: --seeds to shrink a grid or ablation)"
    )
    with pytest.raises(UserError) as error:
        load_study(str(grid), seeds="0,x")
    assert str(error.value) == f"{grid}: --seeds: '0,x' (allowed: comma-separated integers, e.g. --seeds 0,1)"
    search = tmp_path / "search.yaml"
    search.write_text("study: s\ndesign: {kind: search, n_trials: 50, space: {lr: {log: [0.001, 0.1]}}}\n")
    assert load_study(str(search), n_trials=3).resolved()["design"]["n_trials"] == 3
