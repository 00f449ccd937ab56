"""The input boundary: every malformed input of issue 10 gives exit 2 and one line naming the field, never a
traceback, and nothing is written (home, registry, Ray, MLflow, Optuna)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spikesweep.platform.cli import main
from spikesweep.platform.study import yaml_rules
from spikesweep.platform.study.limits import MAX_TRIALS
from spikesweep.platform.study.yaml_rules import MAX_NODES

GOOD = "study: s\nbase: {epochs: 1}\ndesign: {kind: grid, factors: {timesteps: [1, 2]}}\n"
BOMB = (
    "study: s\na: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "design: {kind: grid, factors: {timesteps: *f}}\n"
)
BIG = "9" * 5000

# (file bytes, extra CLI arguments, the one expected line after "FILE: ")
CASES: dict[str, tuple[bytes, list[str], str]] = {
    "latin1": (
        b"study: s\ndescription: caf\xe9\ndesign: {kind: grid, factors: {timesteps: [1]}}\n",
        [],
        "line 2: byte 0xe9 is not UTF-8 (allowed: UTF-8 text; save the file as UTF-8)",
    ),
    "utf16": (GOOD.encode("utf-16"), [], "the file is UTF-16 text (allowed: UTF-8; save it as UTF-8)"),
    "stray bytes": (
        b"study: s\n\x80\x81design: x\n",
        [],
        "line 2: byte 0x80 is not UTF-8 (allowed: UTF-8 text; save the file as UTF-8)",
    ),
    "huge integer": (
        f"study: s\nbase: {{epochs: {BIG}}}\ndesign: {{kind: grid, factors: {{timesteps: [1]}}}}\n".encode(),
        [],
        "line 2: an integer of 5000 digits (allowed: at most 30 digits)",
    ),
    "huge integer via --set": (
        GOOD.encode(),
        ["--set", f"epochs={BIG}"],
        "--set epochs: an integer of 5000 digits (allowed: at most 30 digits)",
    ),
    "deep nesting": (
        ("study: s\nreference: " + "[" * 600 + "]" * 600 + "\ndesign: {kind: grid}\n").encode(),
        [],
        "line 2: nesting deeper than 32 levels (allowed: at most 32)",
    ),
    "null key in a space": (
        b"study: s\ndesign: {kind: search, n_trials: 2, space: {null: {choice: [1]}}}\n",
        [],
        "line 2: a null key (allowed: a name)",
    ),
    "unknown user": (
        (GOOD + "data_dir: ~nosuchuser/x\n").encode(),
        [],
        "data_dir: ~nosuchuser: no such user on this machine (allowed: ~/..., ~USER/... of a known user, "
        "or a full path)",
    ),
    "long data_dir": (
        (GOOD + "data_dir: /" + "a" * 5000 + "\n").encode(),
        [],
        "data_dir: a path of 5001 characters (allowed: at most 1024)",
    ),
    "duplicate top-level key": (
        (GOOD + "base: {epochs: 2}\n").encode(),
        [],
        "line 4: duplicate key 'base' (allowed: each key once per mapping)",
    ),
    "duplicate nested key": (
        b"study: s\nbase: {epochs: 1, lr: 0.1, epochs: 2}\ndesign: {kind: grid, factors: {timesteps: [1]}}\n",
        [],
        "line 2: duplicate key 'epochs' (allowed: each key once per mapping)",
    ),
    "sexagesimal": (
        b"study: s\nbase: {epochs: 1:30}\ndesign: {kind: grid, factors: {timesteps: [1]}}\n",
        [],
        "base.epochs: expected an integer, got str '1:30' (allowed: int in [1, 100000])",
    ),
    "yes as a number": (
        b"study: s\nbase: {epochs: yes}\ndesign: {kind: grid, factors: {timesteps: [1]}}\n",
        [],
        "base.epochs: expected an integer, got str 'yes' (allowed: int in [1, 100000])",
    ),
    "infinite gpu": (
        (GOOD + "resources: {gpu: .inf}\n").encode(),
        [],
        "resources.gpu: inf is not a finite number (allowed: a finite number)",
    ),
    "infinite reduction factor": (
        (GOOD + "scheduler: {kind: asha, reduction_factor: 1e999}\n").encode(),
        [],
        "scheduler.reduction_factor: inf is not a finite number (allowed: a finite number)",
    ),
    "nan lr via --set": (
        GOOD.encode(),
        ["--set", "lr=.nan"],
        "base.lr: nan is not a finite number (allowed: a finite number)",
    ),
    "gpu share over one": (
        (GOOD + "resources: {gpu: 1.5}\n").encode(),
        [],
        "resources.gpu: 1.5 GPUs (allowed: a share below 1, or a whole number of GPUs)",
    ),
    "NUL in an arm name": (
        b'study: s\ndesign: {kind: ablation, arms: [{name: "a\\0b", set: {epochs: 2}}]}\n',
        [],
        "design.arms[0].name: contains the control character U+0000 (allowed: printable text)",
    ),
    "path as an arm name": (
        b"study: s\ndesign: {kind: ablation, arms: [{name: ../../etc/passwd, set: {epochs: 2}}]}\n",
        [],
        "design.arms[0].name: '../../etc/passwd' looks like a path (allowed: arm names without / or \\, not . or ..)",
    ),
    "alias bomb": (
        BOMB.encode(),
        [],
        f"line 6: the document expands to more than {MAX_NODES} values, aliases included "
        f"(allowed: at most {MAX_NODES}; write the values out or shrink the study)",
    ),
    "too many trials": (
        (
            "study: s\ndesign:\n  kind: grid\n  factors:\n"
            + "".join(
                f"    {knob}: [{', '.join(values)}]\n"
                for knob, values in [
                    ("timesteps", [str(v) for v in range(1, 51)]),
                    ("epochs", [str(v) for v in range(1, 51)]),
                    ("batch_size", [str(v) for v in range(8, 408)]),
                ]
            )
        ).encode(),
        [],
        f"design: 1000000 trials with seeds (allowed: at most {MAX_TRIALS}; use fewer values, arms or seeds, "
        "or a search design with n_trials)",
    ),
    "too many values": (
        (
            "study: s\ndesign: {kind: grid, factors: {lr: [" + ", ".join(f"0.{i:05d}1" for i in range(10_000)) + "]}}\n"
        ).encode(),
        [],
        "design.factors.lr: 10000 values (allowed: at most 1000)",
    ),
    "too many base keys": (
        ("study: s\nbase: {" + ", ".join(f"k{i}: 1" for i in range(1_000)) + "}\ndesign: {kind: grid}\n").encode(),
        [],
        "base: 1000 knobs (allowed: at most 500)",
    ),
    "too many seeds": (
        GOOD.encode(),
        ["--seeds", ",".join(map(str, range(2000)))],
        "seeds: 2000 seeds (allowed: at most 1000)",
    ),
}


def files_under(path: Path) -> list[Path]:
    return list(path.rglob("*")) if path.exists() else []


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("command", ["validate", "submit"])
def test_malformed_input_exits_2_with_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys, case, command):
    data, extra, expected = CASES[case]
    home = tmp_path / "home"
    monkeypatch.setenv("SPIKESWEEP_HOME", str(home))
    study = tmp_path / "study.yaml"
    study.write_bytes(data)
    assert main([command, str(study), *extra]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [f"{study}: {expected}"]
    assert "Traceback" not in captured.out + captured.err
    assert files_under(home) == []


def test_yaml_12_scalars_are_read_as_users_mean_them():
    loaded = yaml_rules.load("a: yes\nb: off\nc: 1:30\nd: 010\ne: 1e-3\nf: 0x1F\ng: true\nh: ~\ni: 2026-01-01\n")
    assert loaded == {
        "a": "yes",
        "b": "off",
        "c": "1:30",
        "d": 10,
        "e": 0.001,
        "f": 31,
        "g": True,
        "h": None,
        "i": "2026-01-01",
    }


def test_merge_keys_may_override_but_plain_keys_may_not_repeat():
    assert yaml_rules.load("base: &b {x: 1, y: 2}\nother: {<<: *b, x: 3}\n")["other"] == {"x": 3, "y": 2}
    with pytest.raises(yaml_rules.YamlRuleError) as error:
        yaml_rules.load("a: {x: 1}\nb: {y: 1, 'y': 2}\n")
    assert (error.value.line, error.value.message) == (2, "duplicate key 'y' (allowed: each key once per mapping)")


def test_explicit_tags_that_cannot_be_built_are_one_problem():
    for text in ("a: !!int 1:30", "a: !!float x", "a: !!timestamp x", "a: !!python/object:os.system 1"):
        with pytest.raises(yaml_rules.YamlRuleError):
            yaml_rules.load(text)


def test_a_set_value_is_refused_with_its_path(tmp_path, capsys):
    study = tmp_path / "s.yaml"
    study.write_text(GOOD + "reference: {notes: !!set {a, b}}\n")
    assert main(["validate", str(study)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{study}: reference.notes: a YAML set value (allowed: plain values: text, numbers, true/false, lists, "
        "mappings)"
    )


def test_too_many_problems_are_cut_to_fifty_lines_and_a_count(tmp_path, capsys):
    study = tmp_path / "s.yaml"
    study.write_text(
        "study: s\nbase: {" + ", ".join(f"k{i}: 1" for i in range(80)) + "}\n"
        "design: {kind: grid, factors: {timesteps: [1]}}\n"
    )
    assert main(["validate", str(study)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 51 and lines[-1] == f"{study}: ... and 30 more problems"


def test_too_long_name_is_refused_before_anything_is_written(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("SPIKESWEEP_HOME", str(home))
    study = tmp_path / "s.yaml"
    study.write_text(GOOD)
    assert main(["submit", str(study), "--name", "n" * 300]) == 2
    assert capsys.readouterr().err.strip() == "--name: a name of 300 characters (allowed: at most 120)"
    assert main(["submit", str(study), "--name", "a/b"]) == 2
    assert (
        capsys.readouterr().err.strip() == "--name: 'a/b' is not a valid study name (allowed: letters, digits, - and _)"
    )
    assert files_under(home) == []


def test_home_that_is_a_file_or_read_only_is_refused(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    study = tmp_path / "s.yaml"
    study.write_text(GOOD)
    assert main(["--home", str(afile), "validate", str(study)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"--home: {afile} is a file, not a folder (allowed: a folder, or a path where one can be made)"
    )
    assert main(["--home", str(afile / "sub"), "status"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    # /proc refuses new files even to root: a read-only place whoever runs the tests
    assert main(["--home", "/proc/spikesweep-home", "submit", str(study)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("--home: /proc is not writable (") and err.endswith("(allowed: a folder you can write to)")


def test_missing_dataset_is_found_before_anything_is_written(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("SPIKESWEEP_HOME", str(home))
    monkeypatch.delenv("SPIKESWEEP_DATA", raising=False)
    study = tmp_path / "s.yaml"
    study.write_text(GOOD)
    assert main(["submit", str(study), "--set", "dataset=cifar10"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{study}: data_dir: dataset 'cifar10': no data directory was given")
    assert "cifar-10-python.tar.gz" in err and "Traceback" not in err
    assert files_under(home) == []
    (tmp_path / "data").mkdir()
    assert main(["submit", str(study), "--set", "dataset=cifar10", "--data-dir", str(tmp_path / "data")]) == 2
    assert "cifar-10-python.tar.gz" in capsys.readouterr().err
    assert files_under(home) == []
    search = tmp_path / "search.yaml"  # a dataset the search may choose is checked too
    search.write_text(
        "study: s\nbase: {epochs: 1}\n"
        "design: {kind: search, n_trials: 2, space: {dataset: {choice: [digits, cifar10]}}}\n"
    )
    assert main(["submit", str(search)]) == 2
    assert capsys.readouterr().err.startswith(f"{search}: data_dir: dataset 'cifar10': no data directory was given")
    assert files_under(home) == []


def test_cpu_per_trial_over_this_machine_is_refused_before_submit(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("SPIKESWEEP_HOME", str(home))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    cpus = os.cpu_count() or 1
    study = tmp_path / "s.yaml"
    study.write_text(GOOD + f"resources: {{cpu: {cpus + 1}}}\n")
    assert main(["validate", str(study)]) == 0  # the file is fine; the machine is too small
    capsys.readouterr()
    assert main(["submit", str(study)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{study}: resources.cpu: {cpus + 1} CPUs per trial, but this machine has {cpus} per node "
        f"(allowed: at most {cpus})"
    )
    assert files_under(home) == []


def test_big_legal_grid_validates(tmp_path, capsys):
    values = ", ".join(str(v) for v in range(1, 11))
    study = tmp_path / "s.yaml"
    study.write_text(
        "study: s\nbase: {epochs: 1}\ndesign:\n  kind: grid\n  factors:\n"
        f"    timesteps: [{values}]\n    batch_size: [{', '.join(str(8 * v) for v in range(1, 11))}]\n"
        f"seeds: [{values}]\n"
    )
    assert main(["validate", str(study)]) == 0
    assert "1000 trials" in capsys.readouterr().out


@pytest.mark.integration
def test_cpu_per_trial_over_the_largest_ray_node_is_refused(tmp_path):
    """Connected to a (real, local) Ray cluster of 1 CPU, a study asking 2 CPUs per trial is refused before any
    trial is queued, naming the cluster."""
    import ray

    from spikesweep.platform.errors import UserError
    from spikesweep.platform.run.preflight import check_resources, cluster_node_cpus, cluster_node_gpus
    from spikesweep.platform.study.validation import load_study

    started = not ray.is_initialized()
    if started:  # one (declared) GPU: Ray schedules by the declared count, which is what the check reads
        ray.init(num_cpus=1, num_gpus=1, include_dashboard=False, log_to_driver=False, object_store_memory=80 * 2**20)
    try:
        address = ray.get_runtime_context().gcs_address
        cpus = cluster_node_cpus(address)
        study = tmp_path / "s.yaml"
        study.write_text(GOOD + f"resources: {{cpu: {int(cpus) + 1}}}\n")
        loaded = load_study(str(study))
        with pytest.raises(UserError) as error:
            check_resources(loaded, str(study), address, lambda: cluster_node_cpus(address))
        assert str(error.value) == (
            f"{study}: resources.cpu: {int(cpus) + 1} CPUs per trial, but the Ray cluster at {address} has "
            f"{cpus:g} per node (allowed: at most {cpus:g})"
        )
        study.write_text(GOOD + f"resources: {{cpu: {cpus:g}}}\n")
        check_resources(load_study(str(study)), str(study), address, lambda: cluster_node_cpus(address))
        gpus = cluster_node_gpus(address)
        if gpus > 0:
            study.write_text(GOOD + f"resources: {{cpu: {cpus:g}, gpu: {int(gpus) + 1}}}\n")
            with pytest.raises(UserError) as error:
                check_resources(
                    load_study(str(study)), str(study), address, lambda: cpus, lambda: cluster_node_gpus(address)
                )
            assert str(error.value) == (
                f"{study}: resources.gpu: {int(gpus) + 1} GPUs per trial, but the Ray cluster at {address} has "
                f"{gpus:g} per node (allowed: at most {gpus:g}, or auto)"
            )
    finally:
        if started:
            ray.shutdown()


def test_bad_home_and_data_folders_from_the_environment_are_refused(tmp_path, monkeypatch, capsys):
    study = tmp_path / "s.yaml"
    study.write_text(GOOD)
    monkeypatch.setenv("SPIKESWEEP_HOME", "~nosuchuser/home")
    assert main(["list"]) == 2
    assert capsys.readouterr().err.strip() == (
        "SPIKESWEEP_HOME: ~nosuchuser: no such user on this machine (allowed: ~/..., ~USER/... of a known user, "
        "or a full path)"
    )
    home = tmp_path / "home"
    monkeypatch.setenv("SPIKESWEEP_HOME", str(home))
    monkeypatch.setenv("SPIKESWEEP_DATA", str(tmp_path / "no-data"))
    assert main(["submit", str(study), "--set", "dataset=cifar10"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"SPIKESWEEP_DATA: {tmp_path / 'no-data'} is not a directory (allowed: an existing folder)"
    )
    assert files_under(home) == []
