"""Logging the report to an MLflow run by id (real MLflow on a tmp SQLite store)."""

from __future__ import annotations

import json

import pytest

from spikesweep.platform.reporting.mlflow_report import TABLE_FILE, log_report
from spikesweep.platform.reporting.report import build_report

try:  # tests/platform as a plain folder (pytest puts it on sys.path) or as a package
    from test_report import ablation_records
except ImportError:
    from .test_report import ablation_records


@pytest.mark.integration
@pytest.mark.slow
def test_log_report_puts_table_artifacts_and_metrics_on_the_given_run(tmp_path):
    mlflow = pytest.importorskip("mlflow")
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = client.create_experiment("s", artifact_location=(tmp_path / "artifacts").as_uri())
    run_id = client.create_run(experiment).info.run_id
    records = ablation_records()
    report = build_report(records, baseline="baseline", study="s")
    log_report(client, run_id, report, records, tmp_path / "work")

    logged = {f.path for f in client.list_artifacts(run_id, "report")}
    assert {
        "report/report.md",
        "report/report.csv",
        "report/report.json",
        "report/pareto.png",
        "report/pareto.html",
        "report/ablation_table.json",
    } <= logged
    table = json.loads(open(client.download_artifacts(run_id, TABLE_FILE, str(tmp_path / "dl"))).read())
    names = table["columns"].index("name")
    accuracy = table["columns"].index("accuracy_mean")
    assert [row[names] for row in table["data"]] == [row.name for row in report.rows]
    assert [row[accuracy] for row in table["data"]] == pytest.approx([r.metrics["accuracy"].mean for r in report.rows])
    metrics = client.get_run(run_id).data.metrics
    assert metrics["hypervolume"] == pytest.approx(report.hypervolume)
    assert metrics["pareto_size"] == len(report.front)
