"""Energies are stored in mJ and shown in the unit that gives 3-4 significant digits, named wherever shown."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from spikesweep.platform.cli.output import format_table
from spikesweep.platform.reporting import build_report, render, write_report_artifacts
from spikesweep.platform.units import energy_unit, format_energy

try:  # tests/platform as a plain folder (pytest puts it on sys.path) or as a package
    from test_report import ablation_records
except ImportError:
    from .test_report import ablation_records


@pytest.mark.parametrize(
    ("values", "unit"),
    [
        ([2.0, 0.5], ("mJ", 1.0)),
        ([0.0001565, 0.0003419], ("nJ", 1e6)),  # 156.5 nJ, 341.9 nJ
        ([0.0031, 0.0009], ("µJ", 1e3)),  # the largest value picks: 3.1 µJ and 0.9 µJ
        ([1e-11], ("pJ", 1e9)),
        ([None, float("nan"), 0.0], ("mJ", 1.0)),  # nothing to scale by
    ],
)
def test_the_unit_keeps_the_largest_value_at_one_or_more(values, unit):
    assert energy_unit(values) == unit


def test_one_energy_reads_with_four_significant_digits():
    assert format_energy(0.0001565) == "156.5 nJ" and format_energy(12.5) == "12.5 mJ"


def test_a_table_column_of_energies_is_scaled_and_labelled():
    rows = [{"number": 1, "energy_mj": 0.0001565}, {"number": 2, "energy_mj": 0.0003419}]
    lines = format_table(rows, ["number", "energy_mj"]).splitlines()
    assert lines[0].split() == ["number", "energy", "(nJ)"]
    assert [line.split()[1] for line in lines[1:]] == ["156.5", "341.9"]


def micro_records():
    """The renderer fixture's trials with energies a thousand times smaller (mJ -> µJ scale)."""
    return [
        dataclasses.replace(r, metrics={**r.metrics, "energy_mj": r.metrics["energy_mj"] / 1000})
        if "energy_mj" in r.metrics
        else r
        for r in ablation_records()
    ]


def test_the_markdown_report_shows_microjoules_and_the_stored_numbers_stay_in_mj(tmp_path):
    records = micro_records()
    report = build_report(records, baseline="baseline", study="tiny")
    text = render(report, "md")
    header = [c.strip() for c in next(line for line in text.splitlines() if line.startswith("|")).split("|")]
    assert "energy (µJ)" in header and "Δenergy (µJ)" in header and "energy (mJ)" not in header
    baseline = next(line for line in text.splitlines() if "**baseline**" in line)
    cells = dict(zip(header, (c.strip() for c in baseline.split("|"))))
    mean = report.rows[0].metrics["energy_mj"].mean
    assert float(cells["energy (µJ)"].split(" ± ")[0]) == pytest.approx(mean * 1000, rel=1e-3)
    assert re.search(r"energy_mj = [\d.]+ µJ", text)  # the hypervolume reference point too
    # CSV/JSON carry the stored metric (mJ) at full precision
    assert json.loads(render(report, "json"))["rows"][0]["metrics"]["energy_mj"]["mean"] == mean
    write_report_artifacts(report, records, tmp_path)
    html = (tmp_path / "pareto.html").read_text()
    assert "energy (µJ), min" in html or "energy (\\u00b5J), min" in html
    complete = [r for r in records if r.state == "COMPLETE"]
    assert json.dumps(complete[0].metrics["energy_mj"] * 1000) in html
