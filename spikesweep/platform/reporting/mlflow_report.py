"""Log the ablation report to an MLflow run given by id (the driver, the only writer, owns the run)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .artifacts import write_report_artifacts
from .records import TrialRecord
from .render import flat_rows
from .report import AblationReport

ARTIFACT_PATH = "report"
TABLE_FILE = "report/ablation_table.json"


def log_report(
    client, run_id: str, report: AblationReport, records: Iterable[TrialRecord], work_dir: Path
) -> list[Path]:
    """Write the artifacts into `work_dir`, log them under `report/` of run `run_id`, log the rows as an
    MLflow table and the front's size and hypervolume as metrics. `client` is an `mlflow.MlflowClient`.
    """
    import pandas as pd

    written = write_report_artifacts(report, records, Path(work_dir))
    client.log_artifacts(run_id, str(work_dir), artifact_path=ARTIFACT_PATH)
    client.log_table(run_id, data=pd.DataFrame(flat_rows(report)), artifact_file=TABLE_FILE)
    metrics = {"pareto_size": float(len(report.front))}
    if report.hypervolume is not None:
        metrics["hypervolume"] = float(report.hypervolume)
    for key, value in metrics.items():
        client.log_metric(run_id, key, value)
    return written
