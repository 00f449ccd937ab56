"""rescore: energy from stored counts, the papers' arithmetic and the accepted forms of counts."""

import pytest

from spikesweep.workers.energy.accounting import op_totals, rescore
from spikesweep.workers.energy.presets import EnergyPreset

LAYERS = [  # a per-layer table as trials log it (`energy_layers`)
    {
        "kind": "ops",
        "layer": "conv1",
        "op": "Conv2d",
        "in_paper": True,
        "flops": 100.0,
        "acs": 0.0,
        "macs": 100.0,
        "elementwise": 0.0,
        "spike_input": False,
        "input_rate": None,
    },
    {
        "kind": "ops",
        "layer": "conv2",
        "op": "Conv2d",
        "in_paper": True,
        "flops": 1000.0,
        "acs": 250.0,
        "macs": 0.0,
        "elementwise": 0.0,
        "spike_input": True,
        "input_rate": 0.25,
    },
    {
        "kind": "ops",
        "layer": "attn",
        "op": "conv",
        "in_paper": False,
        "flops": 50.0,
        "acs": 0.0,
        "macs": 50.0,
        "elementwise": 0.0,
        "spike_input": False,
        "input_rate": None,
    },
    {
        "kind": "ops",
        "layer": "lif",
        "op": "elementwise",
        "in_paper": False,
        "flops": 0.0,
        "acs": 0.0,
        "macs": 0.0,
        "elementwise": 70.0,
        "spike_input": False,
        "input_rate": None,
    },
    {"kind": "neuron", "layer": "lif", "firing_rate": 0.25, "neurons": 10, "steps": 4, "spikes_per_image": 10.0},
]


def test_staa_energy_is_the_preset_arithmetic_of_its_rounded_counts():
    # STAA, ResNet20, CIFAR-100, T = 4: 0.10G ACs, 0.06G MACs -> 0.366 mJ (seed-spec 3.10)
    metrics = {"ops_paper_acs": 0.10e9, "ops_paper_macs": 0.06e9}
    assert rescore(metrics, "horowitz45_fp32", "paper") == pytest.approx(0.366, abs=1e-12)


def test_fsta_energy_example_and_other_presets():
    # FSTA, T = 4: 260.05M x 0.9 pJ + 67.26M x 4.6 pJ = 0.543 mJ (seed-spec 5.1; reported 0.54)
    counts = {"paper": {"acs": 260.05e6, "macs": 67.26e6}}
    assert rescore(counts) == pytest.approx(0.543441, abs=1e-9)
    assert rescore(counts, "horowitz45_fp16") == pytest.approx(260.05e6 * 0.4e-9 + 67.26e6 * 1.5e-9)
    assert rescore(counts, "horowitz45_int8") == pytest.approx(260.05e6 * 0.03e-9 + 67.26e6 * 0.23e-9)
    assert rescore(counts, EnergyPreset(1.0, 2.0, "custom")) == pytest.approx(260.05e6 * 1e-9 + 67.26e6 * 2e-9)


def test_totals_and_energy_from_the_layer_table():
    assert op_totals(LAYERS, "paper") == {"flops": 1100.0, "acs": 250.0, "macs": 100.0}
    assert op_totals(LAYERS, "full") == {"flops": 1150.0, "acs": 250.0, "macs": 150.0, "elementwise": 70.0}
    assert rescore(LAYERS, accounting="full") == pytest.approx((250 * 0.9 + 150 * 4.6) * 1e-9)
    assert rescore({"energy_layers": LAYERS}) == pytest.approx((250 * 0.9 + 100 * 4.6) * 1e-9)
    inspect_output = {"ops": {"paper": {"flops": 1.0, "acs": 10.0, "macs": 1.0}, "full": {"acs": 10.0, "macs": 3.0}}}
    assert rescore(inspect_output, accounting="full") == pytest.approx((10 * 0.9 + 3 * 4.6) * 1e-9)


def test_bad_names_and_missing_counts_are_reported_clearly():
    with pytest.raises(ValueError, match=r"energy\.accounting: 'dense' .*allowed: paper \| full"):
        rescore(LAYERS, accounting="dense")
    with pytest.raises(ValueError, match="energy.preset: .*horowitz45_fp32"):
        rescore(LAYERS, preset="horowitz22")
    with pytest.raises(KeyError, match="ops_full_acs"):
        rescore({"ops_paper_acs": 1.0, "ops_paper_macs": 1.0}, accounting="full")
