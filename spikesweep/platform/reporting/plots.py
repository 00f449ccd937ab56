"""Pareto plots of a study: a PNG (matplotlib, Agg) and an interactive HTML page (plotly, its JS embedded so the
page works offline).

Both mark dominated, Pareto-optimal and baseline trials (a baseline trial on the front gets a red edge); only
COMPLETE trials with every objective are drawn. Energy axes use the unit that suits the plotted values.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..units import ENERGY_METRICS, energy_unit
from .records import TrialRecord
from .report import AblationReport, objective_points

FRONT_EDGE = "#d62728"
LABELS = {"accuracy": "accuracy", "energy_mj": "energy", "firing_rate": "firing rate", "params": "parameters"}


class Axis:
    """One plotted objective: its values scaled to the display unit, and its label."""

    def __init__(self, report: AblationReport, name: str, records: list[TrialRecord]) -> None:
        self.name = name
        unit, self.factor = ("", 1.0)
        if name in ENERGY_METRICS:
            unit, self.factor = energy_unit(float(r.metrics[name]) for r in records if name in r.metrics)
        label = LABELS.get(name, name) + (f" ({unit})" if unit else "")
        self.label = f"{label}, {report.objectives[name]}"

    def values(self, group: list[TrialRecord]) -> list[float]:
        """Plain floats (plotly would base64-encode numpy arrays, hiding the values in the page)."""
        return [float(r.metrics[self.name]) * self.factor for r in group]


def plot_axes(report: AblationReport) -> tuple[str, str]:
    """(x, y) objective names: the first minimised objective on x, the first maximised one on y."""
    names = list(report.objectives)
    if len(names) < 2:
        raise ValueError(f"a Pareto plot needs 2 objectives, the study has {names}")
    x = next((n for n in names if report.objectives[n] == "min"), names[0])
    y = next((n for n in names if n != x and report.objectives[n] == "max"), next(n for n in names if n != x))
    return x, y


def _classify(report: AblationReport, records: Iterable[TrialRecord]) -> dict[str, list[TrialRecord]]:
    kept, _ = objective_points(records, report.objectives)
    front = set(report.front)
    baseline_arm = report.baseline if any(r.is_baseline for r in report.rows) else None
    groups: dict[str, list[TrialRecord]] = {"dominated": [], "Pareto-optimal": [], "baseline": []}
    for record in kept:
        if baseline_arm is not None and record.arm == baseline_arm:
            groups["baseline"].append(record)
        else:
            groups["Pareto-optimal" if record.number in front else "dominated"].append(record)
    return groups


def _hover(record: TrialRecord, on_front: bool) -> str:
    change = ", ".join(f"{k}={v}" for k, v in sorted(record.changed.items()) if k != "seed") or "(base)"
    return f"trial {record.number}<br>arm {record.arm}<br>seed {record.seed}<br>{change}" + (
        "<br>on the Pareto front" if on_front else ""
    )


def _title(report: AblationReport) -> str:
    hv = "" if report.hypervolume is None else f" — hypervolume {report.hypervolume:.4g}"
    return f"{report.study or 'study'}: Pareto front{hv}"


def write_pareto_png(report: AblationReport, records: Iterable[TrialRecord], path: Path) -> Path:
    """Scatter of every COMPLETE trial; the front joined by a step line; baseline trials as diamonds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x_name, y_name = plot_axes(report)
    groups = _classify(report, list(records))
    everything = [r for group in groups.values() for r in group]
    x_axis, y_axis = Axis(report, x_name, everything), Axis(report, y_name, everything)
    front = set(report.front)
    figure, axes = plt.subplots(figsize=(7, 5), dpi=100)
    styles = {
        "dominated": dict(c="0.65", marker="o", s=30),
        "Pareto-optimal": dict(c="tab:red", marker="o", s=55, edgecolors="black"),
        "baseline": dict(c="tab:blue", marker="D", s=55, edgecolors="black"),
    }
    for name, group in groups.items():
        if group:
            style: dict[str, Any] = dict(styles[name])
            if name == "baseline":  # a baseline trial on the front keeps its diamond, with a red edge
                style.update(edgecolors=[FRONT_EDGE if r.number in front else "black" for r in group], linewidths=1.5)
            axes.scatter(
                x_axis.values(group),
                y_axis.values(group),
                label=f"{name} ({len(group)})",
                zorder=3,
                **style,
            )
    on_front = sorted((r for g in groups.values() for r in g if r.number in front), key=lambda r: r.metrics[x_name])
    if len(on_front) > 1:
        axes.step(
            x_axis.values(on_front),
            y_axis.values(on_front),
            where="post",
            color="tab:red",
            alpha=0.5,
            zorder=2,
        )
    axes.set_xlabel(x_axis.label)
    axes.set_ylabel(y_axis.label)
    axes.set_title(_title(report))
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, format="png")
    plt.close(figure)
    return path


def write_pareto_html(report: AblationReport, records: Iterable[TrialRecord], path: Path) -> Path:
    """Interactive plotly scatter (hover: trial, arm, seed, knob change); plotly.js is embedded in the page, so it
    renders offline (from the MLflow UI's artifact view too)."""
    import plotly.graph_objects as go

    x_name, y_name = plot_axes(report)
    groups = _classify(report, list(records))
    everything = [r for group in groups.values() for r in group]
    x_axis, y_axis = Axis(report, x_name, everything), Axis(report, y_name, everything)
    front = set(report.front)
    colours = {"dominated": "#a0a0a0", "Pareto-optimal": "#d62728", "baseline": "#1f77b4"}
    symbols = {"dominated": "circle", "Pareto-optimal": "circle", "baseline": "diamond"}
    figure = go.Figure()
    for name, group in groups.items():
        figure.add_trace(
            go.Scatter(
                x=x_axis.values(group),
                y=y_axis.values(group),
                mode="markers",
                name=f"{name} ({len(group)})",
                text=[_hover(r, r.number in front) for r in group],
                hoverinfo="text+x+y",
                marker=dict(
                    color=colours[name],
                    symbol=symbols[name],
                    size=10 if name != "dominated" else 7,
                    line=dict(width=1.5, color=[FRONT_EDGE if r.number in front else "black" for r in group])
                    if name != "dominated"
                    else dict(width=0),
                ),
            )
        )
    figure.update_layout(
        title=_title(report),
        template="plotly_white",
        xaxis_title=x_axis.label,
        yaxis_title=y_axis.label,
    )
    path = Path(path)
    figure.write_html(str(path), include_plotlyjs=True, full_html=True)
    return path
