"""Renderers of the ablation report: Markdown for people, CSV and JSON for scripts (full precision)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ..report_choices import FORMATS
from ..units import ENERGY_METRICS, energy_unit
from .report import AblationReport, ReportRow

ROW_FIELDS = (
    "name",
    "arm",
    "change",
    "is_baseline",
    "n_complete",
    "n_pruned",
    "n_failed",
    "n_running",
    "seeds",
    "pareto",
    "n_on_front",
)
STAT_FIELDS = ("mean", "std", "delta", "p_value", "n_pairs")


def render(report: AblationReport, fmt: str = "md") -> str:
    """The report as text in `fmt` ("md", "csv" or "json")."""
    renderers: dict[str, Callable[[AblationReport], str]] = {"md": to_markdown, "csv": to_csv, "json": to_json}
    if fmt not in renderers:
        raise ValueError(f"report format {fmt!r} is unknown (allowed: {', '.join(FORMATS)})")
    return renderers[fmt](report)


def to_dict(report: AblationReport) -> dict[str, Any]:
    """A JSON-ready dict of the whole report (each row also carries its `change` text)."""
    data = asdict(report)
    for row_dict, row in zip(data["rows"], report.rows):
        row_dict["change"] = row.change
    return data


def to_json(report: AblationReport) -> str:
    return json.dumps(to_dict(report), indent=2, default=str)


def metric_names(report: AblationReport) -> list[str]:
    return list(dict.fromkeys(m for row in report.rows for m in row.metrics))


def reference_names(report: AblationReport) -> list[str]:
    return list(dict.fromkeys(k for row in report.rows for k in row.reference))


def flat_rows(report: AblationReport) -> list[dict[str, Any]]:
    """One flat dict per row: the row fields, `<metric>_<stat>` and `ref_<name>` columns (None where absent)."""
    metrics, refs = metric_names(report), reference_names(report)
    flat = []
    for row in report.rows:
        item: dict[str, Any] = {name: getattr(row, name) for name in ROW_FIELDS}
        item["seeds"] = " ".join(map(str, row.seeds))
        for metric in metrics:
            stat = row.metrics.get(metric)
            for name in STAT_FIELDS:
                item[f"{metric}_{name}"] = getattr(stat, name) if stat else None
        for name in refs:
            item[f"ref_{name}"] = row.reference.get(name)
        flat.append(item)
    return flat


def to_csv(report: AblationReport) -> str:
    """One line per row; floats at full precision (repr), empty cells for missing values."""
    rows = flat_rows(report)
    buffer = io.StringIO()
    if not rows:
        return ""
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for item in rows:
        writer.writerow({k: "" if v is None else repr(v) if isinstance(v, float) else v for k, v in item.items()})
    return buffer.getvalue()


# Markdown: (column title, metric, scale); means show 4 significant digits, std and delta the same decimals
MD_METRICS = (
    ("acc (%)", "accuracy", 100.0),
    ("energy (mJ)", "energy_mj", 1.0),
    ("firing rate", "firing_rate", 1.0),
    ("params", "params", 1.0),
)
MD_DELTAS = (("Δacc (pp)", "accuracy"), ("Δenergy (mJ)", "energy_mj"))
SIGNIFICANT = 4
P_TITLES = {"accuracy": "p (acc)", "energy_mj": "p (energy)"}


def display_scales(report: AblationReport) -> dict[str, tuple[str, float]]:
    """Metric -> (unit label, factor) for the energy metrics: the unit that suits the report's row means."""
    return {
        metric: energy_unit(row.metrics[metric].mean for row in report.rows if metric in row.metrics)
        for metric in ENERGY_METRICS
    }


def _title(title: str, metric: str, scales: dict[str, tuple[str, float]]) -> str:
    return title.replace("(mJ)", f"({scales[metric][0]})") if metric in scales else title


def to_markdown(report: AblationReport) -> str:
    """A header (study, baseline, test, hypervolume, reference setting) and the table; ★ marks Pareto rows.
    Energies are shown in the unit that gives 3-4 significant digits (named in the column titles)."""
    scales = display_scales(report)
    lines = [f"# Ablation report: {report.study or 'study'}", ""]
    lines.append(
        f"- baseline: {report.baseline or '(none)'}; paired test: "
        f"{'paired t-test' if report.test == 't' else 'Wilcoxon signed-rank'} over seeds"
    )
    objectives = ", ".join(f"{k} ({v})" for k, v in report.objectives.items())
    if report.hypervolume is not None:
        ref = ", ".join(
            f"{k} = {v * scales[k][1]:.6g} {scales[k][0]}" if k in scales else f"{k} = {v:.6g}"
            for k, v in report.hypervolume_reference.items()
        )
        lines.append(
            f"- Pareto front ({objectives}): {len(report.front)} trial(s); hypervolume "
            f"{report.hypervolume:.6g} (reference point: {ref})"
        )
    else:
        lines.append(f"- Pareto front ({objectives}): no COMPLETE trial")
    setting = report.reference.get("setting")
    if setting:
        source = report.reference.get("source", "the paper")
        lines.append(f"- published numbers ({source}) are for " + ", ".join(f"{k}={v}" for k, v in setting.items()))
    for key in ("findings", "notes"):
        if report.reference.get(key):
            lines.append(f"- paper {key}: {' '.join(str(report.reference[key]).split())}")
    lines.append("")
    refs = reference_names(report)
    header = ["", "arm", "change", "n"]
    for title, metric, _ in MD_METRICS:
        header.append(_title(title, metric, scales))
        header += [part for t, m in MD_DELTAS if m == metric for part in (_title(t, m, scales), P_TITLES[m])]
    header += [f"ref {name}" for name in refs] + ["pruned", "failed"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in report.rows:
        lines.append("| " + " | ".join(_md_cells(row, refs, scales)) + " |")
    if report.notes:
        lines += ["", *[f"- note: {note}" for note in report.notes]]
    tested = {metric for _, metric in MD_DELTAS}
    notes = [
        f"{row.name}, {metric}: {stat.note}"
        for row in report.rows
        for metric, stat in row.metrics.items()
        if stat.note and metric in tested
    ]
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    lines += [
        "",
        "★ = at least one trial of the row is on the Pareto front; mean ± sample std (ddof 1) over "
        "COMPLETE trials; Δ = mean paired difference vs the baseline (same seed).",
    ]
    return "\n".join(lines) + "\n"


def decimals(value: float, significant: int = SIGNIFICANT) -> int:
    """Decimal places that show `value` with `significant` significant digits (0 for large values)."""
    if value == 0 or not math.isfinite(value):
        return significant - 1
    return max(0, significant - 1 - math.floor(math.log10(abs(value))))


def _md_cells(row: ReportRow, refs: list[str], scales: dict[str, tuple[str, float]]) -> list[str]:
    cells = [
        "★" if row.pareto else "",
        f"**{row.name}**" if row.is_baseline else row.name,
        row.change.replace("|", "\\|"),
        str(row.n_complete),
    ]
    for _, metric, scale in MD_METRICS:
        scale = scales[metric][1] if metric in scales else scale
        stat = row.metrics.get(metric)
        if stat is None or stat.mean is None:
            cells.append("-")
            places = SIGNIFICANT - 1
        else:
            places = decimals(stat.mean * scale)
            cells.append(
                f"{stat.mean * scale:.{places}f}" + ("" if stat.std is None else f" ± {stat.std * scale:.{places}f}")
            )
        if any(delta_metric == metric for _, delta_metric in MD_DELTAS):
            delta = stat.delta if stat is not None else None
            cells.append(f"{delta * scale:+.{places}f}" if delta is not None else "-")
            cells.append(format(stat.p_value, ".3g") if stat is not None and stat.p_value is not None else "-")
    cells += [_plain(row.reference.get(name)) for name in refs]
    cells += [str(row.n_pruned), str(row.n_failed)]
    return cells


def _plain(value: Any) -> str:
    return "-" if value is None else str(value)
