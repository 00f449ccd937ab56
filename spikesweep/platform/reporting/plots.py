"""Pareto plots of a study: a PNG (matplotlib, Agg) and an interactive HTML page (plotly, JS from the CDN).

Both mark dominated, Pareto-optimal and baseline trials (a baseline trial on the front gets a red edge); only
COMPLETE trials with every objective are drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .records import TrialRecord
from .report import AblationReport, objective_points

FRONT_EDGE = "#d62728"
LABELS = {"accuracy": "accuracy", "energy_mj": "energy (mJ)", "firing_rate": "firing rate", "params": "parameters"}


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
                [r.metrics[x_name] for r in group],
                [r.metrics[y_name] for r in group],
                label=f"{name} ({len(group)})",
                zorder=3,
                **style,
            )
    on_front = sorted((r for g in groups.values() for r in g if r.number in front), key=lambda r: r.metrics[x_name])
    if len(on_front) > 1:
        axes.step(
            [r.metrics[x_name] for r in on_front],
            [r.metrics[y_name] for r in on_front],
            where="post",
            color="tab:red",
            alpha=0.5,
            zorder=2,
        )
    axes.set_xlabel(LABELS.get(x_name, x_name) + f" ({report.objectives[x_name]})")
    axes.set_ylabel(LABELS.get(y_name, y_name) + f" ({report.objectives[y_name]})")
    axes.set_title(_title(report))
    axes.grid(alpha=0.3)
    axes.legend(loc="best")
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, format="png")
    plt.close(figure)
    return path


def write_pareto_html(report: AblationReport, records: Iterable[TrialRecord], path: Path) -> Path:
    """Interactive plotly scatter (hover: trial, arm, seed, knob change); plotly.js is loaded from the CDN."""
    import plotly.graph_objects as go

    x_name, y_name = plot_axes(report)
    groups = _classify(report, list(records))
    front = set(report.front)
    colours = {"dominated": "#a0a0a0", "Pareto-optimal": "#d62728", "baseline": "#1f77b4"}
    symbols = {"dominated": "circle", "Pareto-optimal": "circle", "baseline": "diamond"}
    figure = go.Figure()
    for name, group in groups.items():
        # plain lists, not numpy arrays: plotly would base64-encode arrays, hiding the values in the page
        figure.add_trace(
            go.Scatter(
                x=[float(r.metrics[x_name]) for r in group],
                y=[float(r.metrics[y_name]) for r in group],
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
        xaxis_title=LABELS.get(x_name, x_name) + f" ({report.objectives[x_name]})",
        yaxis_title=LABELS.get(y_name, y_name) + f" ({report.objectives[y_name]})",
    )
    path = Path(path)
    figure.write_html(str(path), include_plotlyjs="cdn", full_html=True)
    return path
