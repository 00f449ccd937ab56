"""The ablation report at the end of `submit`: printed, and logged to the study's MLflow parent run."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .records import load_study_records
from .render import render
from .report import build_report, study_settings


def after_submit(home: Any, study: str, out: TextIO | None = None, show: Callable[[str], None] | None = None) -> None:
    """Build the study's report from the stores, print it (as Markdown on `out`, or through `show`, which gets the
    Markdown text) and log it to the parent run."""
    from mlflow.tracking import MlflowClient

    row, records = load_study_records(home, study)
    if not records:
        return
    settings = study_settings(row.resolved, {r.arm for r in records})
    report = build_report(records, study=study, **settings)
    text = render(report, "md")
    if show is not None:
        show(text)
    else:
        print("\nablation report\n" + text, file=out)
    if not row.mlflow_parent_run_id:
        return
    from .mlflow_report import log_report

    client = MlflowClient(tracking_uri=home.mlflow_uri)
    with tempfile.TemporaryDirectory() as work_dir:
        log_report(client, row.mlflow_parent_run_id, report, records, Path(work_dir))
