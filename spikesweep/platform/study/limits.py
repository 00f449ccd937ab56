"""Checks of a raw study file that run before the structure and knob checks: values every field can hold
(finite numbers, printable text, plain YAML types) and limits on how large a study may be.

Both walk the raw mapping without recursion, so a file that breaks them is refused quickly whatever its size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from .file_model import Problems

MAX_TRIALS = 50_000
MAX_VALUES_PER_FACTOR = 1_000
MAX_KEYS = 500  # knobs in base, baseline, an arm's set, the search space, a point to evaluate
MAX_SEEDS = 1_000
MAX_ARMS = 1_000
MAX_POINTS = 1_000
MAX_TEXT_CHARS = 10_000
PLAIN_TYPES = (str, int, float, bool, type(None), dict, list)
ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def _walk(raw: Any) -> Iterator[tuple[str, Any]]:
    """(key path, value) of every value under `raw`, depth first, iteratively."""
    stack: list[tuple[str, Any]] = [("", raw)]
    while stack:
        path, value = stack.pop()
        yield path, value
        if isinstance(value, dict):
            stack.extend((f"{path}.{key}" if path else str(key), item) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(value))))


def control_character(text: str) -> str | None:
    """The first control character of `text` (tab and newlines allowed) as U+XXXX, or None."""
    for char in text:
        if (ord(char) < 32 and char not in ALLOWED_CONTROLS) or 127 <= ord(char) < 160:
            return f"U+{ord(char):04X}"
    return None


def _value_problem(value: Any) -> str | None:
    if not isinstance(value, PLAIN_TYPES):
        return (
            f"a YAML {type(value).__name__} value (allowed: plain values: text, numbers, true/false, lists, mappings)"
        )
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a finite number (allowed: a finite number)"
    if isinstance(value, str):
        if len(value) > MAX_TEXT_CHARS:
            return f"text of {len(value)} characters (allowed: at most {MAX_TEXT_CHARS})"
        control = control_character(value)
        if control:
            return f"contains the control character {control} (allowed: printable text)"
    return None


def check_values(raw: Any, problems: Problems) -> None:
    """Every value of the file is a plain, finite, printable one (keys included)."""
    for path, value in _walk(raw):
        problem = _value_problem(value)
        if problem:
            problems.error(path, problem)
        if isinstance(value, dict):
            for key in value:
                key_problem = _value_problem(key) if isinstance(key, str) else None
                if key_problem:
                    problems.error(f"{path}.{key!r}" if path else repr(key), f"key {key_problem}")


def _sized(raw: dict[str, Any], path: str) -> Any:
    value: Any = raw
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def check_sizes(raw: Any, problems: Problems) -> None:
    """Limits on the number of knobs, values, arms, seeds and trials, checked before anything is expanded."""
    if not isinstance(raw, dict):
        return
    for path, limit, what in (
        ("base", MAX_KEYS, "knobs"),
        ("design.baseline", MAX_KEYS, "knobs"),
        ("design.factors", MAX_KEYS, "factors"),
        ("design.space", MAX_KEYS, "knobs"),
        ("design.arms", MAX_ARMS, "arms"),
        ("design.leave_one_out", MAX_ARMS, "arms"),
        ("design.points_to_evaluate", MAX_POINTS, "points"),
        ("seeds", MAX_SEEDS, "seeds"),
    ):
        value = _sized(raw, path)
        if isinstance(value, (dict, list)) and len(value) > limit:
            problems.error(path, f"{len(value)} {what} (allowed: at most {limit})")
    factors = _sized(raw, "design.factors")
    if isinstance(factors, dict):
        for name, values in factors.items():
            if isinstance(values, list) and len(values) > MAX_VALUES_PER_FACTOR:
                problems.error(
                    f"design.factors.{name}", f"{len(values)} values (allowed: at most {MAX_VALUES_PER_FACTOR})"
                )
    arms = _sized(raw, "design.arms")
    for i, arm in enumerate(arms if isinstance(arms, list) else []):
        knobs = arm.get("set") if isinstance(arm, dict) else None
        if isinstance(knobs, dict) and len(knobs) > MAX_KEYS:
            problems.error(f"design.arms[{i}].set", f"{len(knobs)} knobs (allowed: at most {MAX_KEYS})")
    if not problems.errors:
        trials = trial_count(raw)
        if trials > MAX_TRIALS:
            problems.error(
                "design",
                f"{trials} trials with seeds (allowed: at most {MAX_TRIALS}; use fewer values, arms or seeds, "
                "or a search design with n_trials)",
            )


def trial_count(raw: dict[str, Any]) -> int:
    """Trials a grid or ablation design expands to (before identical configurations merge); 0 for search."""
    seeds = raw.get("seeds", [0])
    copies = len(seeds) if isinstance(seeds, list) else 1
    design = raw.get("design")
    if not isinstance(design, dict):
        return 0
    if design.get("kind") == "grid" and isinstance(design.get("factors"), dict):
        cells = 1
        for values in design["factors"].values():
            cells *= len(values) if isinstance(values, list) and values else 1
        return cells * copies
    if design.get("kind") == "ablation":
        arms, loo = design.get("arms"), design.get("leave_one_out")
        return (1 + (len(arms) if isinstance(arms, list) else 0) + (len(loo) if isinstance(loo, list) else 0)) * copies
    return 0


__all__ = ["MAX_KEYS", "MAX_SEEDS", "MAX_TRIALS", "MAX_VALUES_PER_FACTOR", "check_sizes", "check_values", "trial_count"]
