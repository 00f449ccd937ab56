"""The paper neuron presets (spikesweep/workers/neurons/fsta.py, dta.py): spikes and surrogate gradients."""

import math

import pytest
import torch

from spikesweep.workers import NEURONS
from spikesweep.workers.knobs import resolve


def make(name: str):
    return NEURONS.get(name)(resolve({"neuron": name}), 4)


def fsta_grad(u: float) -> float:
    """Seed-spec 1.1: dS/dz = sech^2(z - 0.5) / (2 tanh(1/2)) on 0 <= z <= 1 (k = 1, V_th = 1)."""
    return 1.0 / math.cosh(u - 0.5) ** 2 / (2 * math.tanh(0.5)) if 0.0 <= u <= 1.0 else 0.0


def test_fsta_fires_above_half_and_hard_resets():
    # u1 = 0.4 (silent), u2 = 0.1 + 0.2 = 0.3 (silent), u3 = 0.075 + 0.6 = 0.675 (spike), u4 = 0 + 0.51 (spike)
    current = torch.tensor([0.4, 0.2, 0.6, 0.51]).view(4, 1, 1)
    assert make("fsta")(current).flatten().tolist() == [0.0, 0.0, 1.0, 1.0]
    # exactly at the effective threshold 0.5 it does not fire (strict u / V_th > 0.5)
    assert make("fsta")(torch.tensor([[[0.5]]])).item() == 0.0


def test_dta_fires_above_one_with_decay_half():
    # u1 = 0.8, u2 = 0.4 + 0.7 = 1.1 (spike, reset), u3 = 0 + 1.5 (spike), u4 = 0 + 1.0 (not > 1)
    current = torch.tensor([0.8, 0.7, 1.5, 1.0]).view(4, 1, 1)
    assert make("dta")(current).flatten().tolist() == [0.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize("u", [-0.1, 0.0, 0.2, 0.5, 0.8, 1.0, 1.2])
def test_fsta_surrogate_is_the_tanh_window(u):
    x = torch.tensor([[[u]]], requires_grad=True)
    make("fsta")(x).sum().backward()
    assert x.grad.item() == pytest.approx(fsta_grad(u), abs=1e-6)


def test_fsta_surrogate_range_matches_spec():
    assert fsta_grad(0.5) == pytest.approx(1.082, abs=1e-3)
    assert fsta_grad(0.0) == pytest.approx(0.851, abs=1e-3)


@pytest.mark.parametrize("u,expected", [(1.0, 1.0), (0.5, 0.5), (1.25, 0.75), (2.5, 0.0), (-0.2, 0.0)])
def test_dta_surrogate_is_triangular(u, expected):
    x = torch.tensor([[[u]]], requires_grad=True)
    make("dta")(x).sum().backward()
    assert x.grad.item() == pytest.approx(expected, abs=1e-6)


def test_gradient_flows_through_the_reset():
    # x1 = 0.6 spikes; u1_reset = u1 (1 - s1), d u1_reset / d x1 = (1 - s1) - u1 g(u1) = -0.6 g(0.6);
    # u2 = 0.25 u1_reset + x2 = 0.3, so d s2 / d x1 = g(0.3) * 0.25 * (-0.6 g(0.6)) (0 if the reset were detached)
    x = torch.tensor([0.6, 0.3]).view(2, 1, 1).requires_grad_()
    spikes = make("fsta")(x)
    spikes[1].sum().backward()
    assert x.grad[0].item() == pytest.approx(fsta_grad(0.3) * 0.25 * (-0.6 * fsta_grad(0.6)), abs=1e-6)
    # DTA: x1 = 1.2 spikes, d u1_reset / d x1 = -1.2 * tri(1.2) = -1.2 * 0.8; u2 = 0.9, tri(0.9) = 0.9
    x = torch.tensor([1.2, 0.9]).view(2, 1, 1).requires_grad_()
    make("dta")(x)[1].sum().backward()
    assert x.grad[0].item() == pytest.approx(0.9 * 0.5 * (-1.2 * 0.8), abs=1e-6)


def test_generic_lif_stays_the_default_and_can_use_the_tanh_window():
    config = resolve({})
    assert config["neuron"] == "generic"
    x = torch.tensor([[[1.0]]], requires_grad=True)  # threshold 1, width 2: z = 0 is the window centre
    neuron = NEURONS.get("generic")(resolve({"neuron.surrogate": "tanh_window", "neuron.surrogate_width": 2.0}), 1)
    neuron(x).sum().backward()
    assert x.grad.item() == pytest.approx(1.0 / (2 * math.tanh(0.5)) / 2.0, abs=1e-6)
