"""The ablation report: one row per arm (or grid cell, or distinct searched configuration) with mean ± std
over seeds, the paired delta vs the baseline, the published number where the study file gives one, and the
Pareto mark; plus the per-trial front and its hypervolume.

Only COMPLETE trials enter the statistics; PRUNED, FAIL and RUNNING trials are counted in their own columns.
Rendering (Markdown, CSV, JSON) lives in `report_render`, plots in `report_plots`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..pareto import front_of
from . import stats
from .records import TrialRecord

METRICS = ("accuracy", "energy_mj", "firing_rate", "params")
DEFAULT_OBJECTIVES = {"accuracy": "max", "energy_mj": "min"}
# keys of a `reference.published` entry that say where it applies rather than what was measured
ENTRY_KEYS = ("arm", "set", "label", "setting", "note")
COUNTED_STATES = {"PRUNED": "n_pruned", "FAIL": "n_failed", "RUNNING": "n_running"}


@dataclass(frozen=True)
class MetricStats:
    """One metric of one row: summary over COMPLETE seeds and the paired comparison with the baseline."""

    n: int
    mean: float | None
    std: float | None
    delta: float | None = None
    p_value: float | None = None
    n_pairs: int = 0
    note: str | None = None


@dataclass
class ReportRow:
    """One arm (or grid cell / searched configuration) of the study."""

    name: str
    arm: str
    changed: dict[str, Any]
    is_baseline: bool
    trials: list[int]
    seeds: list[int]  # seeds of the COMPLETE trials
    n_complete: int = 0
    n_pruned: int = 0
    n_failed: int = 0
    n_running: int = 0
    metrics: dict[str, MetricStats] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)  # the published numbers matched to this row
    pareto: bool = False  # any of its COMPLETE trials is on the per-trial front
    n_on_front: int = 0

    @property
    def change(self) -> str:
        """The knob change as text: "k=v, k=v", or "(baseline)" / "(base)" when nothing changed."""
        if not self.changed:
            return "(baseline)" if self.is_baseline else "(base)"
        return ", ".join(f"{k}={_text(v)}" for k, v in sorted(self.changed.items()))


@dataclass
class AblationReport:
    """Everything the renderers and plots need; JSON-ready through `report_render.to_dict`."""

    study: str | None
    baseline: str | None
    test: str
    objectives: dict[str, str]
    rows: list[ReportRow]
    front: list[int]  # trial numbers of the non-dominated COMPLETE trials
    hypervolume: float | None
    hypervolume_reference: dict[str, float]
    reference: dict[str, Any] = field(default_factory=dict)  # the study file's reference section
    notes: list[str] = field(default_factory=list)


def build_report(
    records: Iterable[TrialRecord],
    baseline: str | None = None,
    reference: Mapping[str, Any] | None = None,
    *,
    study: str | None = None,
    test: str = "t",
    objectives: Mapping[str, str] | None = None,
    metrics: Sequence[str] = METRICS,
) -> AblationReport:
    """Build the ablation report from the trial records of one study.

    The front and hypervolume come from `platform.pareto` over the COMPLETE trials' metrics.
    `baseline` names the baseline arm (None: no deltas). `reference` is the study file's `reference:` section;
    its `published:` entries are matched to rows by `arm` name or by the knob values in `set`. `test` is the
    paired test ("t" or "wilcoxon"); trials are paired by seed.
    """
    if test not in stats.PAIRED_TESTS:
        raise ValueError(f"paired test {test!r} is unknown (allowed: {', '.join(stats.PAIRED_TESTS)})")
    records = sorted(records, key=lambda r: r.number)
    objectives = dict(objectives or DEFAULT_OBJECTIVES)
    metrics = list(dict.fromkeys([*metrics, *objectives]))
    notes: list[str] = []
    cached = [r for r in records if r.cached_from]
    if cached:
        notes.append(f"{len(cached)} of {len(records)} trial(s) reused cached results instead of training")
    groups = _group(records)
    front, hv, hv_ref = _front(records, objectives)
    on_front = set(front)

    base_group = [g for g in groups if g[0].arm == baseline] if baseline else []
    if baseline and not base_group:
        notes.append(f"baseline arm {baseline!r} has no trials: no deltas")
    base_by_seed = _values_by_seed(base_group[0]) if base_group else {}

    rows = []
    for group in groups:
        is_baseline = bool(base_group) and group is base_group[0]
        complete = [r for r in group if r.state == "COMPLETE"]
        row = ReportRow(
            name=_row_name(group, groups),
            arm=group[0].arm,
            changed=_changed(group[0]),
            is_baseline=is_baseline,
            trials=[r.number for r in group],
            seeds=sorted({r.seed for r in complete}),
            n_complete=len(complete),
        )
        for record in group:
            if record.state in COUNTED_STATES:
                setattr(row, COUNTED_STATES[record.state], getattr(row, COUNTED_STATES[record.state]) + 1)
        by_seed = _values_by_seed(group)
        for metric in metrics:
            summary = stats.summarize([r.metrics.get(metric) for r in complete])
            paired = (
                stats.paired_test(base_by_seed.get(metric, {}), by_seed.get(metric, {}), test)
                if base_group and not is_baseline
                else None
            )
            row.metrics[metric] = MetricStats(
                summary.n,
                summary.mean,
                summary.std,
                *((paired.delta, paired.p_value, paired.n_pairs, paired.note) if paired else ()),
            )
        row.n_on_front = sum(r.number in on_front for r in complete)
        row.pareto = row.n_on_front > 0
        rows.append(row)
    rows.sort(key=lambda row: (not row.is_baseline, min(row.trials)))
    reference = dict(reference or {})
    _attach_published(rows, groups, reference.get("published") or [], notes)
    return AblationReport(
        study=study,
        baseline=baseline,
        test=test,
        objectives=objectives,
        rows=rows,
        front=front,
        hypervolume=hv,
        hypervolume_reference=hv_ref,
        reference=reference,
        notes=notes,
    )


def front_summary(records: Iterable[TrialRecord], objectives: Mapping[str, str]) -> tuple[list[int], float | None]:
    """The front's trial numbers and its hypervolume (None without a completed trial), as the report has them."""
    front, hypervolume, _ = _front(list(records), dict(objectives))
    return front, hypervolume


def pareto_trials(records: Iterable[TrialRecord], objectives: Mapping[str, str] | None = None) -> list[int]:
    """Numbers of the non-dominated COMPLETE trials (those with every objective finite)."""
    return _front(list(records), dict(objectives or DEFAULT_OBJECTIVES))[0]


def objective_points(
    records: Iterable[TrialRecord], objectives: Mapping[str, str]
) -> tuple[list[TrialRecord], np.ndarray]:
    """The COMPLETE trials with every objective finite, and their objective values [N, n_objectives]."""
    kept = [r for r in records if r.state == "COMPLETE" and all(_finite(r.metrics.get(name)) for name in objectives)]
    points = np.array([[r.metrics[name] for name in objectives] for r in kept], dtype=float)
    return kept, points.reshape(len(kept), len(objectives))


def _front(records: list[TrialRecord], objectives: dict[str, str]) -> tuple[list[int], float | None, dict[str, float]]:
    kept, points = objective_points(records, objectives)
    if not kept:
        return [], None, {}
    found = front_of(points, list(objectives.values()))
    assert found is not None
    return (
        [kept[i].number for i in found.indices()],
        found.hypervolume,
        dict(zip(objectives, map(float, found.reference))),
    )


def _key(record: TrialRecord) -> tuple[str, str]:
    return record.arm, json.dumps(_changed(record), sort_keys=True, default=str)


def _group(records: list[TrialRecord]) -> list[list[TrialRecord]]:
    """Trials grouped by (arm, changed knobs without the seed), in order of first trial number."""
    groups: dict[tuple[str, str], list[TrialRecord]] = {}
    for record in records:
        groups.setdefault(_key(record), []).append(record)
    return list(groups.values())


def _row_name(group: list[TrialRecord], groups: list[list[TrialRecord]]) -> str:
    """The arm name, or "arm #N" (N = its first trial) where one arm holds several configurations (search)."""
    arm = group[0].arm
    if sum(g[0].arm == arm for g in groups) == 1:
        return arm
    return f"{arm} #{group[0].number}"


def _changed(record: TrialRecord) -> dict[str, Any]:
    return {k: v for k, v in record.changed.items() if k != "seed"}


def _values_by_seed(group: list[TrialRecord]) -> dict[str, dict[int, float]]:
    by_seed: dict[str, dict[int, float]] = {}
    for record in group:
        if record.state == "COMPLETE":
            for metric, value in record.metrics.items():
                if _finite(value):
                    by_seed.setdefault(metric, {})[record.seed] = float(value)
    return by_seed


def _attach_published(
    rows: list[ReportRow], groups: list[list[TrialRecord]], published: list[Mapping[str, Any]], notes: list[str]
) -> None:
    """Give each row the published numbers of the reference entry that names its arm or matches its knobs."""
    configs = {g[0].number: g[0].config for g in groups}
    for entry in published:
        numbers = {k: v for k, v in entry.items() if k not in ENTRY_KEYS}
        matched = [row for row in rows if _matches(entry, row, configs[min(row.trials)])]
        for row in matched:
            row.reference.update(numbers)
        if not matched and rows:
            notes.append(
                f"published entry {entry.get('arm') or entry.get('label') or entry.get('set')!r} "
                "matches no arm of this study"
            )


def _matches(entry: Mapping[str, Any], row: ReportRow, config: Mapping[str, Any]) -> bool:
    if "arm" in entry:
        return entry["arm"] in (row.arm, row.name)
    knobs = entry.get("set") or {}
    return bool(knobs) and all(k in config and _same(config[k], v) for k, v in knobs.items())


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


# The arm name the ablation design gives to the shared baseline trials.
BASELINE_ARM = "baseline"


def study_settings(resolved: Mapping[str, Any] | None, arms: set[str]) -> dict[str, Any]:
    """Baseline arm, reference section and objectives of a stored resolved study file.

    Without a stored study (None), an arm named "baseline" among the records is taken as the baseline.
    """
    resolved = resolved or {}
    design = resolved.get("design") or {}
    if resolved:
        baseline = BASELINE_ARM if design.get("kind") == "ablation" else None
    else:
        baseline = BASELINE_ARM if BASELINE_ARM in arms else None
    return {
        "baseline": baseline,
        "reference": resolved.get("reference") or {},
        "objectives": resolved.get("objectives") or DEFAULT_OBJECTIVES,
    }
