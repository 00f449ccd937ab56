"""Registries (spikesweep/workers/registry.py, registries.py): one registration shape carrying knobs,
leave-one-out switches and cross-knob checks, declared in the schema and removed with the plug-in."""

import pytest
import torch

from spikesweep.workers import (
    ATTENTIONS,
    DATASETS,
    KNOBS,
    KnobError,
    PluginRegistry,
    build_model,
    check_config,
    leave_one_out_switches,
    resolve,
)
from spikesweep.workers.attention.base import Attention
from spikesweep.workers.data.base import data_dir_datasets, event_datasets
from spikesweep.workers.knobs import CHECKS, Knob


class Doubling(Attention):
    """A toy attention module: every activation sees twice its input current."""

    def wrap_neuron(self, config, channels, make_neuron, stem=False):
        neuron = make_neuron(config, channels)
        return torch.nn.Sequential(Scale(config["toy.gain"]), neuron) if config["toy.on"] else neuron


class Scale(torch.nn.Module):
    def __init__(self, gain: float) -> None:
        super().__init__()
        self.gain = gain

    def forward(self, x):
        return self.gain * x


def toy_problems(config):
    if config["toy.gain"] > 1 and config["timesteps"] > 4:
        return [("toy.gain", f"{config['toy.gain']} with timesteps {config['timesteps']} (allowed: <= 1 above T = 4)")]
    return []


TOY_KNOBS = (
    Knob("toy.gain", float, 2.0, "gain", low=0.0, high=10.0, when={"attention": ("toy",)}, owner="toy"),
    Knob("toy.on", bool, True, "switch", when={"attention": ("toy",)}, owner="toy"),
)


def test_a_registration_declares_its_knobs_and_checks_and_takes_them_along():
    checks_before = list(CHECKS)
    with ATTENTIONS.scoped():
        ATTENTIONS.add(
            "toy", Doubling(), knobs=TOY_KNOBS, leave_one_out={"toy": {"toy.on": False}}, checks=(toy_problems,)
        )
        entry = ATTENTIONS.registration("toy")
        assert entry.knobs == TOY_KNOBS and entry.leave_one_out == {"toy": {"toy.on": False}}
        assert {"toy.gain", "toy.on"} <= set(KNOBS) and "toy" in KNOBS["attention"].choice_values()
        assert leave_one_out_switches("toy") == {"toy": {"toy.on": False}}
        with pytest.raises(KnobError) as error:
            resolve({"attention": "toy", "timesteps": 6})
        assert error.value.problems == [("toy.gain", "2.0 with timesteps 6 (allowed: <= 1 above T = 4)")]
        assert check_config({**resolve({"timesteps": 6}), "toy.gain": 2.0}) == []  # only where attention is toy
        model = build_model({"attention": "toy", "toy.gain": 3.0}, (1, 8, 8), 2)
        assert [m.gain for m in model.modules() if isinstance(m, Scale)] == [3.0, 3.0]
    assert "toy" not in ATTENTIONS and "toy.gain" not in KNOBS and checks_before == CHECKS


def test_registering_twice_or_a_knob_twice_is_refused_without_a_trace():
    with pytest.raises(ValueError, match="registered twice"):
        ATTENTIONS.add("fsta", Doubling())
    with pytest.raises(ValueError, match="'fsta.dct_kernel' is declared twice"):
        ATTENTIONS.add("toy", Doubling(), knobs=(TOY_KNOBS[0], KNOBS["fsta.dct_kernel"]))
    assert "toy" not in ATTENTIONS and "toy.gain" not in KNOBS


def test_unknown_names_suggest_the_nearest():
    with pytest.raises(KeyError, match="unknown attention module .dtaa. .*did you mean .dta."):
        ATTENTIONS.get("dtaa")


def test_names_where_is_a_live_view():
    registry: PluginRegistry[int] = PluginRegistry("number")
    odd = registry.names_where(lambda n: n % 2 == 1)
    assert list(odd) == []
    registry.add("one", 1)
    registry.add("two", 2)
    registry.add("three", 3)
    assert tuple(odd) == ("one", "three") and "three" in odd and "two" not in odd and len(odd) == 2


def test_leave_one_out_switches_live_with_their_modules():
    assert leave_one_out_switches("staa") == {
        "staa.gc": {"staa.gc": False},
        "staa.pe": {"staa.pe": "none"},
        "staa.step_attention": {"staa.step_attention": False},
        "staa.tsrd": {"staa.tsrd_p": 0.0},
    }
    assert leave_one_out_switches("dta") == {"dta.txa": {"dta.branches": "tna"}, "dta.tna": {"dta.branches": "txa"}}
    assert leave_one_out_switches("none") == {}
    assert sorted(leave_one_out_switches()) == [
        "dta.tna",
        "dta.txa",
        "fsta",
        "staa.gc",
        "staa.pe",
        "staa.step_attention",
        "staa.tsrd",
    ]


@pytest.mark.parametrize("attention", ATTENTIONS.names())
def test_every_switch_sets_declared_knobs_to_valid_values_that_change_the_configuration(attention):
    baseline = resolve({"attention": attention})
    for submodule, changes in leave_one_out_switches(attention).items():
        assert set(changes) <= set(KNOBS), submodule
        switched = resolve({"attention": attention, **changes})
        assert any(switched[name] != baseline[name] for name in changes), submodule


def test_staa_cross_check():
    with pytest.raises(KnobError) as error:
        resolve({"attention": "staa", "staa.lif_param": "tau_style", "staa.m_init": 0.0})
    assert error.value.problems == [
        (
            "staa.m_init",
            "0 makes the tau-style leak 1 - 1/M infinite (allowed: a non-zero value with staa.lif_param tau_style)",
        )
    ]
    assert resolve({"attention": "staa", "staa.m_init": 0.0})["staa.m_init"] == 0.0  # literal: M = 0 is allowed


def test_event_datasets_come_from_the_registrations():
    assert tuple(event_datasets()) == ("cifar10_dvs", "dvs_gesture", "neuro_digits", "nmnist")
    assert tuple(data_dir_datasets()) == ("cifar10", "cifar100", "cifar10_dvs", "dvs_gesture", "nmnist")


@pytest.mark.parametrize("dataset", DATASETS.names())
def test_dataset_knobs_apply_by_the_datasets_kind(dataset):
    spec = DATASETS.get(dataset)
    config = resolve({"dataset": dataset})
    assert KNOBS["events.denoise_us"].is_used(config) == (spec.kind == "event")
    assert KNOBS["data.download"].is_used(config) == (spec.check is not None)
