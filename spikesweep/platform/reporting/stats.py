"""Statistics behind the ablation report: mean ± std and paired tests over seeds (fronts: `platform.pareto`).

Pure numpy/scipy on plain numbers; nothing here knows about trials or stores.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..report_choices import PAIRED_TESTS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Summary:
    """Mean and sample standard deviation (ddof = 1) of the finite values; std is None below 2 values."""

    n: int
    mean: float | None
    std: float | None


def summarize(values: Sequence[float | None]) -> Summary:
    """Mean ± sample std (ddof = 1) of the finite entries of `values`."""
    finite = np.array([v for v in values if _finite(v)], dtype=float)
    if finite.size == 0:
        return Summary(0, None, None)
    std = float(finite.std(ddof=1)) if finite.size >= 2 else None
    return Summary(int(finite.size), float(finite.mean()), std)


@dataclass(frozen=True)
class PairedResult:
    """The paired comparison of an arm with the baseline over the seeds both have."""

    n_pairs: int
    delta: float | None  # mean over pairs of (arm - baseline)
    p_value: float | None
    note: str | None = None


def paired_test(baseline: Mapping[int, float], arm: Mapping[int, float], test: str = "t") -> PairedResult:
    """Pair `arm` with `baseline` by seed and test whether the mean difference is zero (two-sided).

    `test` is "t" (scipy.stats.ttest_rel) or "wilcoxon" (scipy.stats.wilcoxon on the differences).
    Fewer than 2 pairs, or differences that are all equal, give p = None with a note saying why.
    """
    if test not in PAIRED_TESTS:
        raise ValueError(f"paired test {test!r} is unknown (allowed: {', '.join(PAIRED_TESTS)})")
    seeds = sorted(s for s in set(baseline) & set(arm) if _finite(baseline[s]) and _finite(arm[s]))
    if not seeds:
        return PairedResult(0, None, None, "no seed in common with the baseline")
    base_values = np.array([baseline[s] for s in seeds], dtype=float)
    arm_values = np.array([arm[s] for s in seeds], dtype=float)
    differences = arm_values - base_values
    delta = float(differences.mean())
    if len(seeds) < 2:
        return PairedResult(1, delta, None, "1 paired seed: no test")
    # equal up to rounding (e.g. 1.8 - 1.5 vs 1.9 - 1.6): scipy would divide by a variance of pure noise
    scale = max(float(np.abs(arm_values).max()), float(np.abs(base_values).max()), np.finfo(float).tiny)
    if np.ptp(differences) <= 1e-9 * scale:
        return PairedResult(len(seeds), delta, None, "the paired differences are all equal: no test")
    if test == "t":
        from scipy import stats as scipy_stats  # scipy loads only when a test runs (fast `status`)

        p_value = float(scipy_stats.ttest_rel(arm_values, base_values).pvalue)
    else:
        from scipy import stats as scipy_stats

        p_value = float(scipy_stats.wilcoxon(differences).pvalue)
    return PairedResult(len(seeds), delta, p_value if math.isfinite(p_value) else None)


def _finite(value: object) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and math.isfinite(value)
