"""Read and validate a study file completely (structure, knob values, design) before anything is written."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...workers import KNOBS, KnobError, unused
from ..errors import UserError
from ..stores.paths import expand_path, folder_problem
from . import yaml_rules
from .designs import TrialSpec, expand, max_epochs
from .file_model import Problems, StudyFile, apply_overrides, check_structure, parse_yaml, printable
from .knob_checks import check_knobs
from .limits import check_sizes, check_values


@dataclass
class LoadedStudy:
    """A validated study: the typed file, its source text and hash, the expanded trials and the warnings."""

    study: StudyFile
    text: str
    sha256: str
    specs: list[TrialSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def resolved(self) -> dict[str, Any]:
        """The study as stored: overrides applied, defaults filled in."""
        return self.study.model_dump(by_alias=True, mode="json")


def _seed_problems(raw: dict[str, Any], problems: Problems) -> None:
    raw_design = raw.get("design")
    design: dict[str, Any] = raw_design if isinstance(raw_design, dict) else {}
    places = [
        ("base", raw.get("base")),
        ("design.baseline", design.get("baseline")),
        ("design.factors", design.get("factors")),
        ("design.space", design.get("space")),
    ]
    places += [
        (f"design.arms[{i}].set", arm.get("set"))
        for i, arm in enumerate(design.get("arms") or [])
        if isinstance(arm, dict)
    ]
    for path, values in places:
        if isinstance(values, dict) and "seed" in values:
            problems.error(f"{path}.seed", "the seed is not a knob to set here (allowed: list seeds under `seeds:`)")


def _explicit_paths(study: StudyFile) -> dict[str, str]:
    """Knob -> the key path where the file sets it (the design's setting where both base and design do)."""
    explicit_paths = {name: f"base.{name}" for name in study.base}
    design = study.design
    for name in getattr(design, "factors", {}) or {}:
        explicit_paths[name] = f"design.factors.{name}"
    for name in getattr(design, "baseline", {}) or {}:
        explicit_paths[name] = f"design.baseline.{name}"
    for i, arm in enumerate(getattr(design, "arms", []) or []):
        for name in arm.set:
            explicit_paths.setdefault(name, f"design.arms[{i}].set.{name}")
    return explicit_paths


def _design_problems(study: StudyFile, problems: Problems) -> list[TrialSpec]:
    notes: list[str] = []
    specs: list[TrialSpec] = []
    explicit_paths = _explicit_paths(study)
    try:
        if study.design.kind == "search":
            from ...workers import resolve

            base = resolve(study.base)
            for name in unused(study.base, base):
                problems.warn(f"base.{name}", _unused_text(name))
        else:
            specs = expand(study, notes)
    except KnobError as error:  # the values passed one by one: these are the cross-knob checks' problems
        for name, message in error.problems:
            if name in explicit_paths:
                problems.error(explicit_paths[name], message)
            else:
                problems.error("design", f"{name}: {message}")
        return []
    for note in notes:
        problems.warn("design", note)
    design = study.design
    common = set(study.base) | set(getattr(design, "baseline", {}) or {})
    checked_arms: set[str] = set()
    for spec in specs:  # only the knobs this trial itself sets: another arm's knob is not this arm's concern
        if spec.arm in checked_arms:  # the other seeds of an arm read the same knobs
            continue
        checked_arms.add(spec.arm)
        own = {name: explicit_paths[name] for name in common | set(spec.changed) if name in explicit_paths}
        for name in unused(own, spec.config):
            problems.warn(explicit_paths[name], _unused_text(name) + f" in arm {spec.arm!r}")
    longest = max_epochs(study, specs)
    if study.scheduler.kind == "asha" and study.scheduler.grace_epochs > longest:
        problems.error(
            "scheduler.grace_epochs",
            f"{study.scheduler.grace_epochs} exceeds the trials' epochs (allowed: 1 .. {longest})",
        )
    if study.data_dir is not None:
        _check_data_dir(study, problems)
    return specs


def _check_data_dir(study: StudyFile, problems: Problems) -> None:
    """data_dir is an existing folder; stored absolute (trials run in Ray's trial folders)."""
    assert study.data_dir is not None
    path, problem = expand_path(study.data_dir)
    if path is not None:
        problem = folder_problem(path) and f"{study.data_dir} is not a directory (allowed: an existing folder)"
    if problem or path is None:
        problems.error("data_dir", problem or "not a usable path")
        return
    study.data_dir = str(path)


def _unused_text(name: str) -> str:
    when = KNOBS[name].when or {}
    condition = " and ".join(f"{key} in [{', '.join(map(str, values))}]" for key, values in when.items())
    return f"{name} is not read by this configuration (it applies when {condition})"


def _budget_overrides(raw: dict[str, Any], seeds: str | None, n_trials: int | None, problems: Problems) -> None:
    """`--seeds 0,1` replaces `seeds`; `--n-trials N` replaces a search's `n_trials` (e.g. a quick CI run)."""
    if seeds is not None:
        parts = seeds.split(",")
        if len(seeds) > 20_000 or not all(part.strip().isdigit() and len(part.strip()) <= 10 for part in parts):
            problems.error(
                "--seeds", f"{printable(repr(seeds), 80)} (allowed: comma-separated integers, e.g. --seeds 0,1)"
            )
        else:
            raw["seeds"] = [int(seed) for seed in parts]
    if n_trials is not None:
        design = raw.get("design")
        if isinstance(design, dict) and design.get("kind") == "search":
            design["n_trials"] = n_trials
        else:
            problems.error(
                "--n-trials", "applies to search designs only (allowed: --seeds to shrink a grid or ablation)"
            )


def load_study(
    path: str,
    overrides: list[str] | None = None,
    data_dir: str | None = None,
    seeds: str | None = None,
    n_trials: int | None = None,
) -> LoadedStudy:
    """Parse, override (`--set`, `--seeds`, `--n-trials`), validate and expand a study file.

    Raises UserError with one line per problem.
    """
    problems = Problems(path)
    text = read_text(path, problems)
    raw = parse_yaml(text, problems) if text is not None else None
    if raw is not None and isinstance(raw, dict):
        apply_overrides(raw, overrides or [], problems)
        if data_dir:
            raw["data_dir"] = data_dir
        _budget_overrides(raw, seeds, n_trials, problems)
        _seed_problems(raw, problems)
        check_values(raw, problems)
        check_sizes(raw, problems)
    if problems.errors or text is None:
        # unreadable, values no field can hold, or a study too large to expand: before the field checks
        raise UserError(problems.report())
    study = check_structure(raw, problems)
    check_knobs(raw, problems)
    specs: list[TrialSpec] = []
    if study is not None and not problems.errors:
        specs = _design_problems(study, problems)
    if problems.errors or study is None:
        raise UserError(problems.report())
    return LoadedStudy(study, text, hashlib.sha256(text.encode()).hexdigest(), specs, problems.warnings)


def read_text(path: str, problems: Problems) -> str | None:
    """The study file's text (UTF-8, size-limited), or None with the problem recorded."""
    try:
        data = Path(path).read_bytes()
    except (OSError, ValueError) as error:
        raise UserError(
            f"{printable(path, 300)}: cannot read the study file ({getattr(error, 'strerror', None) or error})"
        ) from None
    try:
        return yaml_rules.decode(data)
    except yaml_rules.YamlRuleError as error:
        problems.error(f"line {error.line}" if error.line else "", error.message)
        return None
