"""The ablation report's numbers against statistics computed independently from hand-made trial records."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats as scipy_stats

from spikesweep.platform.reporting.records import TrialRecord
from spikesweep.platform.reporting.report import build_report, pareto_trials

BASE = {"attention": "fsta", "fsta.dct_kernel": 7, "timesteps": 2}


def record(number, arm, seed, changed, acc, energy, state="COMPLETE", fr=0.1, params=1000):
    metrics = {} if state == "FAIL" else {"accuracy": acc, "energy_mj": energy, "firing_rate": fr, "params": params}
    return TrialRecord(
        number=number,
        arm=arm,
        seed=seed,
        changed=changed,
        config={**BASE, **changed, "seed": seed},
        state=state,
        metrics=metrics,
    )


def ablation_records() -> list[TrialRecord]:
    """baseline and k3 on seeds 0-2; k5 on seeds 0-2 plus a PRUNED and a FAILED trial; serial on seed 0 only."""
    rows = [
        ("baseline", {}, [(0.90, 2.0, 0.20), (0.92, 2.1, 0.22), (0.91, 2.05, 0.21)]),
        ("k3", {"fsta.dct_kernel": 3}, [(0.85, 1.5, 0.15), (0.88, 1.6, 0.16), (0.86, 1.4, 0.14)]),
        ("k5", {"fsta.dct_kernel": 5}, [(0.89, 1.8, 0.18), (0.90, 1.9, 0.19), (0.93, 1.7, 0.17)]),
    ]
    records, number = [], 0
    for arm, changed, values in rows:
        for seed, (acc, energy, fr) in enumerate(values):
            records.append(record(number, arm, seed, changed, acc, energy, fr=fr, params=1000 + 10 * number))
            number += 1
    # stopped early with an accuracy that would top the table, and a crash: neither may count
    records.append(record(number, "k5", 3, {"fsta.dct_kernel": 5}, 0.99, 0.1, state="PRUNED"))
    records.append(record(number + 1, "k5", 4, {"fsta.dct_kernel": 5}, None, None, state="FAIL"))
    records.append(record(number + 2, "serial", 0, {"fsta.combination": "serial"}, 0.95, 3.0))
    return records


def by_name(report):
    return {row.name: row for row in report.rows}


def test_means_and_stds_equal_numpy_over_complete_trials_only():
    records = ablation_records()
    report = build_report(records, baseline="baseline")
    rows = by_name(report)
    for arm in ("baseline", "k3", "k5"):
        complete = [r for r in records if r.arm == arm and r.state == "COMPLETE"]
        for metric in ("accuracy", "energy_mj", "firing_rate", "params"):
            values = np.array([r.metrics[metric] for r in complete])
            stat = rows[arm].metrics[metric]
            assert stat.n == 3
            assert stat.mean == pytest.approx(values.mean(), rel=1e-12)
            assert stat.std == pytest.approx(values.std(ddof=1), rel=1e-12)
    k5 = rows["k5"]
    assert (k5.n_complete, k5.n_pruned, k5.n_failed, k5.seeds) == (3, 1, 1, [0, 1, 2])
    assert k5.metrics["accuracy"].mean == pytest.approx((0.89 + 0.90 + 0.93) / 3)
    assert rows["serial"].metrics["accuracy"].std is None  # one seed: no std


def test_paired_delta_and_p_value_equal_scipy_on_the_paired_differences():
    records = ablation_records()
    report = build_report(records, baseline="baseline")
    rows = by_name(report)
    base = {r.seed: r.metrics for r in records if r.arm == "baseline"}
    for arm in ("k3", "k5"):
        arm_metrics = {r.seed: r.metrics for r in records if r.arm == arm and r.state == "COMPLETE"}
        for metric in ("accuracy", "energy_mj"):
            diffs = np.array([arm_metrics[s][metric] - base[s][metric] for s in (0, 1, 2)])
            stat = rows[arm].metrics[metric]
            assert stat.n_pairs == 3
            assert stat.delta == pytest.approx(diffs.mean(), rel=1e-12)
            # a paired t-test is a one-sample t-test on the differences
            assert stat.p_value == pytest.approx(scipy_stats.ttest_1samp(diffs, 0.0).pvalue, rel=1e-10)
    assert rows["baseline"].metrics["accuracy"].delta is None


def test_wilcoxon_option_and_too_few_pairs():
    records = ablation_records()
    report = build_report(records, baseline="baseline", test="wilcoxon")
    rows = by_name(report)
    base = {r.seed: r.metrics["accuracy"] for r in records if r.arm == "baseline"}
    k3 = {r.seed: r.metrics["accuracy"] for r in records if r.arm == "k3"}
    diffs = [k3[s] - base[s] for s in (0, 1, 2)]
    assert rows["k3"].metrics["accuracy"].p_value == pytest.approx(scipy_stats.wilcoxon(diffs).pvalue)
    serial = rows["serial"].metrics["accuracy"]
    assert serial.n_pairs == 1 and serial.p_value is None and "1 paired seed" in serial.note
    assert serial.delta == pytest.approx(0.95 - 0.90)
    # params never change with the seed here only through the trial number: an all-equal difference has no test
    assert rows["k3"].metrics["params"].p_value is None
    assert "all equal" in rows["k3"].metrics["params"].note
    with pytest.raises(ValueError, match="wilcoxon"):
        build_report(records, baseline="baseline", test="anova")


def independent_front(points):
    """Brute force: a point is dominated if another is >= in accuracy, <= in energy, and differs."""
    front = []
    for i, (acc_i, energy_i) in enumerate(points):
        dominated = any(
            acc_j >= acc_i and energy_j <= energy_i and (acc_j, energy_j) != (acc_i, energy_i)
            for j, (acc_j, energy_j) in enumerate(points)
            if j != i
        )
        front.append(not dominated)
    return front


def test_pareto_marks_equal_an_independent_non_dominated_set():
    records = ablation_records()
    report = build_report(records, baseline="baseline")
    complete = [r for r in records if r.state == "COMPLETE"]
    marks = independent_front([(r.metrics["accuracy"], r.metrics["energy_mj"]) for r in complete])
    expected = [r.number for r, on in zip(complete, marks) if on]
    assert report.front == expected == pareto_trials(records)
    assert 9 not in report.front  # the PRUNED trial would dominate everything
    for row in report.rows:
        on = [r.number in expected for r in complete if r.arm == row.arm]
        assert row.pareto == any(on) and row.n_on_front == sum(on)


def test_pareto_marks_on_random_points_with_ties():
    rng = np.random.default_rng(3)
    records = [
        record(i, f"a{i}", 0, {"timesteps": i}, float(rng.choice([0.5, 0.6, 0.7])), float(rng.choice([1.0, 2.0, 3.0])))
        for i in range(40)
    ]
    marks = independent_front([(r.metrics["accuracy"], r.metrics["energy_mj"]) for r in records])
    assert pareto_trials(records) == [r.number for r, on in zip(records, marks) if on]


def test_hypervolume_of_the_report_uses_the_documented_reference_point():
    records = [
        record(0, "a", 0, {}, 0.9, 3.0),
        record(1, "b", 0, {"timesteps": 4}, 0.8, 2.0),
        record(2, "c", 0, {"timesteps": 8}, 0.6, 1.0),
        record(3, "d", 0, {"timesteps": 1}, 0.5, 2.5),
    ]
    report = build_report(records)
    # 10 % of each range beyond the worst value: accuracy 0.5 - 0.04, energy 3.0 + 0.2
    assert report.hypervolume_reference == pytest.approx({"accuracy": 0.46, "energy_mj": 3.2})
    # boxes to (0.46, 3.2): 0.44 x 0.2 + 0.34 x 1.0 + 0.14 x 1.0
    assert report.hypervolume == pytest.approx(0.568)
    assert report.front == [0, 1, 2]


def test_search_trials_group_by_configuration_and_published_numbers_match():
    records = [
        record(0, "search", 0, {"timesteps": 2}, 0.8, 1.0),
        record(1, "search", 1, {"timesteps": 2}, 0.82, 1.1),
        record(2, "search", 0, {"timesteps": 4}, 0.85, 2.0),
    ]
    reference = {
        "setting": {"dataset": "cifar10"},
        "published": [{"set": {"timesteps": 4}, "accuracy_pct": 94.72}, {"arm": "nope", "accuracy_pct": 1.0}],
    }
    report = build_report(records, baseline="baseline", reference=reference)
    rows = by_name(report)
    assert set(rows) == {"search #0", "search #2"}
    assert rows["search #0"].metrics["accuracy"].n == 2
    assert rows["search #2"].reference == {"accuracy_pct": 94.72} and rows["search #0"].reference == {}
    assert any("'baseline' has no trials" in note for note in report.notes)
    assert any("'nope'" in note for note in report.notes)
    assert all(stat.delta is None for row in report.rows for stat in row.metrics.values())


def test_rows_keep_baseline_first_and_design_order():
    report = build_report(list(reversed(ablation_records())), baseline="k3")
    assert [row.name for row in report.rows] == ["k3", "baseline", "k5", "serial"]
    assert [row.is_baseline for row in report.rows] == [True, False, False, False]
    assert report.rows[0].change == "fsta.dct_kernel=3" and report.rows[1].change == "(base)"


def test_no_complete_trial_gives_an_empty_front():
    report = build_report([record(0, "a", 0, {}, None, None, state="FAIL")])
    assert report.front == [] and report.hypervolume is None
    assert report.rows[0].n_failed == 1 and report.rows[0].metrics["accuracy"].mean is None


def test_pairs_by_seed_not_by_position():
    base = [record(i, "baseline", seed, {}, acc, 1.0) for i, (seed, acc) in enumerate([(5, 0.5), (6, 0.7), (7, 0.9)])]
    # the arm's trials arrive in another seed order, one seed missing from the baseline
    arm = [
        record(10 + i, "arm", seed, {"timesteps": 8}, acc, 1.0)
        for i, (seed, acc) in enumerate([(7, 0.95), (5, 0.52), (6, 0.74), (9, 0.1)])
    ]
    stat = by_name(build_report(base + arm, baseline="baseline"))["arm"].metrics["accuracy"]
    diffs = np.array([0.52 - 0.5, 0.74 - 0.7, 0.95 - 0.9])
    assert stat.n_pairs == 3 and stat.delta == pytest.approx(diffs.mean())
    assert stat.p_value == pytest.approx(scipy_stats.ttest_rel([0.52, 0.74, 0.95], [0.5, 0.7, 0.9]).pvalue)
    assert stat.n == 4  # the summary still uses every COMPLETE seed


@pytest.mark.parametrize("test", ["t", "wilcoxon"])
def test_p_values_are_probabilities(test):
    records = ablation_records()
    for row in build_report(records, baseline="baseline", test=test).rows:
        for stat in row.metrics.values():
            assert stat.p_value is None or 0.0 <= stat.p_value <= 1.0


def test_grid_cells_without_baseline():
    records = [
        record(n, f"k={k},T={t}", seed, {"fsta.dct_kernel": k, "timesteps": t}, 0.5 + 0.01 * n, 1.0 + n)
        for n, (k, t, seed) in enumerate(itertools.product([3, 5], [1, 2], [0, 1]))
    ]
    report = build_report(records)
    assert len(report.rows) == 4 and all(row.metrics["accuracy"].n == 2 for row in report.rows)
    assert report.rows[0].metrics["accuracy"].mean == pytest.approx(0.505)
