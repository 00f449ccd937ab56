"""Report renderers (md/csv/json parse back to the report's numbers), plots and the artifact folder."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from spikesweep.platform.reporting import build_report, render, write_report_artifacts
from spikesweep.platform.reporting.render import flat_rows

try:  # tests/platform as a plain folder (pytest puts it on sys.path) or as a package
    from test_report import ablation_records
except ImportError:
    from .test_report import ablation_records

REFERENCE = {
    "source": "FSTA Table 6",
    "setting": {"dataset": "cifar10", "backbone": "resnet20"},
    "published": [{"arm": "k3", "accuracy_pct": 92.36}, {"set": {"fsta.dct_kernel": 5}, "accuracy_pct": 92.58}],
}


@pytest.fixture
def report():
    return build_report(ablation_records(), baseline="baseline", reference=REFERENCE, study="fsta-kernel")


def _float(cell: str):
    return None if cell == "" else float(cell)


def test_csv_parses_back_to_the_same_numbers(report):
    parsed = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert [line["name"] for line in parsed] == [row.name for row in report.rows]
    for line, row in zip(parsed, report.rows):
        for metric, stat in row.metrics.items():
            for name in ("mean", "std", "delta", "p_value"):
                assert _float(line[f"{metric}_{name}"]) == getattr(stat, name)  # exact: floats are written with repr
            assert int(line[f"{metric}_n_pairs"]) == stat.n_pairs
        assert (int(line["n_pruned"]), int(line["n_failed"])) == (row.n_pruned, row.n_failed)
        assert line["pareto"] == str(row.pareto) and line["change"] == row.change
        assert _float(line["ref_accuracy_pct"]) == row.reference.get("accuracy_pct")


def test_json_parses_back_to_the_same_numbers(report):
    data = json.loads(render(report, "json"))
    assert data["front"] == report.front and data["hypervolume"] == report.hypervolume
    assert data["hypervolume_reference"] == report.hypervolume_reference
    assert data["reference"]["setting"] == REFERENCE["setting"]
    for item, row in zip(data["rows"], report.rows):
        assert item["name"] == row.name and item["change"] == row.change and item["pareto"] == row.pareto
        for metric, stat in row.metrics.items():
            assert item["metrics"][metric]["mean"] == stat.mean and item["metrics"][metric]["p_value"] == stat.p_value
    assert {r["name"]: r["reference"] for r in data["rows"]}["k5"] == {"accuracy_pct": 92.58}


def test_markdown_table_shows_the_numbers_at_display_precision(report):
    text = render(report, "md")
    assert "paired t-test" in text and f"{report.hypervolume:.6g}" in text
    assert "dataset=cifar10, backbone=resnet20" in text
    table = [line for line in text.splitlines() if line.startswith("|")]
    header = [c.strip() for c in table[0].strip("|").split("|")]
    assert len(table) == 2 + len(report.rows)
    for line, row in zip(table[2:], report.rows):
        cells = dict(zip(header, (c.strip() for c in line.strip("|").split("|"))))
        assert cells[""] == ("★" if row.pareto else "")
        assert cells["n"] == str(row.n_complete) and cells["pruned"] == str(row.n_pruned)
        acc = row.metrics["accuracy"]
        mean, std = (
            (float(x) for x in re.fullmatch(r"(\S+) ± (\S+)", cells["acc (%)"]).groups())
            if acc.std is not None
            else (float(cells["acc (%)"]), None)
        )
        assert mean == pytest.approx(acc.mean * 100, abs=0.005)
        if std is not None:
            assert std == pytest.approx(acc.std * 100, abs=0.005)
        if acc.delta is None:
            assert cells["Δacc (pp)"] == "-"
        else:
            assert float(cells["Δacc (pp)"]) == pytest.approx(acc.delta * 100, abs=0.005)
        if acc.p_value is not None:
            assert float(cells["p (acc)"]) == pytest.approx(acc.p_value, rel=1e-2)
        energy = row.metrics["energy_mj"]
        assert float(cells["energy (mJ)"].split(" ± ")[0]) == pytest.approx(energy.mean, rel=1e-3)
        if energy.p_value is not None:
            assert float(cells["p (energy)"]) == pytest.approx(energy.p_value, rel=1e-2)
        ref = row.reference.get("accuracy_pct")
        assert cells["ref accuracy_pct"] == ("-" if ref is None else str(ref))


def test_unknown_format_is_refused(report):
    with pytest.raises(ValueError, match="allowed: md, csv, json"):
        render(report, "xlsx")


def test_artifacts_are_written_with_plots_that_show_the_trials(report, tmp_path):
    records = ablation_records()
    paths = write_report_artifacts(report, records, tmp_path / "out")
    assert [p.name for p in paths] == ["report.md", "report.csv", "report.json", "pareto.png", "pareto.html"]
    png = (tmp_path / "out" / "pareto.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    # plotly escapes < and > inside the page's JSON
    html = (tmp_path / "out" / "pareto.html").read_text().replace("\\u003c", "<").replace("\\u003e", ">")
    assert not re.search(r"<script[^>]*\bsrc=", html)  # no script loaded from anywhere (the page works offline)
    assert "Plotly.newPlot" in html and len(html) > 1_000_000  # plotly.js itself is in the page
    complete = [r for r in records if r.state == "COMPLETE"]
    for r in complete:
        assert f"trial {r.number}<br>arm {r.arm}" in html
        assert json.dumps(r.metrics["energy_mj"]) in html
    assert "trial 9<br>" not in html  # the PRUNED trial is not drawn
    for trace in ("dominated (", "Pareto-optimal (", "baseline (3)"):
        assert trace in html
    assert json.loads((tmp_path / "out" / "report.json").read_text())["front"] == report.front


def test_flat_rows_feed_a_table(report):
    rows = flat_rows(report)
    assert rows[0]["name"] == "baseline" and rows[0]["accuracy_delta"] is None
    assert set(rows[1]) == set(rows[0])


def test_markdown_decimals_keep_four_significant_digits():
    from spikesweep.platform.reporting.render import decimals

    assert [decimals(v) for v in (97.03, 0.2397, 0.00103, 33974.0, 0.0)] == [2, 4, 6, 0, 3]


def test_a_baseline_trial_on_the_front_keeps_its_diamond_with_a_red_edge(tmp_path):
    from spikesweep.platform.reporting.plots import FRONT_EDGE, write_pareto_html
    from spikesweep.platform.reporting.records import TrialRecord

    def rec(number, arm, acc, energy):
        return TrialRecord(
            number,
            arm,
            0,
            {} if arm == "baseline" else {"timesteps": number},
            {},
            "COMPLETE",
            {"accuracy": acc, "energy_mj": energy},
        )

    records = [rec(0, "baseline", 0.9, 1.0), rec(1, "baseline", 0.5, 3.0), rec(2, "a", 0.8, 0.5), rec(3, "b", 0.7, 2.0)]
    report = build_report(records, baseline="baseline")
    assert report.front == [0, 2]
    html = write_pareto_html(report, records, tmp_path / "p.html").read_text()
    baseline_trace = html[html.index('"name":"baseline (2)"') - 400 : html.index('"name":"baseline (2)"')]
    assert f'"color":["{FRONT_EDGE}","black"]' in baseline_trace
    assert '"name":"Pareto-optimal (1)"' in html and '"name":"dominated (1)"' in html
