"""The knob schema: coercion, domains, defaults, unused-knob reports, cross-knob checks and the resolved Config."""

import copy
import pickle

import pytest

from spikesweep.workers import KNOBS, Config, KnobError, check_config, resolve
from spikesweep.workers.knobs import CrossCheck, Knob, check_values, declare_check, relevant, undeclare_check, unused


def test_resolve_fills_defaults_and_coerces():
    config = resolve({"timesteps": 2, "lr": 1})
    assert config["timesteps"] == 2
    assert config["lr"] == 1.0 and isinstance(config["lr"], float)
    assert config["dataset"] == KNOBS["dataset"].default
    assert set(config) == set(KNOBS)


@pytest.mark.parametrize(
    "name, value, fragment",
    [
        ("timesteps", "4", "expected an integer, got str '4'"),
        ("timesteps", 0, "0 is out of range (allowed: int in [1, 64])"),
        ("timesteps", True, "expected an integer"),
        ("optimizer", "rmsprop", "'rmsprop' is not a valid choice (allowed: 'sgd' | 'adam' | 'adamw')"),
        ("lr", float("nan"), "expected a finite number"),
        ("momentum", "high", "expected a number"),
    ],
)
def test_bad_values_name_the_knob_and_the_domain(name, value, fragment):
    with pytest.raises(KnobError) as caught:
        resolve({name: value})
    ((problem_name, message),) = caught.value.problems
    assert problem_name == name
    assert fragment in message


def test_unknown_knob_suggests_the_nearest_name():
    _, problems = check_values({"timestep": 4})
    assert problems == [("timestep", "unknown knob; did you mean 'timesteps'? (allowed: see `spikesweep knobs`)")]


def test_every_problem_is_reported_at_once():
    with pytest.raises(KnobError) as caught:
        resolve({"timesteps": -1, "epochs": "x", "nope": 1})
    assert sorted(name for name, _ in caught.value.problems) == ["epochs", "nope", "timesteps"]


def test_rule_and_text():
    knob = Knob("x.odd", int, 3, "an odd number", low=1, rule=lambda v: v % 2 == 1, rule_text="odd")
    assert knob.check(5) == (5, None)
    value, problem = knob.check(4)
    assert problem == "4 is not odd (allowed: int >= 1 odd)"


def test_unused_knobs_are_reported():
    values = {"optimizer": "adam", "momentum": 0.5}
    config = resolve(values)
    assert unused(values, config) == ["momentum"]
    assert "momentum" not in relevant(config)
    assert relevant(resolve({"optimizer": "sgd"}))["momentum"] == KNOBS["momentum"].default


def test_resolve_returns_a_read_only_config_that_it_passes_through():
    config = resolve({"timesteps": 2})
    assert isinstance(config, Config) and resolve(config) is config
    for change in (
        lambda c: c.__setitem__("timesteps", 3),
        lambda c: c.update(timesteps=3),
        lambda c: c.pop("timesteps"),
        lambda c: c.__delitem__("timesteps"),
    ):
        with pytest.raises(TypeError, match="read-only"):
            change(config)
    assert config["timesteps"] == 2
    changed = resolve({**config, "timesteps": 3})  # the way to change a knob: a new mapping, checked again
    assert changed["timesteps"] == 3 and config["timesteps"] == 2
    for twin in (pickle.loads(pickle.dumps(config)), copy.deepcopy(config), copy.copy(config)):
        assert isinstance(twin, Config) and twin == config
    assert type(dict(config)) is dict


def test_a_cross_knob_check_runs_where_its_condition_holds_and_resolve_raises_its_problems():
    def warmup_within_epochs(config):
        if config["warmup_epochs"] > config["epochs"]:
            return [("warmup_epochs", f"{config['warmup_epochs']} exceeds epochs (allowed: 0..{config['epochs']})")]
        return []

    check = declare_check(CrossCheck(warmup_within_epochs, when={"schedule": ("cosine",)}))
    try:
        bad = {"epochs": 2, "warmup_epochs": 5}
        assert check_config({**resolve({}), **bad}) == [("warmup_epochs", "5 exceeds epochs (allowed: 0..2)")]
        with pytest.raises(KnobError) as caught:
            resolve(bad)
        assert caught.value.problems == [("warmup_epochs", "5 exceeds epochs (allowed: 0..2)")]
        assert resolve({**bad, "schedule": "constant"})["warmup_epochs"] == 5  # the condition does not hold
    finally:
        undeclare_check(check)
    assert resolve(bad)["warmup_epochs"] == 5


def test_per_knob_problems_are_reported_before_cross_knob_checks_run():
    with pytest.raises(KnobError) as caught:  # fsta.dct_kernel 4 is not odd: no cross-check sees it
        resolve({"attention": "fsta", "fsta.dct_kernel": 4, "fsta.freq_select": "topk"})
    assert [name for name, _ in caught.value.problems] == ["fsta.dct_kernel"]
