"""`spikesweep report STUDY`: wiring of records, baseline and reference into the report and its files."""

from __future__ import annotations

import csv
import io
import json

import pytest

import spikesweep.platform.reporting as reporting_face
from spikesweep.platform.cli import main
from spikesweep.platform.reporting import study_settings
from spikesweep.platform.reporting.report import DEFAULT_OBJECTIVES

try:  # tests/platform as a plain folder (pytest puts it on sys.path) or as a package
    from test_report import ablation_records
except ImportError:
    from .test_report import ablation_records


@pytest.fixture
def stored(monkeypatch):
    """The study "s" as the stores would give it (the reporting face's load_records is the reader)."""
    calls = []

    def load_records(home, study):
        calls.append((str(getattr(home, "root", home)), study))
        if study != "s":
            raise KeyError(study)
        return ablation_records()

    monkeypatch.setattr(reporting_face, "load_records", load_records)
    return calls


def test_report_json_uses_the_baseline_arm_and_the_home(stored, tmp_path, capsys):
    assert main(["--home", str(tmp_path), "report", "s", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert stored == [(str(tmp_path), "s")]
    assert data["study"] == "s" and data["baseline"] == "baseline"
    k3 = next(row for row in data["rows"] if row["name"] == "k3")
    assert k3["metrics"]["accuracy"]["delta"] == pytest.approx((0.85 + 0.88 + 0.86 - 0.90 - 0.92 - 0.91) / 3)


def test_report_to_file_with_artifacts_and_wilcoxon(stored, tmp_path, capsys):
    out = tmp_path / "r" / "table.csv"
    code = main(
        [
            "--home",
            str(tmp_path),
            "report",
            "s",
            "--format",
            "csv",
            "--out",
            str(out),
            "--test",
            "wilcoxon",
            "--baseline",
            "k5",
            "--artifacts",
            str(tmp_path / "art"),
        ]
    )
    assert code == 0 and capsys.readouterr().out == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[0]["name"] == "k5" and rows[0]["is_baseline"] == "True"
    assert sorted(p.name for p in (tmp_path / "art").iterdir()) == [
        "pareto.html",
        "pareto.png",
        "report.csv",
        "report.json",
        "report.md",
    ]


def test_report_bad_input_exits_2(stored, tmp_path, capsys):
    assert main(["--home", str(tmp_path), "report", "nope"]) == 2
    assert "'nope' is unknown" in capsys.readouterr().err
    assert main(["--home", str(tmp_path), "report", "s", "--baseline", "k9"]) == 2
    err = capsys.readouterr().err
    assert "'k9'" in err and "baseline, k3, k5, serial" in err


def test_study_settings_from_the_resolved_study():
    ablation = {
        "design": {"kind": "ablation"},
        "reference": {"source": "x"},
        "objectives": {"accuracy": "max", "params": "min"},
    }
    assert study_settings(ablation, {"baseline", "a"}) == {
        "baseline": "baseline",
        "reference": {"source": "x"},
        "objectives": {"accuracy": "max", "params": "min"},
    }
    assert study_settings({"design": {"kind": "grid"}}, {"baseline"})["baseline"] is None
    assert study_settings(None, {"baseline", "a"}) == {
        "baseline": "baseline",
        "reference": {},
        "objectives": DEFAULT_OBJECTIVES,
    }
    assert study_settings(None, {"a"})["baseline"] is None
