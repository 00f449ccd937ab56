"""The knob schema: coercion, domains, defaults, unused-knob reports and the derived pydantic model."""
import pytest
from pydantic import ValidationError

from spikesweep.workers import KNOBS, KnobError, resolve
from spikesweep.workers.knobs import Knob, check_values, config_model, relevant, unused


def test_resolve_fills_defaults_and_coerces():
    config = resolve({"timesteps": 2, "lr": 1})
    assert config["timesteps"] == 2
    assert config["lr"] == 1.0 and isinstance(config["lr"], float)
    assert config["dataset"] == KNOBS["dataset"].default
    assert set(config) == set(KNOBS)


@pytest.mark.parametrize("name, value, fragment", [
    ("timesteps", "4", "expected an integer, got str '4'"),
    ("timesteps", 0, "0 is out of range (allowed: int in [1, 64])"),
    ("timesteps", True, "expected an integer"),
    ("optimizer", "rmsprop", "'rmsprop' is not a valid choice (allowed: 'sgd' | 'adam' | 'adamw')"),
    ("lr", float("nan"), "expected a finite number"),
    ("momentum", "high", "expected a number"),
])
def test_bad_values_name_the_knob_and_the_domain(name, value, fragment):
    with pytest.raises(KnobError) as caught:
        resolve({name: value})
    (problem_name, message), = caught.value.problems
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


def test_config_model_is_derived_from_the_schema():
    model = config_model()
    ok = model.model_validate({"timesteps": 3})
    assert ok.model_dump(by_alias=True)["timesteps"] == 3
    with pytest.raises(ValidationError):
        model.model_validate({"timesteps": 100})
    with pytest.raises(ValidationError):
        model.model_validate({"optimizer": "rmsprop"})
    with pytest.raises(ValidationError):
        model.model_validate({"not_a_knob": 1})
