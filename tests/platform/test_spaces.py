"""The built-in study files (spikesweep/search_spaces/*.yaml) and `spikesweep spaces`."""

from __future__ import annotations

import json
from importlib import resources

import pytest
import yaml

from spikesweep.platform.cli import main
from spikesweep.platform.cli.commands.spaces import builtin_names, builtin_text

PAPER_SPACES = (
    "fsta_kernel",
    "fsta_combination",
    "staa_blocks",
    "staa_tsrd_p",
    "staa_gc_ratio",
    "staa_pe",
    "dta_branches",
    "timesteps",
    "pareto_all",
)
REQUIRED = ("study", "description", "base", "design", "seeds", "objectives", "resources", "reference")
# knobs these files may name: the core knobs and the module knobs of the FSTA / STAA / DTA issues
MODULE_KNOBS = {
    "fsta.dct_kernel",
    "fsta.combination",
    "fsta.compress_reduction",
    "fsta.freq_select",
    "fsta.freq_k",
    "staa.gc",
    "staa.gc_ratio",
    "staa.gc_fusion",
    "staa.pe",
    "staa.pe_shape",
    "staa.pe_location",
    "staa.step_attention",
    "staa.step_scale",
    "staa.step_form",
    "staa.tsrd_p",
    "staa.tsrd_granularity",
    "staa.lif_param",
    "dta.branches",
    "dta.tna_kernel",
}
DOMAINS = {
    "attention": {"none", "fsta", "staa", "dta"},
    "neuron": {"generic", "fsta", "dta", "staa"},
    "backbone": {"small_cnn", "resnet19", "resnet20", "resnet18", "resnet34", "ms_resnet18", "ms_resnet34", "vgg13"},
    "dataset": {"digits", "neuro_digits", "cifar10", "cifar100", "nmnist", "dvs_gesture", "cifar10_dvs", "synthetic"},
    "fsta.combination": {"serial", "parallel", "serial_channel"},
    "fsta.dct_kernel": {1, 3, 5, 7, 9, 11, 13, 15},
    "fsta.freq_select": {"all", "topk", "lowfreq", "single"},
    "staa.pe": {"none", "learnable", "fixed"},
    "staa.pe_location": {"b", "c", "d", "e"},
    "staa.gc": {True, False},
    "staa.step_attention": {True, False},
    "dta.branches": {"txa", "tna", "both"},
    "dta.tna_kernel": {7, 21},
}
CPU_DATASETS = {"digits", "neuro_digits", "synthetic"}


def known_knobs() -> set[str]:
    from spikesweep.workers import KNOBS

    return set(KNOBS) | MODULE_KNOBS


def load(name: str) -> dict:
    return yaml.safe_load(builtin_text(name))


def test_every_paper_space_is_installed_with_the_package():
    assert set(PAPER_SPACES) <= set(builtin_names())
    folder = resources.files("spikesweep").joinpath("search_spaces")
    assert all(folder.joinpath(f"{name}.yaml").is_file() for name in PAPER_SPACES)


@pytest.mark.parametrize("name", PAPER_SPACES)
def test_builtin_file_has_the_study_file_keys_and_a_cpu_default(name):
    data = load(name)
    assert set(REQUIRED) <= set(data), f"{name}: missing {set(REQUIRED) - set(data)}"
    assert data["study"] == name
    assert len(data["description"].split()) >= 10
    assert data["objectives"] == {"accuracy": "max", "energy_mj": "min"}
    assert set(data["resources"]) == {"cpu", "gpu"}
    assert data["seeds"] and all(isinstance(s, int) for s in data["seeds"])
    base = data["base"]
    assert base["dataset"] in CPU_DATASETS and base["backbone"] == "small_cnn" and base["epochs"] <= 10
    assert base.get("timesteps", 4) <= 4
    design = data["design"]
    assert design["kind"] in ("grid", "ablation", "search")
    if design["kind"] == "ablation":
        names = [arm["name"] for arm in design["arms"]]
        assert isinstance(design["baseline"], dict) and len(names) == len(set(names)) and "baseline" not in names
        for arm in design["arms"]:
            assert set(arm) == {"name", "set"} and arm["set"], f"{name}: arm {arm}"
            assert any(design["baseline"].get(k, base.get(k)) != v for k, v in arm["set"].items())
    elif design["kind"] == "grid":
        assert design["factors"] and all(isinstance(v, list) and len(v) > 1 for v in design["factors"].values())
    else:
        assert design["sampler"] in ("tpe", "nsga2", "random") and design["n_trials"] >= 1
        for knob, spec in design["space"].items():
            kinds = set(spec) - {"when"}
            assert len(kinds) == 1 and kinds <= {"choice", "int", "float", "log"}, f"{name}: {knob}: {spec}"
    if "scheduler" in data:
        assert data["scheduler"]["kind"] == "asha"


@pytest.mark.parametrize("name", PAPER_SPACES)
def test_builtin_file_names_only_known_knobs_and_values(name):
    data, known = load(name), known_knobs()
    design = data["design"]
    pairs = list(data["base"].items()) + list((design.get("baseline") or {}).items())
    pairs += [item for arm in design.get("arms") or [] for item in arm["set"].items()]
    pairs += [(k, v) for k, values in (design.get("factors") or {}).items() for v in values]
    for knob, spec in (design.get("space") or {}).items():
        pairs += [(knob, v) for v in spec.get("choice", [])]
        for cond_knob, cond in (spec.get("when") or {}).items():
            pairs += [(cond_knob, v) for v in (cond if isinstance(cond, list) else [cond])]
    pairs += [item for entry in data["reference"].get("published") or [] for item in (entry.get("set") or {}).items()]
    for knob, value in pairs:
        assert knob in known, f"{name}: unknown knob {knob!r}"
        if knob in DOMAINS:
            assert value in DOMAINS[knob], f"{name}: {knob}={value!r} not in {sorted(map(str, DOMAINS[knob]))}"
        if knob == "staa.tsrd_p":
            assert 0.0 <= value <= 1.0


@pytest.mark.parametrize("name", PAPER_SPACES)
def test_reference_gives_the_paper_setting_and_an_override(name):
    data = load(name)
    reference = data["reference"]
    assert reference["source"] and {"dataset", "backbone"} <= set(reference["setting"])
    assert "--set dataset=" in reference["override"] and "--set epochs=" in reference["override"]
    assert "--set" in data["description"] or "--set" in builtin_text(name).split("study:")[0]
    design = data["design"]
    arms = {"baseline", *(arm["name"] for arm in design.get("arms") or [])}
    for entry in reference.get("published") or []:
        assert ("arm" in entry) != ("set" in entry), f"{name}: {entry} needs exactly one of arm / set"
        if "arm" in entry:
            assert entry["arm"] in arms, f"{name}: published arm {entry['arm']!r} is not in the design"
        else:
            for knob, value in entry["set"].items():
                assert value in (design.get("factors") or {}).get(knob, [data["base"].get(knob)]), (
                    f"{name}: published {knob}={value} is not a cell of the grid"
                )
        numbers = {k: v for k, v in entry.items() if k not in ("arm", "set", "setting", "note", "label")}
        assert numbers and all(isinstance(v, (int, float)) for v in numbers.values())


# Published numbers of seed-spec 2.11 / 3.11 that the files carry, pinned against typos.
PINNED = {
    ("fsta_kernel", "k3"): 92.36,
    ("fsta_kernel", "k5"): 92.58,
    ("fsta_kernel", "baseline"): 93.01,
    ("fsta_combination", "parallel"): 70.83,
    ("fsta_combination", "serial_channel"): 72.68,
    ("staa_blocks", "baseline"): 72.30,
    ("staa_blocks", "full"): 75.10,
    ("staa_blocks", "gc_pe_sa"): 74.78,
}


def test_pinned_published_numbers():
    for (name, arm), accuracy in PINNED.items():
        entries = [e for e in load(name)["reference"]["published"] if e.get("arm") == arm]
        assert [e["accuracy_pct"] for e in entries] == [accuracy]


def test_ablation_sizes():
    """Arms per design as the papers define them (Table 6: 3 kernels; Table 4: 6 rows; p = 0 .. 1.0; 5 ratios)."""
    sizes = {
        name: 1 + len(load(name)["design"]["arms"])
        for name in PAPER_SPACES
        if load(name)["design"]["kind"] == "ablation"
    }
    assert sizes == {
        "fsta_kernel": 3,
        "fsta_combination": 3,
        "staa_blocks": 6,
        "staa_tsrd_p": 11,
        "staa_gc_ratio": 5,
        "staa_pe": 6,
        "dta_branches": 4,
    }
    p_values = sorted(arm["set"]["staa.tsrd_p"] for arm in load("staa_tsrd_p")["design"]["arms"])
    assert p_values == pytest.approx([0.1 * i for i in range(1, 11)])


def test_every_builtin_file_validates_against_the_study_schema():
    """Full validation by the control plane (every knob, design and domain), with no warnings of unused knobs."""
    from spikesweep.platform.study.validation import load_study

    folder = resources.files("spikesweep").joinpath("search_spaces")
    for name in builtin_names():
        with resources.as_file(folder.joinpath(f"{name}.yaml")) as path:
            loaded = load_study(str(path))  # raises UserError on any problem
        assert loaded.specs or loaded.study.design.kind == "search", name
        assert loaded.warnings == [], (name, loaded.warnings)


def test_spaces_command_lists_and_shows(capsys):
    assert main(["spaces", "--json"]) == 0
    listed = {item["name"]: item for item in json.loads(capsys.readouterr().out)}
    assert set(PAPER_SPACES) <= set(listed)
    assert listed["staa_blocks"]["design"] == "ablation" and "Table 4" in listed["staa_blocks"]["summary"]
    assert main(["spaces"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in PAPER_SPACES)
    assert main(["spaces", "show", "fsta_kernel"]) == 0
    assert capsys.readouterr().out == builtin_text("fsta_kernel")
    assert main(["spaces", "--json", "show", "fsta_kernel.yaml"]) == 0
    assert json.loads(capsys.readouterr().out)["study"] == "fsta_kernel"


def test_spaces_show_unknown_name_exits_2(capsys):
    assert main(["spaces", "show", "fsta_kernal"]) == 2
    err = capsys.readouterr().err
    assert "fsta_kernal" in err and "fsta_kernel" in err


def test_listing_summaries_are_first_sentences():
    from spikesweep.platform.cli.commands.spaces import describe, first_sentence

    assert (
        first_sentence("p = 0.1, 0.2 ... 1.0 against p = 0. Default: digits.") == "p = 0.1, 0.2 ... 1.0 against p = 0."
    )
    summary = describe("staa_tsrd_p")["summary"]
    assert summary.startswith("STAA: TSRD probability") and summary.endswith("(22 trials).")


def test_a_builtin_study_is_found_by_name_where_no_file_of_that_name_is(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "fsta_kernel"]) == 0
    assert "ok: study 'fsta_kernel', design ablation, 9 trials" in capsys.readouterr().out
    assert main(["validate", "fsta_kernal"]) == 2
    err = capsys.readouterr().err
    assert "fsta_kernal: no such study file or built-in study (allowed: a path to a YAML file, or one of" in err
    (tmp_path / "fsta_kernel").write_text("study: mine\ndesign: {kind: grid, factors: {timesteps: [1, 2]}}\n")
    assert main(["validate", "fsta_kernel"]) == 0  # a file of that name wins
    assert "study 'mine'" in capsys.readouterr().out
