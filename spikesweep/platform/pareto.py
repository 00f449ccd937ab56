"""The Pareto front and its hypervolume: pure math on objective values, the one source for every caller.

The live progress, the driver's summary, the report, the plots and the MLflow metric all call these functions,
so every place shows the same front and the same hypervolume for the same study.

The reference point (documented in the README) is, per objective, 10 % of the objective's range over the
completed trials beyond its worst value; where every trial has the same value, 10 % of that value (0.1 where it
is 0). Hypervolume is computed in loss space (maximised objectives negated) by Optuna's routine, with an exact
2-D sweep where that private module cannot be imported.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
DIRECTIONS = ("max", "min")
REFERENCE_MARGIN = 0.1


def objective_values(metrics: Mapping[str, Any], objectives: Sequence[str]) -> list[float] | None:
    """The objectives' values from a trial's metrics, or None if one is missing or not finite."""
    values = []
    for name in objectives:
        value = metrics.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
            return None
        values.append(float(value))
    return values


def to_minimization(points: Any, directions: Sequence[str]) -> np.ndarray:
    """Negate the columns whose direction is "max", so that smaller is better in every column."""
    signs = np.array([-1.0 if d == "max" else 1.0 for d in directions])
    return np.asarray(points, dtype=float).reshape(-1, len(directions)) * signs


def non_dominated_mask(points: Any, directions: Sequence[str]) -> np.ndarray:
    """True for each row of `points` that no other row dominates (rows equal on every objective all stay)."""
    loss = to_minimization(points, directions)
    mask = np.ones(len(loss), dtype=bool)
    for i, point in enumerate(loss):
        no_worse = np.all(loss <= point, axis=1)
        better = np.any(loss < point, axis=1)
        mask[i] = not np.any(no_worse & better)
    return mask


def reference_point(points: Any, directions: Sequence[str]) -> np.ndarray:
    """The hypervolume reference point in the objectives' own units (see the module docstring)."""
    loss = to_minimization(points, directions)
    if len(loss) == 0:
        raise ValueError("the reference point needs at least one completed trial")
    worst, best = loss.max(axis=0), loss.min(axis=0)
    spread = worst - best
    margin = np.where(spread > 0, spread, np.where(worst != 0, np.abs(worst), 1.0)) * REFERENCE_MARGIN
    return to_minimization(worst + margin, directions)[0]


def hypervolume(points: Any, directions: Sequence[str], reference: Any) -> float:
    """Hypervolume dominated by `points` up to `reference` (both in the objectives' own units)."""
    loss = to_minimization(points, directions)
    ref_loss = to_minimization(reference, directions)[0]
    loss = loss[np.all(loss < ref_loss, axis=1)]
    if len(loss) == 0:
        return 0.0
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


@dataclass(frozen=True)
class Front:
    """The front of a set of completed trials: which rows are on it, the reference point and the hypervolume."""

    mask: np.ndarray
    reference: np.ndarray
    hypervolume: float

    def indices(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(self.mask)]


def front_of(points: Any, directions: Sequence[str]) -> Front | None:
    """The front, reference point and hypervolume of the completed trials' objective values (None if none)."""
    points = np.asarray(points, dtype=float).reshape(-1, len(directions))
    if len(points) == 0:
        return None
    mask = non_dominated_mask(points, directions)
    reference = reference_point(points, directions)
    return Front(mask, reference, hypervolume(points[mask], directions, reference))
