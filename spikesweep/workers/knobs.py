"""The knob schema: every knob a trial reads, declared once with its type, domain, default and owner, and the
cross-knob checks that relate them.

Plug-ins declare their knobs and checks in their registration (`PluginRegistry.register`); other modules use
`declare(...)` next to their code. Validation, the study-file checker, search-space building, MLflow params,
exports and the docs all derive from `KNOBS`. A configuration is a flat mapping `{"fsta.dct_kernel": 7, ...}`;
`resolve` is the one validation path and returns a read-only `Config`, which inner code takes as checked.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Union

Choices = Union[tuple, Callable[[], Iterable[Any]]]
Problems = list[tuple[str, str]]


@dataclass(frozen=True)
class Knob:
    """One configurable quantity of a trial.

    `choices` may be a callable (e.g. a registry's names) so that plug-ins registered later are allowed.
    `when` maps other knobs to the values under which this knob is read (`{"attention": ("fsta",)}`; a value
    sequence may be a live view such as `DATASETS.names_where(...)`); a knob set where it is not read is
    reported as unused.
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
    when: Mapping[str, Sequence[Any]] | None = None
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
    """Add knobs to the schema; each name may be declared once (all or none of them are added)."""
    names = [knob.name for knob in knobs]
    for name in names:
        if name in KNOBS or names.count(name) > 1:
            raise ValueError(f"knob {name!r} is declared twice")
    for knob in knobs:
        KNOBS[knob.name] = knob


def undeclare(*names: str) -> None:
    """Remove knobs from the schema (a plug-in that is unregistered takes its knobs along)."""
    for name in names:
        KNOBS.pop(name, None)


@dataclass(frozen=True)
class CrossCheck:
    """A check relating several knobs: `check(config)` lists (knob, message) problems of a full configuration.

    It runs only where `when` holds (same form as `Knob.when`); each message says what was found and what is
    allowed, like the per-knob messages.
    """

    check: Callable[[Mapping[str, Any]], Problems]
    when: Mapping[str, Sequence[Any]] | None = None
    owner: str = "core"

    def applies(self, config: Mapping[str, Any]) -> bool:
        return all(config.get(key) in values for key, values in (self.when or {}).items())


CHECKS: list[CrossCheck] = []


def declare_check(check: CrossCheck) -> CrossCheck:
    """Add a cross-knob check to the schema."""
    CHECKS.append(check)
    return check


def undeclare_check(check: CrossCheck) -> None:
    CHECKS.remove(check)


def check_config(config: Mapping[str, Any]) -> Problems:
    """Every cross-knob problem of a full configuration (all knobs present), as (knob, message) pairs.

    Only the checks that apply to it run: a plug-in's checks apply where the configuration selects the plug-in.
    """
    problems: Problems = []
    for cross in CHECKS:
        if cross.applies(config):
            problems.extend(cross.check(config))
    return problems


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


class Config(dict):
    """A resolved configuration: every knob, each checked and coerced, cross-knob checks passed.

    Read-only, so that it stays checked: `resolve(config)` returns it as it is, and code that receives one does
    not check it again. To change a knob, resolve a new mapping (`resolve({**config, "timesteps": 2})`).
    """

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a resolved Config is read-only (resolve a new mapping, e.g. resolve({**config, ...}))")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self) -> tuple[Any, ...]:  # pickle/copy rebuild it whole (item-wise setting is refused)
        return (Config, (dict(self),))


def resolve(values: Mapping[str, Any]) -> Config:
    """Full configuration: defaults overlaid with `values`, each knob and every cross-knob check passed.

    Raises KnobError listing every problem. A `Config` (already resolved) is returned unchanged.
    """
    if isinstance(values, Config):
        return values
    coerced, problems = check_values(values)
    if problems:
        raise KnobError(problems)
    full = defaults()
    full.update(coerced)
    problems = check_config(full)
    if problems:
        raise KnobError(problems)
    return Config(full)


def unused(values: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """Knobs set explicitly in `values` that the resolved `config` does not read."""
    return sorted(name for name in values if name in KNOBS and not KNOBS[name].is_used(config))


def relevant(config: Mapping[str, Any]) -> dict[str, Any]:
    """The knobs of a resolved configuration that it actually reads (for params tables and exports)."""
    return {name: value for name, value in config.items() if name in KNOBS and KNOBS[name].is_used(config)}


__all__ = [
    "CHECKS",
    "KNOBS",
    "Config",
    "CrossCheck",
    "Knob",
    "KnobError",
    "check_config",
    "check_values",
    "declare",
    "declare_check",
    "defaults",
    "relevant",
    "resolve",
    "undeclare",
    "undeclare_check",
    "unused",
]
