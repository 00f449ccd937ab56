"""Write the ablation report and its plots to a folder (the driver logs that folder to the MLflow parent run)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .plots import write_pareto_html, write_pareto_png
from .records import TrialRecord
from .render import render
from .report import AblationReport

ARTIFACTS = ("report.md", "report.csv", "report.json", "pareto.png", "pareto.html")


def write_report_artifacts(report: AblationReport, records: Iterable[TrialRecord], out_dir: Path) -> list[Path]:
    """Write report.md/.csv/.json, pareto.png and pareto.html into `out_dir` (created); return their paths.

    The plots are left out when the study has fewer than 2 objectives or no COMPLETE trial.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = list(records)
    written = []
    for fmt in ("md", "csv", "json"):
        path = out_dir / f"report.{fmt}"
        path.write_text(render(report, fmt), encoding="utf-8")
        written.append(path)
    if len(report.objectives) >= 2 and report.front:
        written.append(write_pareto_png(report, records, out_dir / "pareto.png"))
        written.append(write_pareto_html(report, records, out_dir / "pareto.html"))
    return written
