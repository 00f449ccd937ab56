"""Reports of finished studies: trial records from the stores, statistics, the ablation report, plots, artifacts."""

from .after_submit import after_submit
from .artifacts import write_report_artifacts
from .records import TrialRecord, load_records, load_study_records
from .render import FORMATS, render
from .report import BASELINE_ARM, DEFAULT_OBJECTIVES, AblationReport, build_report, front_summary, study_settings

__all__ = [
    "BASELINE_ARM",
    "DEFAULT_OBJECTIVES",
    "FORMATS",
    "AblationReport",
    "TrialRecord",
    "after_submit",
    "build_report",
    "front_summary",
    "load_records",
    "load_study_records",
    "render",
    "study_settings",
    "write_report_artifacts",
]
