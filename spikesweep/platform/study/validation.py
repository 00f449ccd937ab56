"""Read and validate a study file completely (structure, knob values, design) before anything is written."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...workers import KNOBS, KnobError, unused
from ..errors import UserError
from .designs import TrialSpec, expand, max_epochs
from .file_model import Problems, StudyFile, apply_overrides, check_structure, parse_yaml
from .knob_checks import check_knobs


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
    for spec in specs:  # only the knobs this trial itself sets: another arm's knob is not this arm's concern
        own = {name: explicit_paths[name] for name in common | set(spec.changed) if name in explicit_paths}
        for name in unused(own, spec.config):
            problems.warn(explicit_paths[name], _unused_text(name) + f" in arm {spec.arm!r}")
    longest = max_epochs(study, specs)
    if study.scheduler.kind == "asha" and study.scheduler.grace_epochs > longest:
        problems.error(
            "scheduler.grace_epochs",
            f"{study.scheduler.grace_epochs} exceeds the trials' epochs (allowed: 1 .. {longest})",
        )
    if study.data_dir and not Path(study.data_dir).expanduser().is_dir():
        problems.error("data_dir", f"{study.data_dir} is not a directory (allowed: an existing folder)")
    elif study.data_dir:  # trials run in Ray's trial folders: relative paths would point elsewhere
        study.data_dir = str(Path(study.data_dir).expanduser().resolve())
    return specs


def _unused_text(name: str) -> str:
    when = KNOBS[name].when or {}
    condition = " and ".join(f"{key} in [{', '.join(map(str, values))}]" for key, values in when.items())
    return f"{name} is not read by this configuration (it applies when {condition})"


def _budget_overrides(raw: dict[str, Any], seeds: str | None, n_trials: int | None, problems: Problems) -> None:
    """`--seeds 0,1` replaces `seeds`; `--n-trials N` replaces a search's `n_trials` (e.g. a quick CI run)."""
    if seeds is not None:
        try:
            raw["seeds"] = [int(seed) for seed in seeds.split(",")]
        except ValueError:
            problems.error("--seeds", f"{seeds!r} (allowed: comma-separated integers, e.g. --seeds 0,1)")
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
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise UserError(f"{path}: cannot read the study file ({error.strerror or error})") from None
    raw = parse_yaml(text, problems)
    if raw is not None and isinstance(raw, dict):
        apply_overrides(raw, overrides or [], problems)
        if data_dir:
            raw["data_dir"] = data_dir
        _budget_overrides(raw, seeds, n_trials, problems)
        _seed_problems(raw, problems)
    study = check_structure(raw, problems) if not problems.errors or isinstance(raw, dict) else None
    check_knobs(raw, problems)
    specs: list[TrialSpec] = []
    if study is not None and not problems.errors:
        specs = _design_problems(study, problems)
    if problems.errors or study is None:
        raise UserError("\n".join(problems.errors))
    return LoadedStudy(study, text, hashlib.sha256(text.encode()).hexdigest(), specs, problems.warnings)
