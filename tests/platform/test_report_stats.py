"""spikesweep/platform/reporting/stats.py: hypervolume (optuna and the numpy sweep), Pareto masks, paired tests."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from spikesweep.platform.reporting import stats

MAX_MIN = ["max", "min"]


def test_hypervolume_known_answer_on_a_three_point_front():
    points = np.array([[0.9, 3.0], [0.8, 2.0], [0.6, 1.0]])
    # minimisation view (-acc, energy) against (0, 3.3): 0.9 x 0.3 + 0.8 x 1.0 + 0.6 x 1.0
    assert stats.hypervolume(points, MAX_MIN, np.array([0.0, 3.3])) == pytest.approx(1.67)
    assert stats.hypervolume_2d(stats.to_minimization(points, MAX_MIN), np.array([0.0, 3.3])) == pytest.approx(1.67)
    assert stats.hypervolume(points, MAX_MIN) == pytest.approx(1.67)  # default reference: acc 0, 1.1 x max energy


def test_optuna_and_the_numpy_sweep_agree_on_random_sets():
    from optuna._hypervolume import compute_hypervolume

    rng = np.random.default_rng(0)
    for _ in range(20):
        points = np.column_stack([rng.uniform(0.1, 1.0, 15), rng.uniform(0.5, 5.0, 15)])
        ref = stats.reference_point(points, MAX_MIN)
        loss, ref_loss = stats.to_minimization(points, MAX_MIN), stats.to_minimization(ref, MAX_MIN)[0]
        assert stats.hypervolume_2d(loss, ref_loss) == pytest.approx(compute_hypervolume(loss, ref_loss), rel=1e-12)
        assert stats.hypervolume(points, MAX_MIN) == pytest.approx(stats.hypervolume_2d(loss, ref_loss), rel=1e-12)


def test_points_beyond_the_reference_add_nothing():
    points = np.array([[0.9, 1.0], [0.95, 5.0]])
    assert stats.hypervolume(points, MAX_MIN, np.array([0.0, 2.0])) == pytest.approx(0.9 * 1.0)


def test_fallback_is_used_without_optuna(monkeypatch, caplog):
    import builtins

    real_import = builtins.__import__

    def no_optuna(name, *args, **kwargs):
        if name.startswith("optuna"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_optuna)
    with caplog.at_level("DEBUG", logger=stats.__name__):
        assert stats.hypervolume(np.array([[0.9, 3.0], [0.8, 2.0], [0.6, 1.0]]), MAX_MIN) == pytest.approx(1.67)
    assert "2-D sweep" in caplog.text


def test_pareto_mask_with_duplicates_and_directions():
    points = np.array([[0.9, 1.0], [0.9, 1.0], [0.8, 1.0], [0.95, 2.0], [0.5, 0.5]])
    assert stats.pareto_mask(points, MAX_MIN).tolist() == [True, True, False, True, True]
    assert stats.pareto_mask(points, ["min", "max"]).tolist() == [False, False, True, True, True]
    assert stats.pareto_mask(points, ["min", "min"]).tolist() == [False, False, False, False, True]


def test_summarize_ignores_missing_values():
    summary = stats.summarize([1.0, None, float("nan"), 3.0])
    assert (summary.n, summary.mean, summary.std) == (2, 2.0, pytest.approx(np.std([1.0, 3.0], ddof=1)))
    assert stats.summarize([]) == stats.Summary(0, None, None)
    assert stats.summarize([2.0, "x", True]) == stats.Summary(1, 2.0, None)


def test_paired_test_matches_scipy_and_explains_missing_p_values():
    base = {0: 0.5, 1: 0.6, 2: 0.55, 3: 0.7}
    arm = {0: 0.52, 1: 0.61, 2: 0.6, 3: 0.71}
    result = stats.paired_test(base, arm)
    assert result.n_pairs == 4
    assert result.p_value == pytest.approx(scipy_stats.ttest_rel(list(arm.values()), list(base.values())).pvalue)
    wilcoxon = stats.paired_test(base, arm, test="wilcoxon")
    assert wilcoxon.p_value == pytest.approx(scipy_stats.wilcoxon([arm[s] - base[s] for s in base]).pvalue)
    assert stats.paired_test(base, {9: 1.0}).note == "no seed in common with the baseline"
    # differences equal up to rounding: no test rather than a p-value of noise
    near = stats.paired_test({0: 1.5, 1: 1.6, 2: 1.4}, {0: 1.8, 1: 1.9, 2: 1.7})
    assert near.p_value is None and near.delta == pytest.approx(0.3) and "all equal" in near.note
    with pytest.raises(ValueError, match="allowed: t, wilcoxon"):
        stats.paired_test(base, arm, test="z")
