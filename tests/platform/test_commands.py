"""Read-only commands on an empty home: clear answers, exit 2 for unknown studies, nothing created."""

from __future__ import annotations

import json

import pytest

from spikesweep.platform.cli import main


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("SPIKESWEEP_HOME", str(home))
    return home


def test_list_on_an_empty_home(empty_home, capsys):
    assert main(["list"]) == 0
    assert capsys.readouterr().out.strip() == "no studies yet (run `spikesweep submit FILE`)"
    assert main(["list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert not empty_home.exists()


@pytest.mark.parametrize("argv", [["status", "nope"], ["export", "nope", "--out", "OUT"]])
def test_unknown_study_is_bad_input(empty_home, tmp_path, capsys, argv):
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("nope: no study 'nope' in ")
    assert not empty_home.exists() and not (tmp_path / "out").exists()


def test_train_rejects_a_bad_trial_file(empty_home, tmp_path, capsys):
    trial = tmp_path / "t.yaml"
    trial.write_text("config: {timesteps: 0, colour: red}\n")
    assert main(["train", str(trial)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{trial}: config.timesteps: 0 is out of range (allowed: int in [1, 64])",
        f"{trial}: config.colour: unknown knob (allowed: see `spikesweep knobs`)",
    ]
    trial.write_text("timesteps: 2\n")
    assert main(["train", str(trial)]) == 2
    assert "config: missing mapping of knob values" in capsys.readouterr().err


def test_train_runs_a_trial_file_and_reproduces_itself(tmp_path, capsys):
    trial = tmp_path / "t.yaml"
    trial.write_text("config: {timesteps: 1, epochs: 1, seed: 4, energy.samples: 16}\n")
    assert main(["train", str(trial), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["train", str(trial), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert first["epoch"] == 1 and 0.0 <= first["accuracy"] <= 1.0


def test_global_options_before_or_after_the_command(empty_home, tmp_path, capsys):
    other = tmp_path / "other"
    (other / "x").mkdir(parents=True)
    assert main(["list", "--home", str(other), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["status", "nope", "--home", str(other)]) == 2
    assert f"no study 'nope' in {other}" in capsys.readouterr().err
    assert main(["--home", str(other), "status", "nope", "-v"]) == 2
    assert f"no study 'nope' in {other}" in capsys.readouterr().err


def test_version_and_a_knob_prefix_with_no_match(empty_home, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.startswith("spikesweep ")
    assert main(["knobs", "tmesteps"]) == 2
    err = capsys.readouterr().err
    assert "no knob starts with 'tmesteps'" in err and "did you mean timesteps?" in err
    assert main(["knobs", "fsta.dct"]) == 0
    assert capsys.readouterr().out.startswith("fsta.dct_kernel")
