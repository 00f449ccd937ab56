"""A new attention module is one file: the toy plug-in in tests/platform/plugins/ is registered, validated
(good and bad cross-knob values) and expanded into its leave-one-out arms, with no change to spikesweep."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from spikesweep.platform.cli import main
from spikesweep.platform.study.validation import load_study
from spikesweep.workers import ATTENTIONS, KNOBS, build_model, leave_one_out_switches

PLUGIN = Path(__file__).parent / "plugins" / "toy_attention.py"


@pytest.fixture
def toy():
    """The toy plug-in, registered for one test only (its knobs and checks leave with it)."""
    with ATTENTIONS.scoped():
        spec = importlib.util.spec_from_file_location("toy_attention", PLUGIN)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        try:
            spec.loader.exec_module(module)
            yield module
        finally:
            sys.modules.pop(spec.name, None)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "toy.yaml"
    path.write_text(textwrap.dedent(text))
    return path


ABLATION = """\
    study: toy_ablation
    base: {attention: toy, timesteps: 4, epochs: 1, toy.window: 3}
    design:
      kind: ablation
      leave_one_out: [toy.gate, toy.window]
    seeds: [0, 1]
    """


def test_the_plugin_registers_its_knobs_switches_and_check(toy):
    assert "toy" in KNOBS["attention"].choice_values()
    assert KNOBS["toy.window"].owner == "toy"
    assert leave_one_out_switches("toy") == {"toy.gate": {"toy.gate": False}, "toy.window": {"toy.window": 1}}
    model = build_model({"attention": "toy", "timesteps": 3}, (1, 8, 8), 4)
    filters = [m for m in model.modules() if isinstance(m, toy.ToyFilter)]
    assert len(filters) == 2 and all(f.window == 2 and f.gate is not None for f in filters)
    ramp = torch.arange(1.0, 5.0).reshape(4, 1, 1, 1, 1)  # steps 1, 2, 3, 4: means over the last two steps
    assert toy.ToyFilter(1, gate=False, window=2)(ramp).flatten().tolist() == [1.0, 1.5, 2.5, 3.5]


def test_a_study_using_the_plugin_validates(toy, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPIKESWEEP_HOME", str(tmp_path / "home"))
    study = write(tmp_path, ABLATION)
    assert main(["validate", str(study)]) == 0
    assert f"{study}: ok: study 'toy_ablation', design ablation, 6 trials" in capsys.readouterr().out


@pytest.mark.parametrize(
    "text,expected",
    [
        (ABLATION.replace("toy.window: 3", "toy.window: 6"), "base.toy.window: 6 exceeds timesteps 4 (allowed: 1..4)"),
        (
            ABLATION.replace("timesteps: 4", "timesteps: 2"),  # the check sees the resolved configuration
            "base.toy.window: 3 exceeds timesteps 2 (allowed: 1..2)",
        ),
        (
            ABLATION.replace("toy.window]", "toy.windw]"),
            "design.leave_one_out[1]: unknown submodule 'toy.windw' (allowed: dta.tna | dta.txa | fsta | staa.gc | "
            "staa.pe | staa.step_attention | staa.tsrd | toy.gate | toy.window)",
        ),
    ],
)
def test_bad_values_for_the_plugin_exit_2_naming_the_knob(toy, tmp_path, monkeypatch, capsys, text, expected):
    monkeypatch.setenv("SPIKESWEEP_HOME", str(tmp_path / "home"))
    study = write(tmp_path, text)
    assert main(["validate", str(study)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"{study}: {expected}"]


def test_the_ablation_expands_into_the_plugins_leave_one_out_arms(toy, tmp_path):
    loaded = load_study(str(write(tmp_path, ABLATION)))
    by_arm: dict[str, list] = {}
    for spec in loaded.specs:
        by_arm.setdefault(spec.arm, []).append(spec)
    assert list(by_arm) == ["baseline", "w/o toy.gate", "w/o toy.window"]
    assert all([s.seed for s in specs] == [0, 1] for specs in by_arm.values())
    baseline = by_arm["baseline"][0].config
    assert baseline["attention"] == "toy" and baseline["toy.gate"] is True and baseline["toy.window"] == 3
    for arm, changed in (("w/o toy.gate", {"toy.gate": False}), ("w/o toy.window", {"toy.window": 1})):
        spec = by_arm[arm][0]
        assert spec.changed == changed
        assert spec.config == {**baseline, **changed}


def test_the_plugin_does_not_leak_into_other_tests():
    assert "toy" not in ATTENTIONS and "toy.window" not in KNOBS and "toy_attention" not in sys.modules
    assert "toy.gate" not in leave_one_out_switches()
