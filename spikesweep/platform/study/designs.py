"""Study designs: grid and ablation expand into trial specs (x seeds); search becomes an Optuna define-by-run space.

Every spec holds a full resolved configuration (seed included), the arm (design cell) it belongs to and the knobs
it changes relative to the base (grid) or the baseline (ablation). Identical configurations run once.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ...workers import KNOBS, Config, KnobError, leave_one_out_switches, resolve
from .file_model import AblationDesign, Distribution, GridDesign, SearchDesign, StudyFile

BASELINE_ARM = "baseline"
SEARCH_ARM = "search"


@dataclass(frozen=True)
class TrialSpec:
    """One trial to run: its full configuration, design cell and what it changes."""

    config: dict[str, Any]
    arm: str
    seed: int
    changed: dict[str, Any] = field(default_factory=dict)

    def key(self) -> str:
        return config_key(self.config)


def config_key(config: dict[str, Any]) -> str:
    """A canonical text of a configuration, equal for equal configurations."""
    return json.dumps(config, sort_keys=True, default=str)


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def cell_label(changes: dict[str, Any]) -> str:
    """'timesteps=2, optimizer=adam' (the label of a grid cell)."""
    return ", ".join(f"{name}={format_value(value)}" for name, value in changes.items()) or BASELINE_ARM


def _seeded(values: dict[str, Any], seed: int) -> Config:
    return resolve({**values, "seed": seed})


def _dedup(
    specs: Iterable[TrialSpec], notes: list[str] | None = None, key: Callable[[TrialSpec], str] | None = None
) -> list[TrialSpec]:
    seen: dict[str, TrialSpec] = {}
    for spec in specs:
        spec_key = key(spec) if key is not None else spec.key()
        first = seen.get(spec_key)
        if first is None:
            seen[spec_key] = spec
        elif notes is not None and first.arm != spec.arm:
            note = f"arm {spec.arm!r} has the same configuration as {first.arm!r}; it runs once, as {first.arm!r}"
            if note not in notes:
                notes.append(note)
    return list(seen.values())


def _reseeded(config: Config, seed: int) -> Config:
    """`config` with another seed: no cross-knob check reads the seed, so only the seed's own check runs."""
    if config["seed"] == seed:
        return config
    _, problem = KNOBS["seed"].check(seed)
    if problem:
        raise KnobError([("seed", problem)])
    return Config({**config, "seed": seed})


def expand_grid(study: StudyFile, design: GridDesign, notes: list[str] | None = None) -> list[TrialSpec]:
    """Full factorial over the factors, times the seeds (seed-major, so partial results stay paired).

    Each cell is resolved (checked) once; its seeds copy the resolved configuration. Cells with equal resolved
    factor values are the same configuration (the rest comes from the same base), so they key the merge.
    """
    names = list(design.factors)
    cells = [dict(zip(names, values)) for values in itertools.product(*design.factors.values())]
    resolved = [_seeded({**study.base, **cell}, study.seeds[0]) for cell in cells]
    labelled = []
    for cell, config in zip(cells, resolved):
        changed = {name: config[name] for name in cell}
        labelled.append((config, cell_label(changed), changed, config_key(changed)))
    specs = []
    keys: dict[int, str] = {}
    for seed in study.seeds:
        for config, label, changed, key in labelled:
            spec = TrialSpec(_reseeded(config, seed), label, seed, changed)
            keys[id(spec)] = f"{seed}:{key}"
            specs.append(spec)
    return _dedup(specs, notes, key=lambda spec: keys[id(spec)])


def ablation_arms(design: AblationDesign) -> list[tuple[str, dict[str, Any]]]:
    """(name, knob changes) of every arm, the baseline first, then explicit arms, then leave-one-out arms.

    A leave-one-out arm applies the switch its attention module registered for the submodule.
    """
    switches = leave_one_out_switches()
    arms: list[tuple[str, dict[str, Any]]] = [(BASELINE_ARM, {})] + [(arm.name, dict(arm.set)) for arm in design.arms]
    arms += [(f"w/o {name}", switches[name]) for name in design.leave_one_out]
    return arms


def expand_ablation(study: StudyFile, design: AblationDesign, notes: list[str] | None = None) -> list[TrialSpec]:
    """The baseline once per seed (shared by every arm) and each arm per seed, seeds paired across arms.

    Each arm is resolved (checked) once; its seeds copy the resolved configuration.
    """
    baseline_values = {**study.base, **design.baseline}
    first = study.seeds[0]
    baseline = _seeded(baseline_values, first)
    arms = []
    for name, changes in ablation_arms(design):
        config = _seeded({**baseline_values, **changes}, first)
        arms.append((name, config, {k: config[k] for k in changes if config[k] != baseline[k]}))
    specs = []
    for seed in study.seeds:
        for name, config, changed in arms:
            specs.append(TrialSpec(_reseeded(config, seed), name, seed, changed))
    return _dedup(specs, notes)


EXPANDERS: dict[str, Callable[..., list[TrialSpec]]] = {"grid": expand_grid, "ablation": expand_ablation}


def expand(study: StudyFile, notes: list[str] | None = None) -> list[TrialSpec]:
    """Trial specs of a grid or ablation study (search studies are sampled by Optuna instead)."""
    return EXPANDERS[study.design.kind](study, study.design, notes)


def varying_knobs(specs: list[TrialSpec]) -> dict[str, list[Any]]:
    """Knobs whose value differs between specs -> their distinct values in order (Optuna's categorical params)."""
    values: dict[str, list[Any]] = {}
    for name in specs[0].config if specs else ():
        distinct: list[Any] = []
        for spec in specs:
            value = spec.config[name]
            if not any(value == v and type(value) is type(v) for v in distinct):
                distinct.append(value)
        if len(distinct) > 1:
            values[name] = distinct
    return values


def suggest(trial: Any, name: str, distribution: Distribution) -> Any:
    """Sample one knob from an Optuna trial (or Tune's captor around one)."""
    if distribution.choice is not None:
        return trial.suggest_categorical(name, distribution.choice)
    if distribution.int_ is not None:
        return trial.suggest_int(name, *distribution.int_)
    if distribution.float_ is not None:
        return trial.suggest_float(name, *distribution.float_)
    assert distribution.log is not None  # the model requires exactly one distribution kind
    return trial.suggest_float(name, *distribution.log, log=True)


def trial_number(trial: Any) -> int:
    """The Optuna trial number behind `trial` (Tune wraps the trial in a suggest captor)."""
    inner = getattr(trial, "ot_trial", trial)
    return int(inner.number)


def sample(trial: Any, study: StudyFile, design: SearchDesign) -> dict[str, Any]:
    """Knob values of one search point: base, then each space knob in order where `when` and the schema allow it.

    A knob is skipped when its `when:` is false or when the configuration so far does not read it (e.g.
    `fsta.dct_kernel` unless `attention` is fsta). The seed cycles through `seeds` by trial number.
    """
    config = dict(resolve(study.base))  # a working copy: sampled knobs are written into it
    sampled: dict[str, Any] = {}
    for name, distribution in design.space.items():
        if distribution.when_allows(config) and KNOBS[name].is_used(config):
            sampled[name] = suggest(trial, name, distribution)
            config[name] = sampled[name]
    seed = study.seeds[trial_number(trial) % len(study.seeds)]
    return {**sampled, "seed": seed}


class SearchSpace:
    """A define-by-run space for OptunaSearch (picklable, as Tune checkpoints its searcher).

    Samples the space and returns the fixed knobs (base, seed) for Tune to merge into the trial's config.
    """

    def __init__(self, study: StudyFile) -> None:
        assert isinstance(study.design, SearchDesign)
        self.study = study

    def __call__(self, trial: Any) -> dict[str, Any]:
        assert isinstance(self.study.design, SearchDesign)
        values = sample(trial, self.study, self.study.design)
        fixed = {name: value for name, value in self.study.base.items() if name not in values}
        fixed["seed"] = values["seed"]
        return fixed


def search_spec(study: StudyFile, params: dict[str, Any]) -> TrialSpec:
    """The spec of one sampled search point (params as Tune hands them to the trainable)."""
    config = resolve({**study.base, **params})
    assert isinstance(study.design, SearchDesign)
    changed = {name: config[name] for name in params if name != "seed" and name in study.design.space}
    return TrialSpec(config, SEARCH_ARM, config["seed"], changed)


def max_epochs(study: StudyFile, specs: list[TrialSpec]) -> int:
    """The longest training any trial of the study can run (ASHA's max_t)."""
    if specs:
        return max(spec.config["epochs"] for spec in specs)
    longest = int(resolve(study.base)["epochs"])
    searched = getattr(study.design, "space", {}).get("epochs")
    if searched is not None:
        values = searched.choice or searched.int_ or []
        longest = max([longest, *(int(v) for v in values)])
    return longest
