"""spikesweep/platform/reporting/stats.py: mean ± std and paired tests."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats

from spikesweep.platform.reporting import stats

MAX_MIN = ["max", "min"]


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
