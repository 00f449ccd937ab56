"""Statistics behind the ablation report: mean ± std, paired tests, Pareto fronts and hypervolume.

Pure numpy/scipy on plain numbers; nothing here knows about trials or stores.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy import stats as scipy_stats

log = logging.getLogger(__name__)

PAIRED_TESTS = ("t", "wilcoxon")


@dataclass(frozen=True)
class Summary:
    """Mean and sample standard deviation (ddof = 1) of the finite values; std is None below 2 values."""

    n: int
    mean: float | None
    std: float | None


def summarize(values: Sequence[float]) -> Summary:
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
    delta: float | None          # mean over pairs of (arm - baseline)
    p_value: float | None
    note: str | None = None


def paired_test(baseline: Mapping[int, float], arm: Mapping[int, float], test: str = "t") -> PairedResult:
    """Pair `arm` with `baseline` by seed and test whether the mean difference is zero (two-sided).

    `test` is "t" (scipy.stats.ttest_rel) or "wilcoxon" (scipy.stats.wilcoxon on the differences).
    Fewer than 2 pairs, or differences that are all equal, give p = None with a note saying why.
    """
    if test not in PAIRED_TESTS:
        raise ValueError(f"paired test {test!r} is unknown (allowed: {', '.join(PAIRED_TESTS)})")
    seeds = sorted(s for s in set(baseline) & set(arm)
                   if _finite(baseline[s]) and _finite(arm[s]))
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
        p_value = float(scipy_stats.ttest_rel(arm_values, base_values).pvalue)
    else:
        p_value = float(scipy_stats.wilcoxon(differences).pvalue)
    return PairedResult(len(seeds), delta, p_value if math.isfinite(p_value) else None)


def _finite(value: object) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and math.isfinite(value)


def to_minimization(points: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Negate the columns whose direction is "max", so that smaller is better in every column."""
    signs = np.array([-1.0 if d == "max" else 1.0 for d in directions])
    return np.asarray(points, dtype=float).reshape(-1, len(directions)) * signs


def pareto_mask(points: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """True for each row of `points` that no other row dominates (ties on every objective are not dominated)."""
    loss = to_minimization(points, directions)
    mask = np.ones(len(loss), dtype=bool)
    for i, point in enumerate(loss):
        no_worse = np.all(loss <= point, axis=1)
        better = np.any(loss < point, axis=1)
        mask[i] = not np.any(no_worse & better)
    return mask


def reference_point(points: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """The hypervolume reference point, in the objectives' own units.

    Maximised objectives: min(0, worst observed) (accuracy: 0). Minimised objectives: 1.1 x the largest
    observed value (energy: 10% above the most expensive trial), or 0 where every value is <= 0.
    """
    points = np.asarray(points, dtype=float).reshape(-1, len(directions))
    ref = []
    for column, direction in zip(points.T, directions):
        if direction == "max":
            ref.append(min(0.0, float(column.min())) if column.size else 0.0)
        else:
            ref.append(1.1 * max(0.0, float(column.max())) if column.size else 0.0)
    return np.array(ref)


def hypervolume(points: np.ndarray, directions: Sequence[str], reference: np.ndarray | None = None) -> float:
    """Hypervolume dominated by `points` up to `reference` (default: `reference_point`).

    Uses optuna._hypervolume.compute_hypervolume (private API, pinned Optuna major) and falls back to the
    exact 2-D sweep where it cannot be imported. Points that do not dominate the reference add nothing.
    """
    points = np.asarray(points, dtype=float).reshape(-1, len(directions))
    if reference is None:
        reference = reference_point(points, directions)
    loss = to_minimization(points, directions)
    ref_loss = to_minimization(np.asarray(reference, dtype=float), directions)[0]
    loss = loss[np.all(loss <= ref_loss, axis=1)]
    try:
        from optuna._hypervolume import compute_hypervolume
    except ImportError:
        log.debug("optuna._hypervolume is unavailable; using the 2-D sweep")
        return hypervolume_2d(loss, ref_loss)
    return float(compute_hypervolume(loss, ref_loss, assume_pareto=False))


def hypervolume_2d(loss: np.ndarray, ref_loss: np.ndarray) -> float:
    """Exact 2-D hypervolume of minimisation points `loss` [N, 2] up to `ref_loss`, by a sweep over x."""
    loss = np.asarray(loss, dtype=float).reshape(-1, 2)
    if len(ref_loss) != 2:
        raise ValueError(f"the numpy hypervolume handles 2 objectives, got {len(ref_loss)}")
    loss = loss[np.all(loss <= ref_loss, axis=1)]
    volume, best_y = 0.0, float(ref_loss[1])
    for x, y in loss[np.lexsort((loss[:, 1], loss[:, 0]))]:
        if y < best_y:
            volume += (ref_loss[0] - x) * (best_y - y)
            best_y = y
    return float(volume)
