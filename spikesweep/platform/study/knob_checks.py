"""Knob checks of a raw study file: every knob name and value against the schema, with its key path.

They run on the raw mapping (not the pydantic model) so that knob problems are reported even where the file's
structure has problems too.
"""

from __future__ import annotations

from typing import Any

from ...workers import KNOBS, leave_one_out_switches, unknown_knob_message
from .file_model import Problems


def _check_knob_value(name: str, value: Any, path: str, problems: Problems) -> None:
    knob = KNOBS.get(name)
    if knob is None:
        problems.error(path, unknown_knob_message(name))
        return
    _, problem = knob.check(value)
    if problem:
        problems.error(path, problem)


def _check_mapping(values: Any, path: str, problems: Problems) -> None:
    if isinstance(values, dict):
        for name, value in values.items():
            _check_knob_value(str(name), value, f"{path}.{name}", problems)


def _check_space(space: Any, problems: Problems) -> None:
    if not isinstance(space, dict):
        return
    order = list(space)
    for name, spec in space.items():
        path = f"design.space.{name}"
        knob = KNOBS.get(name)
        if knob is None:
            problems.error(path, unknown_knob_message(name))
            continue
        if not isinstance(spec, dict):
            continue
        if isinstance(spec.get("choice"), list):
            for i, value in enumerate(spec["choice"]):
                _check_knob_value(name, value, f"{path}.choice[{i}]", problems)
        for kind in ("int", "float", "log"):
            bounds = spec.get(kind)
            if not isinstance(bounds, list):
                continue
            if kind == "int" and knob.type is not int:
                problems.error(
                    f"{path}.int",
                    f"knob {name} is a {knob.type.__name__} "
                    f"(allowed: {'choice' if knob.type in (str, bool) else 'float | log'})",
                )
                continue
            if kind != "int" and knob.type is not float:
                problems.error(
                    f"{path}.{kind}",
                    f"knob {name} is a {knob.type.__name__} "
                    f"(allowed: {'int | choice' if knob.type is int else 'choice'})",
                )
                continue
            for i, value in enumerate(bounds):
                _check_knob_value(name, value, f"{path}.{kind}[{i}]", problems)
        raw_when = spec.get("when")
        when: dict[str, Any] = raw_when if isinstance(raw_when, dict) else {}
        for other, wanted in when.items():
            when_path = f"{path}.when.{other}"
            if other not in KNOBS:
                problems.error(when_path, unknown_knob_message(other))
                continue
            for value in wanted if isinstance(wanted, list) else [wanted]:
                _check_knob_value(other, value, when_path, problems)
            if other in space and order.index(other) > order.index(name):
                problems.error(
                    when_path, f"{other} is sampled after {name} (allowed: list {other} before {name} in the space)"
                )


def check_knobs(raw: Any, problems: Problems) -> None:
    """Check every knob name and value in the raw file against the knob schema, with its key path."""
    if not isinstance(raw, dict):
        return
    _check_mapping(raw.get("base"), "base", problems)
    design = raw.get("design")
    if not isinstance(design, dict):
        return
    factors = design.get("factors")
    if isinstance(factors, dict):
        for name, values in factors.items():
            if name not in KNOBS:
                problems.error(f"design.factors.{name}", unknown_knob_message(str(name)))
            elif isinstance(values, list):
                for i, value in enumerate(values):
                    _check_knob_value(name, value, f"design.factors.{name}[{i}]", problems)
    _check_mapping(design.get("baseline"), "design.baseline", problems)
    if isinstance(design.get("arms"), list):
        for i, arm in enumerate(design["arms"]):
            if isinstance(arm, dict):
                _check_mapping(arm.get("set"), f"design.arms[{i}].set", problems)
    if isinstance(design.get("leave_one_out"), list):
        switches = leave_one_out_switches()
        for i, name in enumerate(design["leave_one_out"]):
            change = switches.get(name)
            if change is None:
                problems.error(
                    f"design.leave_one_out[{i}]",
                    f"unknown submodule {name!r} (allowed: {' | '.join(sorted(switches))})",
                )
                continue
            for knob in change:
                if knob not in KNOBS:
                    problems.error(
                        f"design.leave_one_out[{i}]",
                        f"switching off {name} sets knob {knob}, which no installed module declares",
                    )
    _check_space(design.get("space"), problems)
    if isinstance(design.get("points_to_evaluate"), list):
        for i, point in enumerate(design["points_to_evaluate"]):
            _check_mapping(point, f"design.points_to_evaluate[{i}]", problems)
            if isinstance(point, dict) and isinstance(design.get("space"), dict):
                for name in point:
                    if name not in design["space"]:
                        problems.error(
                            f"design.points_to_evaluate[{i}].{name}",
                            f"not in the search space (allowed: {' | '.join(design['space'])})",
                        )
