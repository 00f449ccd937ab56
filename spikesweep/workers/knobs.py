"""The knob schema: every knob a trial reads, declared once with its type, domain, default and owner.

Plug-in modules (neurons, backbones, attention modules, datasets, energy) declare their own knobs with
`declare(...)` next to their code. Validation, the study-file checker, search-space building, MLflow params,
exports and the docs all derive from `KNOBS`. A configuration is a flat dict `{"fsta.dct_kernel": 7, ...}`.
"""
from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Iterable, Literal, Mapping, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

Choices = Union[tuple, Callable[[], Iterable[Any]]]


@dataclass(frozen=True)
class Knob:
    """One configurable quantity of a trial.

    `choices` may be a callable (e.g. a registry's names) so that plug-ins registered later are allowed.
    `when` maps other knobs to the values under which this knob is read (`{"attention": ("fsta",)}`);
    a knob set where it is not read is reported as unused.
    """

    name: str
    type: type
    default: Any
    help: str
    choices: Choices | None = None
    low: float | None = None
    high: float | None = None
    rule: Callable[[Any], bool] | None = None
    rule_text: str = ""
    when: Mapping[str, tuple] | None = None
    unit: str = ""
    owner: str = "core"

    def choice_values(self) -> tuple | None:
        if self.choices is None:
            return None
        values = self.choices() if callable(self.choices) else self.choices
        return tuple(values)

    def allowed(self) -> str:
        """Human-readable domain, used in every error message."""
        choices = self.choice_values()
        if choices is not None:
            return " | ".join(_fmt(c) for c in choices)
        parts = [self.type.__name__]
        if self.low is not None and self.high is not None:
            parts.append(f"in [{_fmt(self.low)}, {_fmt(self.high)}]")
        elif self.low is not None:
            parts.append(f">= {_fmt(self.low)}")
        elif self.high is not None:
            parts.append(f"<= {_fmt(self.high)}")
        if self.rule_text:
            parts.append(self.rule_text)
        return " ".join(parts)

    def is_used(self, config: Mapping[str, Any]) -> bool:
        if not self.when:
            return True
        return all(config.get(key) in values for key, values in self.when.items())

    def check(self, value: Any) -> tuple[Any, str | None]:
        """Coerce `value` to this knob's type and check its domain: (value, None) or (value, problem)."""
        coerced, problem = _coerce(self.type, value)
        if problem:
            return value, f"{problem} (allowed: {self.allowed()})"
        choices = self.choice_values()
        if choices is not None and coerced not in choices:
            return value, f"{_fmt(value)} is not a valid choice (allowed: {self.allowed()})"
        if (self.low is not None and coerced < self.low) or (self.high is not None and coerced > self.high):
            return value, f"{_fmt(value)} is out of range (allowed: {self.allowed()})"
        if self.rule is not None and not self.rule(coerced):
            return value, f"{_fmt(value)} is not {self.rule_text} (allowed: {self.allowed()})"
        return coerced, None


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        return repr(value)
    return str(value) if isinstance(value, (int, float)) else repr(value)


def _coerce(kind: type, value: Any) -> tuple[Any, str | None]:
    got = f"got {type(value).__name__} {_fmt(value)}"
    if kind is bool:
        return (value, None) if isinstance(value, bool) else (value, f"expected true or false, {got}")
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value), None
            return value, f"expected an integer, {got}"
        return value, None
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value, f"expected a number, {got}"
        if not math.isfinite(value):
            return value, f"expected a finite number, {got}"
        return float(value), None
    if kind is str:
        return (value, None) if isinstance(value, str) else (value, f"expected a string, {got}")
    raise TypeError(f"unsupported knob type {kind}")


KNOBS: dict[str, Knob] = {}


def declare(*knobs: Knob) -> None:
    """Add knobs to the schema; each name may be declared once."""
    for knob in knobs:
        if knob.name in KNOBS:
            raise ValueError(f"knob {knob.name!r} is declared twice")
        KNOBS[knob.name] = knob


class KnobError(ValueError):
    """Bad knob values: `problems` is a list of (knob name, message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))


def unknown_knob_message(name: str) -> str:
    hint = difflib.get_close_matches(name, list(KNOBS), n=1, cutoff=0.6)
    extra = f"; did you mean {hint[0]!r}?" if hint else ""
    return f"unknown knob{extra} (allowed: see `spikesweep knobs`)"


def check_values(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Check knob values one by one: (coerced values, problems)."""
    coerced: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for name, value in values.items():
        knob = KNOBS.get(name)
        if knob is None:
            problems.append((name, unknown_knob_message(name)))
            continue
        value, problem = knob.check(value)
        if problem:
            problems.append((name, problem))
        coerced[name] = value
    return coerced, problems


def defaults() -> dict[str, Any]:
    return {name: knob.default for name, knob in sorted(KNOBS.items())}


def resolve(values: Mapping[str, Any]) -> dict[str, Any]:
    """Full configuration: defaults overlaid with `values`, checked. Raises KnobError listing every problem."""
    coerced, problems = check_values(values)
    if problems:
        raise KnobError(problems)
    config = defaults()
    config.update(coerced)
    return config


def unused(values: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """Knobs set explicitly in `values` that the resolved `config` does not read."""
    return sorted(name for name in values if name in KNOBS and not KNOBS[name].is_used(config))


def relevant(config: Mapping[str, Any]) -> dict[str, Any]:
    """The knobs of a resolved configuration that it actually reads (for params tables and exports)."""
    return {name: value for name, value in config.items() if name in KNOBS and KNOBS[name].is_used(config)}


def config_model() -> type[BaseModel]:
    """A pydantic model of a full trial configuration, derived from the schema (field alias = knob name)."""
    fields: dict[str, Any] = {}
    for name, knob in sorted(KNOBS.items()):
        fields[name.replace(".", "__")] = (_field_type(knob), Field(default=knob.default, alias=name,
                                                                  description=knob.help))
    return create_model("TrialConfig", __config__=ConfigDict(extra="forbid", populate_by_name=False), **fields)


def _field_type(knob: Knob) -> Any:
    choices = knob.choice_values()
    if choices:
        return Literal[choices]  # type: ignore[valid-type]
    constraints: dict[str, Any] = {"strict": knob.type is not float}
    if knob.low is not None:
        constraints["ge"] = knob.low
    if knob.high is not None:
        constraints["le"] = knob.high
    kind: Any = Annotated[knob.type, Field(**constraints)]
    if knob.rule is not None:
        rule, text = knob.rule, knob.rule_text

        def validate(value: Any) -> Any:
            if not rule(value):
                raise ValueError(f"must be {text}")
            return value

        kind = Annotated[kind, AfterValidator(validate)]
    return kind


__all__ = ["Knob", "KNOBS", "KnobError", "declare", "check_values", "defaults", "resolve", "unused", "relevant",
           "config_model", "ValidationError"]
