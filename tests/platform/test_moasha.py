"""MOASHA's rung decisions on hand-made rung tables (no Ray run: the decision logic is plain Python)."""

from __future__ import annotations

import numpy as np
import pytest

from spikesweep.platform.run.moasha import MOASHARungs, milestones, rebuild_rungs
from spikesweep.platform.run.moasha_rank import fronts, kept, positions, rank_normalise

OBJ = {"accuracy": "max", "energy_mj": "min"}
DIRS = ["max", "min"]


def m(accuracy: float, energy: float) -> dict[str, float]:
    return {"accuracy": accuracy, "energy_mj": energy}


def rungs(**options) -> MOASHARungs:
    options.setdefault("reduction_factor", 2.0)
    options.setdefault("bootstrap", 3)
    return MOASHARungs(OBJ, [1, 3, 9], **options)


def test_milestones():
    assert milestones(1, 3, 27) == [1, 3, 9]
    assert milestones(1, 3, 28) == [1, 3, 9, 27]
    assert milestones(2, 2, 10) == [2, 4, 8]
    assert milestones(1, 1.5, 4) == [1, 2, 3]  # 1, 1.5->2, 2.25->2 (dropped), 3.375->3
    with pytest.raises(ValueError):
        milestones(1, 1.0, 10)


def test_kept_is_top_ceil_n_over_eta():
    assert [kept(n, 3) for n in (1, 2, 3, 4, 6, 7)] == [1, 1, 1, 2, 2, 3]
    assert [kept(n, 2) for n in (1, 2, 3, 4)] == [1, 1, 2, 2]


def test_dominated_trial_stops_and_cheap_non_dominated_continues():
    r = rungs()
    assert r.on_result("accurate", 1, m(0.90, 1.00)) == "continue"
    assert r.on_result("dominated", 1, m(0.80, 2.00)) == "continue"  # provisional: bootstrap not reached
    # the third arrival is cheap and less accurate: on the front, it continues; the dominated one is judged
    assert r.on_result("cheap", 1, m(0.70, 0.05)) == "continue"
    assert r.pending_stop == {"dominated"}
    assert r.on_result("dominated", 2, m(0.81, 2.0)) == "stop"  # stopped at its next report
    assert r.on_result("accurate", 2, m(0.91, 1.0)) == "continue"
    assert r.on_result("cheap", 2, m(0.71, 0.05)) == "continue"


def test_accuracy_only_ranking_would_stop_the_cheap_point():
    """The same rung under one objective (accuracy): the cheap trial is the worst and stops."""
    r = MOASHARungs({"accuracy": "max"}, [1, 3], reduction_factor=2.0, bootstrap=3)
    r.on_result("accurate", 1, m(0.90, 1.00))
    r.on_result("middle", 1, m(0.80, 2.00))
    assert r.on_result("cheap", 1, m(0.70, 0.05)) == "stop"


def test_newcomer_dominating_every_recorded_trial_is_never_stopped():
    rng = np.random.default_rng(0)
    for case in range(150):
        n = int(rng.integers(4, 12))
        r = MOASHARungs(OBJ, [1], reduction_factor=3.0, bootstrap=2, rank=("nsga2", "epsnet")[case % 2])
        recorded = rng.uniform([0.5, 0.1], [0.9, 1.0], size=(n, 2))
        for i, (acc, energy) in enumerate(recorded):
            r.on_result(f"t{i}", 1, m(acc, energy))
        best = m(recorded[:, 0].max() + 0.01, recorded[:, 1].min() - 0.01)
        assert r.on_result("new", 1, best) == "continue", case


def test_newcomer_dominated_by_every_recorded_trial_is_always_stopped():
    rng = np.random.default_rng(1)
    for case in range(150):
        n = int(rng.integers(3, 12))
        r = MOASHARungs(OBJ, [1], reduction_factor=3.0, bootstrap=2, tie_break=("crowding", "hypervolume")[case % 2])
        recorded = rng.uniform([0.5, 0.1], [0.9, 1.0], size=(n, 2))
        for i, (acc, energy) in enumerate(recorded):
            r.on_result(f"t{i}", 1, m(acc, energy))
        worst = m(recorded[:, 0].min() - 0.01, recorded[:, 1].max() + 0.01)
        assert r.on_result("new", 1, worst) == "stop", case


def test_ties_get_the_same_verdict():
    r = MOASHARungs(OBJ, [1], reduction_factor=3.0, bootstrap=3)
    r.on_result("a", 1, m(0.8, 0.5))
    r.on_result("worse", 1, m(0.7, 0.9))
    assert r.on_result("b", 1, m(0.8, 0.5)) == "continue"  # keep = 1, but b ties a at position 0
    assert r.pending_stop == {"worse"}
    assert positions([[0.8, 0.5], [0.8, 0.5], [0.7, 0.9]], DIRS) == [0, 0, 2]


def test_bootstrap_defers_decisions_and_late_arrivals_are_judged_on_arrival():
    r = MOASHARungs(OBJ, [1, 3], reduction_factor=2.0, bootstrap=4)
    assert r.on_result("bad", 1, m(0.1, 5.0)) == "continue"
    assert r.on_result("good", 1, m(0.9, 0.1)) == "continue"
    assert r.on_result("mid", 1, m(0.5, 1.0)) == "continue"
    assert not r.rungs[0].decided and not r.pending_stop
    assert r.on_result("mid2", 1, m(0.5, 1.1)) == "stop"  # 4th: the rung decides; keep 2 of 4
    assert r.rungs[0].decided and r.pending_stop == {"bad"}
    # a late arrival is judged against all 5 recorded (keep 3): dominating 'mid' puts it at position 1
    assert r.on_result("late", 1, m(0.6, 0.5)) == "continue"
    # earlier verdicts are not revisited: 'mid' (now position 2 of 5) keeps running
    assert r.on_result("mid", 2, m(0.5, 1.0)) == "continue"
    assert r.on_result("bad", 2, m(0.1, 5.0)) == "stop"
    assert r.stopped == {"mid2", "bad"}


def test_a_provisional_trial_that_finished_gets_no_pending_stop():
    r = MOASHARungs(OBJ, [1], reduction_factor=2.0, bootstrap=3)
    r.on_result("bad", 1, m(0.1, 5.0))
    r.forget("bad")
    r.on_result("good", 1, m(0.9, 0.1))
    r.on_result("good2", 1, m(0.8, 0.2))
    assert r.pending_stop == set()


def test_protected_trial_is_ranked_but_never_stopped():
    r = MOASHARungs(OBJ, [1], reduction_factor=3.0, bootstrap=2)
    r.on_result("good", 1, m(0.9, 0.1))
    assert r.on_result("baseline", 1, m(0.1, 5.0), protected=True) == "continue"
    assert r.on_result("bad", 1, m(0.2, 4.0)) == "stop"  # the protected trial still counts in the rung
    assert "baseline" in r.table()[1]


def test_positions_invariant_to_permutation_and_monotone_rescaling():
    rng = np.random.default_rng(2)
    for _ in range(40):
        pts = rng.uniform([0.5, 0.01], [0.95, 3.0], size=(9, 2))
        base = positions(pts, DIRS)
        perm = rng.permutation(9)
        assert [positions(pts[perm], DIRS)[list(perm).index(i)] for i in range(9)] == base
        rescaled = np.column_stack([pts[:, 0] ** 3, np.log(pts[:, 1]) * 1000])
        assert positions(rescaled, DIRS) == base
        assert sorted(base) == list(range(9))  # distinct points: a permutation of positions


def test_fronts_and_in_front_orders():
    pts = [[0.9, 1.0], [0.6, 0.1], [0.59, 0.11], [0.75, 0.5], [0.5, 2.0]]
    loss = rank_normalise(np.array(pts), DIRS)
    assert fronts(loss) == [[0, 1, 3], [2], [4]]
    # crowding: the extremes of the first front before its middle point
    assert positions(pts, DIRS, tie_break="crowding")[3] == 2
    hv = positions(pts, DIRS, tie_break="hypervolume")
    eps = positions(pts, DIRS, rank="epsnet")
    assert sorted(hv[:2] + hv[3:4]) == [0, 1, 2] and sorted(eps[:2] + eps[3:4]) == [0, 1, 2]
    assert hv[2] == eps[2] == 3 and hv[4] == eps[4] == 4
    assert eps[0] == 0  # the ε-net starts from the best value of the first objective (highest accuracy)
    with pytest.raises(ValueError):
        MOASHARungs(OBJ, [1], rank="crowding")


def test_rebuild_from_per_epoch_records_equals_live_rungs():
    rng = np.random.default_rng(3)
    live = MOASHARungs(OBJ, [1, 3, 9], reduction_factor=3.0, bootstrap=3)
    history: list[tuple[str, int, dict[str, float]]] = []
    running = {f"t{i}": 0 for i in range(12)}
    quality = {t: rng.uniform(0.3, 1.0) for t in running}
    while running:
        trial = sorted(running)[int(rng.integers(len(running)))]
        running[trial] += 1
        epoch = running[trial]
        metrics = m(quality[trial] * (1 - 0.5**epoch), quality[trial] * rng.uniform(0.9, 1.1))
        history.append((trial, epoch, metrics))
        if live.on_result(trial, epoch, metrics) == "stop" or epoch == 10:
            del running[trial]
    assert live.stopped  # something was stopped
    rebuilt = rebuild_rungs(history, OBJ, [1, 3, 9], reduction_factor=3.0, bootstrap=3)
    assert rebuilt.table() == live.table()
    assert [r.decided for r in rebuilt.rungs] == [r.decided for r in live.rungs]
    assert rebuilt.stopped == live.stopped
    newcomer = m(0.5, 0.5)
    assert rebuilt.on_result("new", 1, newcomer) == live.on_result("new", 1, newcomer)


def test_error_results_and_epochs_between_rungs_are_not_judged():
    r = MOASHARungs(OBJ, [1, 3], reduction_factor=2.0, bootstrap=1)
    assert r.on_result("a", 1, {"accuracy": float("nan"), "energy_mj": 1.0}) == "continue"
    assert r.table()[1] == {}
    assert r.on_result("a", 2, m(0.5, 0.5)) == "continue"  # records at rung 1 (highest reached, not recorded)
    assert r.table()[1] == {"a": [0.5, 0.5]}
    assert r.on_result("a", 2, m(0.6, 0.5)) == "continue"
    assert r.table()[1] == {"a": [0.5, 0.5]}
