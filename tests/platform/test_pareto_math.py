"""spikesweep/platform/pareto.py: the one front, reference point and hypervolume (known answers)."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from spikesweep.platform import pareto

MAX_MIN = ["max", "min"]
THREE = np.array([[0.9, 3.0], [0.8, 2.0], [0.6, 1.0]])


def test_hypervolume_known_answer_on_a_three_point_front():
    # minimisation view (-acc, energy) against (0, 3.3): 0.9 x 0.3 + 0.8 x 1.0 + 0.6 x 1.0
    assert pareto.hypervolume(THREE, MAX_MIN, [0.0, 3.3]) == pytest.approx(1.67)
    loss = pareto.to_minimization(THREE, MAX_MIN)
    assert pareto.hypervolume_2d(loss, np.array([0.0, 3.3])) == pytest.approx(1.67)


def test_reference_point_is_ten_percent_of_the_range_beyond_the_worst():
    assert pareto.reference_point(THREE, MAX_MIN) == pytest.approx([0.6 - 0.03, 3.0 + 0.2])
    assert pareto.reference_point(THREE, ["min", "max"]) == pytest.approx([0.9 + 0.03, 1.0 - 0.2])
    # one trial (no range): 10 % of the value itself, 0.1 where it is 0
    assert pareto.reference_point([[0.5, 0.0]], MAX_MIN) == pytest.approx([0.45, 0.1])


def test_front_of_uses_the_documented_reference():
    found = pareto.front_of(THREE, MAX_MIN)
    assert found is not None and found.indices() == [0, 1, 2]
    # against (0.57, 3.2): 0.33 x 0.2 + 0.23 x 1.0 + 0.03 x 1.0
    assert found.hypervolume == pytest.approx(0.326)
    assert pareto.front_of(np.zeros((0, 2)), MAX_MIN) is None
    single = pareto.front_of([[0.5, 2.0]], MAX_MIN)
    assert single is not None and single.hypervolume == pytest.approx(0.05 * 0.2)


def test_optuna_and_the_numpy_sweep_agree_on_random_sets():
    from optuna._hypervolume import compute_hypervolume

    rng = np.random.default_rng(0)
    for _ in range(20):
        points = np.column_stack([rng.uniform(0.1, 1.0, 15), rng.uniform(0.5, 5.0, 15)])
        ref = pareto.reference_point(points, MAX_MIN)
        loss, ref_loss = pareto.to_minimization(points, MAX_MIN), pareto.to_minimization(ref, MAX_MIN)[0]
        assert pareto.hypervolume_2d(loss, ref_loss) == pytest.approx(compute_hypervolume(loss, ref_loss), rel=1e-12)
        assert pareto.hypervolume(points, MAX_MIN, ref) == pytest.approx(
            pareto.hypervolume_2d(loss, ref_loss), rel=1e-12
        )


def test_points_beyond_the_reference_add_nothing():
    points = np.array([[0.9, 1.0], [0.95, 5.0]])
    assert pareto.hypervolume(points, MAX_MIN, [0.0, 2.0]) == pytest.approx(0.9 * 1.0)
    assert pareto.hypervolume(points, MAX_MIN, [0.99, 0.5]) == 0.0


def test_fallback_is_used_without_optuna(monkeypatch, caplog):
    real_import = builtins.__import__

    def no_optuna(name, *args, **kwargs):
        if name.startswith("optuna"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_optuna)
    with caplog.at_level("DEBUG", logger=pareto.__name__):
        assert pareto.hypervolume(THREE, MAX_MIN, [0.0, 3.3]) == pytest.approx(1.67)
    assert "2-D sweep" in caplog.text


def test_non_dominated_mask_with_duplicates_and_directions():
    points = np.array([[0.9, 1.0], [0.9, 1.0], [0.8, 1.0], [0.95, 2.0], [0.5, 0.5]])
    assert pareto.non_dominated_mask(points, MAX_MIN).tolist() == [True, True, False, True, True]
    assert pareto.non_dominated_mask(points, ["min", "max"]).tolist() == [False, False, True, True, True]
    assert pareto.non_dominated_mask(points, ["min", "min"]).tolist() == [False, False, False, False, True]


def test_objective_values_need_every_objective_finite():
    assert pareto.objective_values({"accuracy": 0.5, "energy_mj": 2}, ["accuracy", "energy_mj"]) == [0.5, 2.0]
    assert pareto.objective_values({"accuracy": float("nan"), "energy_mj": 2}, ["accuracy", "energy_mj"]) is None
    assert pareto.objective_values({"accuracy": True, "energy_mj": 2}, ["accuracy", "energy_mj"]) is None
