"""inspect_energy: per-image counts on random input, at measured or fixed firing rates, energy per preset."""

import pytest
import torch

from spikesweep.workers.energy import inspect_energy
from spikesweep.workers.knobs import resolve
from spikesweep.workers.model import build_model

CONFIG = resolve({"backbone": "small_cnn", "timesteps": 2})


def small_cnn():
    torch.manual_seed(0)
    return build_model(CONFIG, (1, 8, 8), 10)


def test_shape_of_the_answer_and_energy_per_preset():
    result = inspect_energy(small_cnn(), (1, 8, 8), CONFIG)
    assert set(result["ops"]) == {"paper", "full"}
    assert set(result["ops"]["paper"]) == {"flops", "macs", "acs"}
    assert set(result["ops"]["full"]) == {"flops", "macs", "acs", "elementwise"}
    paper = result["ops"]["paper"]
    # small_cnn at T = 2, 8x8: MACs are the stem conv 1->32 3x3 (T*64*9*32), its BN (T*2*32*64) and the BN after
    # the strided conv (T*2*64*16); everything else is driven by spikes
    assert paper["macs"] == 2 * 64 * 9 * 32 + 2 * 2 * 32 * 64 + 2 * 2 * 64 * 16
    assert result["energy_mj"]["horowitz45_fp32"] == pytest.approx((paper["acs"] * 0.9 + paper["macs"] * 4.6) * 1e-9)
    assert result["energy_mj"]["horowitz45_int8"] == pytest.approx((paper["acs"] * 0.03 + paper["macs"] * 0.23) * 1e-9)
    assert result["accounting"] == "paper" and result["ac_rate"] is None and 0 <= result["firing_rate"] <= 1


def test_fixed_firing_rate_scales_every_spike_driven_op():
    model = small_cnn()
    at_one = inspect_energy(model, (1, 8, 8), CONFIG, firing_rate=1.0)["ops"]
    at_quarter = inspect_energy(model, (1, 8, 8), CONFIG, firing_rate=0.25)["ops"]
    measured = inspect_energy(model, (1, 8, 8), CONFIG)["ops"]
    for accounting in ("paper", "full"):
        assert at_one[accounting]["acs"] + at_one[accounting]["macs"] == pytest.approx(at_one[accounting]["flops"])
        assert at_quarter[accounting]["acs"] == pytest.approx(at_one[accounting]["acs"] / 4)
        assert measured[accounting]["macs"] == at_one[accounting]["macs"]
    with pytest.raises(ValueError, match="firing rate: 1.5"):
        inspect_energy(model, (1, 8, 8), CONFIG, firing_rate=1.5)


def test_full_accounting_prices_the_full_counts():
    config = resolve({"backbone": "small_cnn", "timesteps": 2, "energy.accounting": "full"})
    result = inspect_energy(small_cnn(), (1, 8, 8), config, inputs=torch.ones(2, 1, 8, 8))
    full = result["ops"]["full"]
    assert result["accounting"] == "full"
    assert result["energy_mj"]["horowitz45_fp16"] == pytest.approx((full["acs"] * 0.4 + full["macs"] * 1.5) * 1e-9)
