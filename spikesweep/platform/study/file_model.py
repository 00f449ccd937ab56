"""The study file: pydantic models of its structure and the knob checks of every value in it.

Problems come back as one line each, `FILE: key.path: what is wrong (allowed: ...)`; nothing here writes anything.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from ..stores.paths import name_problem
from . import yaml_rules

OBJECTIVE_METRICS = ("accuracy", "energy_mj", "firing_rate", "val_loss", "params")
DIRECTIONS = ("max", "min")
NAME_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_STUDY_NAME = 120
MAX_SEED = 2**31 - 1  # the seed knob's range
MAX_PROBLEM_LINES = 50


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class GridDesign(_Strict):
    """Full factorial over `factors` (knob -> list of values)."""

    kind: Literal["grid"]
    factors: dict[str, list[Any]] = Field(min_length=1)

    @field_validator("factors")
    @classmethod
    def _non_empty_lists(cls, factors: dict[str, list[Any]]) -> dict[str, list[Any]]:
        empty = [name for name, values in factors.items() if not values]
        if empty:
            raise ValueError(f"factor {empty[0]} has no values (allowed: a non-empty list)")
        return factors


class Arm(_Strict):
    """One ablation arm: a name and the knobs it changes relative to the baseline."""

    name: str = Field(pattern=r"^[^\s].*$")
    set: dict[str, Any] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name_is_a_file_name(cls, name: str) -> str:
        problem = name_problem(name, "arm name")
        if problem:
            raise ValueError(problem)
        return name


class AblationDesign(_Strict):
    """A baseline shared by every arm; arms each change one thing; `leave_one_out` generates arms."""

    kind: Literal["ablation"]
    baseline: dict[str, Any] = Field(default_factory=dict)
    arms: list[Arm] = Field(default_factory=list)
    leave_one_out: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_arms(self) -> AblationDesign:
        if not self.arms and not self.leave_one_out:
            raise ValueError("an ablation needs `arms` or `leave_one_out` (allowed: a list of {name, set})")
        names = [arm.name for arm in self.arms]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"arm names must be unique, {duplicates[0]!r} repeats")
        return self


class Distribution(_Strict):
    """One searched knob: exactly one of choice / int / float / log, optionally `when` it is sampled."""

    choice: list[Any] | None = Field(None, min_length=1)
    int_: list[int] | None = Field(None, alias="int", min_length=2, max_length=2)
    float_: list[float] | None = Field(None, alias="float", min_length=2, max_length=2)
    log: list[float] | None = Field(None, min_length=2, max_length=2)
    when: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Distribution:
        given = [k for k in ("choice", "int_", "float_", "log") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one distribution (allowed: choice: [...] | int: [lo, hi] | "
                "float: [lo, hi] | log: [lo, hi])"
            )
        bounds = self.int_ or self.float_ or self.log
        if bounds is not None and not bounds[0] < bounds[1]:
            raise ValueError(f"bounds {bounds} are not increasing (allowed: [lo, hi] with lo < hi)")
        if self.log is not None and self.log[0] <= 0:
            raise ValueError(f"log bounds must be positive, got {self.log[0]}")
        return self

    def when_allows(self, config: dict[str, Any]) -> bool:
        """Whether this knob is sampled given the values so far (`when` values may be one value or a list)."""
        for knob, wanted in (self.when or {}).items():
            allowed = wanted if isinstance(wanted, list) else [wanted]
            if config.get(knob) not in allowed:
                return False
        return True


class SearchDesign(_Strict):
    """Optuna multi-objective search over `space`."""

    kind: Literal["search"]
    space: dict[str, Distribution] = Field(min_length=1)
    sampler: Literal["tpe", "nsga2", "random"] = "tpe"
    n_trials: int = Field(ge=1, le=100_000)
    points_to_evaluate: list[dict[str, Any]] = Field(default_factory=list)


class Resources(_Strict):
    """CPUs and GPU per trial; `gpu: auto` (the default) packs trials by a probe of their memory and step time on
    GPU clusters (`run/packing.py`) and uses no GPU where the cluster has none."""

    cpu: float = Field(1.0, gt=0)
    gpu: float | Literal["auto"] = "auto"

    @field_validator("gpu", mode="before")
    @classmethod
    def _gpu_share(cls, value: Any) -> Any:
        if value == "auto":
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
            if value > 1 and value != int(value):
                raise ValueError(f"{value!r} GPUs (allowed: a share below 1, or a whole number of GPUs)")
            return value
        raise ValueError(f"{value!r} is not a GPU share (allowed: auto | a finite number >= 0)")


MOASHA_ONLY = ("rank", "tie_break", "bootstrap", "protect")


class Scheduler(_Strict):
    """Early stopping: none, `asha` (accuracy only, Ray's) or `moasha` (all objectives, `run/moasha.py`)."""

    kind: Literal["none", "asha", "moasha"] = "none"
    grace_epochs: int = Field(1, ge=1)
    reduction_factor: float = Field(2.0, gt=1)
    rank: Literal["nsga2", "epsnet"] = "nsga2"
    tie_break: Literal["crowding", "hypervolume"] = "crowding"
    bootstrap: int = Field(3, ge=1)
    protect: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _moasha_fields(self) -> Scheduler:
        extra = [name for name in MOASHA_ONLY if name in self.model_fields_set and self.kind != "moasha"]
        if extra:
            raise ValueError(
                f"{extra[0]} applies to kind moasha only (allowed with {self.kind}: "
                "kind, grace_epochs, reduction_factor)"
            )
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> dict[str, Any]:
        """Stored without the moasha-only fields unless the kind is moasha (other studies' files stay as they were)."""
        data = handler(self)
        if self.kind != "moasha":
            for name in MOASHA_ONLY:
                data.pop(name, None)
        return data


Design = Annotated[GridDesign | AblationDesign | SearchDesign, Field(discriminator="kind")]
DESIGN_KINDS = ("grid", "ablation", "search")


class StudyFile(_Strict):
    """A whole study file, structurally valid (knob values are checked separately against the schema)."""

    study: str = Field(pattern=NAME_PATTERN, max_length=MAX_STUDY_NAME)
    description: str = ""
    base: dict[str, Any] = Field(default_factory=dict)
    design: Design
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    objectives: dict[str, str] = Field(default_factory=lambda: {"accuracy": "max", "energy_mj": "min"})
    resources: Resources = Field(default_factory=Resources)
    scheduler: Scheduler = Field(default_factory=Scheduler)
    reference: dict[str, Any] | None = None
    data_dir: str | None = None
    max_concurrent: int | None = Field(None, ge=1)
    cache: bool = True  # reuse COMPLETE results of identical trials from any study of the home (`run/cache.py`)
    retries: int = Field(2, ge=0, le=100)  # a trial whose worker or node dies runs again from its checkpoint

    @field_validator("seeds")
    @classmethod
    def _unique_seeds(cls, seeds: list[int]) -> list[int]:
        if len(set(seeds)) != len(seeds) or any(s < 0 or s > MAX_SEED for s in seeds):
            shown = str(seeds) if len(str(seeds)) <= 80 else str(seeds)[:77] + "..."
            raise ValueError(f"seeds must be distinct integers in [0, {MAX_SEED}], got {shown}")
        return seeds

    @model_validator(mode="after")
    def _protected_arms_exist(self) -> StudyFile:
        """`scheduler.protect` names arms of an ablation (baseline, its arms, `w/o X` of leave_one_out)."""
        if not self.scheduler.protect or not isinstance(self.design, AblationDesign):
            return self
        arms = ["baseline", *(arm.name for arm in self.design.arms), *(f"w/o {n}" for n in self.design.leave_one_out)]
        unknown = [name for name in self.scheduler.protect if name not in arms]
        if unknown:
            raise ValueError(f"scheduler.protect: unknown arm {unknown[0]!r} (allowed: {' | '.join(arms)})")
        return self

    @field_validator("objectives")
    @classmethod
    def _known_objectives(cls, objectives: dict[str, str]) -> dict[str, str]:
        for name, direction in objectives.items():
            if name not in OBJECTIVE_METRICS:
                raise ValueError(f"unknown objective {name!r} (allowed: {' | '.join(OBJECTIVE_METRICS)})")
            if direction not in DIRECTIONS:
                raise ValueError(f"objective {name}: direction {direction!r} (allowed: max | min)")
        if not objectives:
            raise ValueError("at least one objective is needed (allowed: accuracy: max, energy_mj: min)")
        return objectives


def printable(text: str, limit: int = 200) -> str:
    """`text` with control characters escaped and cut to `limit` characters (for one-line messages)."""
    if text.isprintable() and len(text) <= limit:
        return text
    escaped = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[: limit + 1])
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."


@dataclass
class Problems:
    """Errors and warnings found in one file, each already formatted as one line (at most MAX_PROBLEM_LINES
    errors are kept, then one line counts the rest)."""

    file: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set, repr=False)
    more: int = 0

    def _line(self, path: str, message: str) -> str:
        where = printable(str(self.file), 300)
        return (
            f"{where}: {printable(path)}: {printable(message, 400)}" if path else f"{where}: {printable(message, 400)}"
        )

    def error(self, path: str, message: str) -> None:
        line = self._line(path, message)
        if line in self._seen:
            return
        self._seen.add(line)
        if len(self.errors) < MAX_PROBLEM_LINES:
            self.errors.append(line)
        else:
            self.more += 1

    def warn(self, path: str, message: str) -> None:
        line = self._line(path, message)
        if line not in self.warnings and len(self.warnings) < MAX_PROBLEM_LINES:
            self.warnings.append(line)

    def report(self) -> str:
        """The error lines, with a last line counting those left out."""
        extra = [f"{printable(str(self.file), 300)}: ... and {self.more} more problems"] if self.more else []
        return "\n".join(self.errors + extra)


def parse_yaml(text: str, problems: Problems) -> Any:
    """Load the file under the study-file YAML rules (`yaml_rules`), turning a problem into one line."""
    try:
        return yaml_rules.load(text)
    except yaml_rules.YamlRuleError as error:
        problems.error(f"line {error.line}" if error.line else "", f"{error.message}")
        return None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        what = getattr(error, "problem", None) or str(error).splitlines()[0]
        problems.error(where, f"malformed YAML: {what} (allowed: a YAML mapping)")
        return None


def apply_overrides(raw: dict[str, Any], overrides: list[str], problems: Problems) -> None:
    """Apply `--set KNOB=VALUE` (VALUE read as YAML) to `base`."""
    base = raw.setdefault("base", {})
    if not isinstance(base, dict):
        return
    for item in overrides:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            problems.error(f"--set {item}", "expected KNOB=VALUE (allowed: e.g. --set epochs=2)")
            continue
        try:
            base[name.strip()] = yaml_rules.load(text)
        except yaml_rules.YamlRuleError as error:
            problems.error(f"--set {name.strip()}", error.message)
        except yaml.YAMLError:
            base[name.strip()] = text


def format_location(loc: tuple) -> str:
    """('design', 'grid', 'factors', 'timesteps', 1) -> 'design.factors.timesteps[1]' (union tags dropped)."""
    parts: list[str] = []
    for i, item in enumerate(loc):
        if i == 1 and loc[0] == "design" and item in DESIGN_KINDS:
            continue
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def _unwrap_optional(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (Union, types.UnionType) and len(args) == 1:
        return args[0]
    return annotation


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model class that holds the last element of `loc` (to list the fields allowed there)."""
    items = [item for i, item in enumerate(loc) if not (i == 1 and loc[0] == "design" and item in DESIGN_KINDS)]
    kinds = {"grid": GridDesign, "ablation": AblationDesign, "search": SearchDesign}
    current: Any = StudyFile
    i = 0
    while i < len(items) - 1:
        item = items[i]
        if current is StudyFile and item == "design":
            current = kinds.get(loc[1]) if len(loc) > 1 else None
            i += 1
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        fields = {f.alias or name: f for name, f in current.model_fields.items()}
        if item not in fields:
            return None
        current = _unwrap_optional(fields[item].annotation)
        i += 1
        while typing.get_origin(current) in (list, dict) and i < len(items) - 1:
            current = _unwrap_optional(typing.get_args(current)[-1])
            i += 1
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


BOUND_WORDS = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}
TYPE_WORDS = {
    "list_": "a list",
    "dict_": "a mapping",
    "model_": "a mapping",
    "int_": "an integer",
    "float_": "a number",
    "string_": "a string",
    "bool_": "true or false",
}


def _structure_message(error: Any) -> str:
    kind, loc, ctx = error["type"], error["loc"], error.get("ctx") or {}
    got = error.get("input")
    if kind == "missing":
        return "missing field (required)"
    if kind == "extra_forbidden":
        model = _model_at(loc)
        allowed = " | ".join(f.alias or n for n, f in model.model_fields.items()) if model else "see the README"
        return f"unknown field (allowed: {allowed})"
    if kind == "union_tag_invalid":
        return f"unknown design kind {ctx.get('tag')!r} (allowed: {' | '.join(DESIGN_KINDS)})"
    if kind == "union_tag_not_found":
        return f"missing field kind (allowed: {' | '.join(DESIGN_KINDS)})"
    if kind == "literal_error":
        return f"{got!r} is not allowed (allowed: {ctx.get('expected', '').replace(' or ', ', ')})"
    if kind == "string_pattern_mismatch" and loc == ("study",):
        return f"{got!r} is not a valid study name (allowed: letters, digits, - and _)"
    if kind in BOUND_WORDS:
        word, key = BOUND_WORDS[kind]
        return f"{got!r} is out of range (allowed: {word} {ctx.get(key)})"
    if kind == "too_short":
        return f"has {ctx.get('actual_length')} entries (allowed: at least {ctx.get('min_length')})"
    if kind == "too_long":
        return f"has {ctx.get('actual_length')} entries (allowed: at most {ctx.get('max_length')})"
    expected = next((word for prefix, word in TYPE_WORDS.items() if kind.startswith(prefix)), None)
    if expected:
        return f"expected {expected}, got {type(got).__name__} {got!r}"
    return error["msg"].removeprefix("Value error, ")


def check_structure(raw: Any, problems: Problems) -> StudyFile | None:
    """Validate the file's structure with pydantic; record one line per problem."""
    if raw is None:
        problems.error("", "the file is empty (allowed: a YAML mapping with study, design and the other fields)")
        return None
    if not isinstance(raw, dict):
        problems.error(
            "",
            f"expected a mapping of study fields, got {type(raw).__name__} "
            "(allowed: study, description, base, design, seeds, objectives, resources, scheduler, ...)",
        )
        return None
    try:
        return StudyFile.model_validate(raw)
    except ValidationError as error:
        for item in error.errors():
            problems.error(format_location(item["loc"]), _structure_message(item))
        return None


__all__ = [
    "NAME_PATTERN",
    "OBJECTIVE_METRICS",
    "AblationDesign",
    "Arm",
    "Distribution",
    "GridDesign",
    "Problems",
    "Resources",
    "Scheduler",
    "SearchDesign",
    "StudyFile",
    "apply_overrides",
    "check_structure",
    "parse_yaml",
]
