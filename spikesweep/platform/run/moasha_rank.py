"""Ranking of one rung's objective vectors for multi-objective ASHA: non-dominated fronts, then an order inside
each front (crowding distance, exclusive hypervolume contribution or an ε-net), on rank-normalised objectives.

`positions` returns, for every input row, its 0-based position in the rung's order (best first). It is a position
per row, never an ordering of row indices: Syne Tune's MOASHA confuses the two (anchors-next.md §1.1).
Rows with identical normalised values share the best position among them, so tied trials get the same verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.stats import rankdata

from ..pareto import hypervolume, to_minimization

HV_REFERENCE = 1.1  # reference point per objective in rank-normalised space ([0, 1] per objective)


def rank_normalise(points: np.ndarray, directions: Sequence[str]) -> np.ndarray:
    """Each objective replaced by its average rank in the rung, scaled to [0, 1], smaller is better."""
    loss = to_minimization(points, directions)
    if len(loss) <= 1:
        return np.zeros_like(loss)
    ranks = np.column_stack([rankdata(loss[:, j], method="average") for j in range(loss.shape[1])])
    return (ranks - 1.0) / (len(loss) - 1.0)


def fronts(loss: np.ndarray) -> list[list[int]]:
    """Pareto fronts of minimisation rows, best first (repeated peeling; equal rows never dominate each other)."""
    remaining = list(range(len(loss)))
    peeled: list[list[int]] = []
    while remaining:
        block = loss[remaining]
        front = []
        for i, row in zip(remaining, block):
            dominated = np.any(np.all(block <= row, axis=1) & np.any(block < row, axis=1))
            if not dominated:
                front.append(i)
        peeled.append(front)
        remaining = [i for i in remaining if i not in front]
    return peeled


def crowding_scores(loss: np.ndarray, front: list[int]) -> dict[int, float]:
    """NSGA-II crowding distance of each row of a front (extremes infinite); larger is better."""
    scores = dict.fromkeys(front, 0.0)
    if len(front) <= 2:
        return dict.fromkeys(front, np.inf)
    points = loss[front]
    for j in range(points.shape[1]):
        order = np.argsort(points[:, j], kind="stable")
        low, high = points[order[0], j], points[order[-1], j]
        scores[front[order[0]]] = scores[front[order[-1]]] = np.inf
        if high <= low:
            continue
        for k in range(1, len(order) - 1):
            scores[front[order[k]]] += (points[order[k + 1], j] - points[order[k - 1], j]) / (high - low)
    return scores


def hypervolume_scores(loss: np.ndarray, front: list[int]) -> dict[int, float]:
    """Exclusive hypervolume contribution of each row of a front (reference 1.1 per objective); larger is better."""
    directions = ["min"] * loss.shape[1]
    reference = np.full(loss.shape[1], HV_REFERENCE)
    points = loss[front]
    total = hypervolume(points, directions, reference)
    return {
        i: total - hypervolume(np.delete(points, k, axis=0), directions, reference) if len(front) > 1 else total
        for k, i in enumerate(front)
    }


def _tie_key(loss: np.ndarray, i: int) -> tuple[float, ...]:
    """Deterministic order between rows of equal score: smaller normalised sum first, then lexicographic."""
    return (float(loss[i].sum()), *map(float, loss[i]))


def order_by_score(scorer: Callable[[np.ndarray, list[int]], dict[int, float]]) -> Callable:
    """An in-front order from a score (larger first)."""

    def order(loss: np.ndarray, front: list[int]) -> list[int]:
        scores = scorer(loss, front)
        return sorted(front, key=lambda i: (-scores[i], _tie_key(loss, i)))

    return order


def epsnet_order(loss: np.ndarray, front: list[int]) -> list[int]:
    """ε-net order: the best row on the first objective, then repeatedly the row farthest from those chosen."""
    chosen = [min(front, key=lambda i: (float(loss[i, 0]), _tie_key(loss, i)))]
    left = [i for i in front if i != chosen[0]]
    while left:
        distance = {i: min(float(np.linalg.norm(loss[i] - loss[c])) for c in chosen) for i in left}
        best = min(left, key=lambda i: (-distance[i], _tie_key(loss, i)))
        chosen.append(best)
        left.remove(best)
    return chosen


IN_FRONT_ORDERS: dict[str, Callable[[np.ndarray, list[int]], list[int]]] = {
    "crowding": order_by_score(crowding_scores),
    "hypervolume": order_by_score(hypervolume_scores),
    "epsnet": epsnet_order,
}


def in_front_order(rank: str, tie_break: str) -> Callable[[np.ndarray, list[int]], list[int]]:
    """`rank: epsnet` orders every front by an ε-net; `rank: nsga2` by the `tie_break` score."""
    return IN_FRONT_ORDERS["epsnet" if rank == "epsnet" else tie_break]


def positions(
    points: Sequence[Sequence[float]], directions: Sequence[str], rank: str = "nsga2", tie_break: str = "crowding"
) -> list[int]:
    """0-based position of each row in the rung's order (best first); equal rows share the best position."""
    raw = np.asarray(points, dtype=float).reshape(-1, len(directions))
    loss = rank_normalise(raw, directions)
    order_front = in_front_order(rank, tie_break)
    ordered: list[int] = []
    for front in fronts(loss):
        ordered += order_front(loss, front)
    position = {i: p for p, i in enumerate(ordered)}
    result = []
    for i in range(len(raw)):
        twins = [j for j in range(len(raw)) if np.array_equal(loss[j], loss[i])]
        result.append(min(position[j] for j in twins))
    return result


def kept(n: int, reduction_factor: float) -> int:
    """How many of `n` trials at a rung continue: the top ceil(n / eta), at least one."""
    return max(1, int(np.ceil(n / reduction_factor - 1e-9)))
