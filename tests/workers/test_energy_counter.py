"""measure_energy / count_model on hand-made models whose counts are worked out by hand in the comments."""

import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from spikesweep.workers.energy.counter import count_model, measure_energy, report_from_counts
from spikesweep.workers.knobs import resolve
from spikesweep.workers.layers import SeqFold
from spikesweep.workers.model import SpikingNetwork
from spikesweep.workers.neurons import SpikeMonitor
from spikesweep.workers.neurons.base import SpikingNeuron

T, B = 2, 2  # time steps, images per batch


class Constant(SpikingNeuron):
    """Fires everywhere (value 1) or nowhere (value 0), whatever the current."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def forward(self, current: torch.Tensor) -> torch.Tensor:
        return self.record(torch.full_like(current, self.value))


class Step(SpikingNeuron):
    """Fires where the current is positive."""

    def forward(self, current: torch.Tensor) -> torch.Tensor:
        return self.record((current > 0).to(current.dtype))


class Toy(nn.Module):
    """[T, B, 1, 4, 4]: conv-BN-LIF, conv(+bias)-LIF, avg-pool, conv1x1-LIF, max-pool, linear (as in ResNet20).

    Per image (T = 2, B = 2):            FLOPs                         kind
      conv1 3x3 1->2 on 4x4             T * 16 * 9 * 2 = 576          MAC (image input)
      bn1 (affine)                      T * 32 * 2 = 128              MAC
      conv2 3x3 2->3 + bias             T * (16*9*2*3 + 3*16) = 1824  AC at the rate of n1
      avg-pool 2                        T * 48 = 96                   AC at the rate of n2 (input elements)
      conv3 1x1 3->4 on 2x2             T * 4 * 3 * 4 = 96            MAC (average of spikes is not spikes)
      max-pool 2                        T * 16 = 32                   AC at the rate of n3
      linear 4->5 + bias                (T*B*4*5 + 5) / B = 42.5      AC at the rate of the max-pooled spikes
    """

    def __init__(self, make_neuron) -> None:
        super().__init__()
        self.conv1 = SeqFold(nn.Conv2d(1, 2, 3, padding=1, bias=False), nn.BatchNorm2d(2))
        self.n1 = make_neuron()
        self.conv2 = SeqFold(nn.Conv2d(2, 3, 3, padding=1, bias=True))
        self.n2 = make_neuron()
        self.pool = SeqFold(nn.AvgPool2d(2))
        self.conv3 = SeqFold(nn.Conv2d(3, 4, 1, bias=False))
        self.n3 = make_neuron()
        self.head = SeqFold(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4, 5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.n2(self.conv2(self.n1(self.conv1(x))))
        return self.head(self.n3(self.conv3(self.pool(x))))


SPIKE_DRIVEN = {"conv2.inner": 1824.0, "pool.inner": 96.0, "head.inner.0": 32.0, "head.inner.2": 42.5}
REAL_DRIVEN = {"conv1.inner.0": 576.0, "conv1.inner.1": 128.0, "conv3.inner": 96.0}


def toy_network(make_neuron) -> SpikingNetwork:
    return SpikingNetwork(Toy(make_neuron), T)


def rows_by_layer(report) -> dict:
    return {row["layer"].removeprefix("backbone."): row for row in report.per_layer if row["in_paper"]}


def measure(model: nn.Module, inputs: torch.Tensor, accounting: str = "paper"):
    return report_from_counts(count_model(model, inputs), "horowitz45_fp32", accounting)


def test_all_ones_spikes_give_acs_equal_to_flops():
    report = measure(toy_network(lambda: Constant(1.0)), torch.randn(B, 1, 4, 4))
    rows = rows_by_layer(report)
    for layer, flops in SPIKE_DRIVEN.items():
        assert rows[layer]["flops"] == pytest.approx(flops, abs=1e-9)
        assert rows[layer]["acs"] == pytest.approx(flops, abs=1e-9)
        assert rows[layer]["macs"] == 0 and rows[layer]["input_rate"] == pytest.approx(1.0)
    for layer, flops in REAL_DRIVEN.items():
        assert rows[layer]["macs"] == flops and rows[layer]["acs"] == 0 and not rows[layer]["spike_input"]
    assert report.paper == pytest.approx({"flops": 2794.5, "acs": 1994.5, "macs": 800.0})


def test_all_zero_spikes_give_no_acs_and_the_same_macs():
    report = measure(toy_network(lambda: Constant(0.0)), torch.randn(B, 1, 4, 4))
    assert report.paper == pytest.approx({"flops": 2794.5, "acs": 0.0, "macs": 800.0})
    assert all(rows_by_layer(report)[layer]["acs"] == 0 for layer in SPIKE_DRIVEN)
    assert report.firing_rate == 0 and report.firing_rate_weighted == 0


def test_macs_do_not_depend_on_weights_or_data_but_acs_do():
    torch.manual_seed(0)
    model = toy_network(Step)
    reports = [measure(model, torch.randn(B, 1, 4, 4))]
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_()
    binary_images = torch.randint(0, 2, (B, 1, 4, 4)).float()  # binary values, but not from a neuron: MACs
    reports += [measure(model, torch.randn(B, 1, 4, 4) * 3), measure(model, binary_images)]
    for report in reports:
        assert report.paper["macs"] == 800.0 and report.paper["flops"] == 2794.5
        assert report.full["macs"] == 800.0
    assert len({round(report.paper["acs"], 6) for report in reports}) > 1


class RateProbe(nn.Module):
    """n1 fires on the positive pixels, n2 on the positive 2x2 max-pooled pixels; a linear layer reads n2."""

    def __init__(self) -> None:
        super().__init__()
        self.n1, self.n2 = Step(), Step()
        self.pool = SeqFold(nn.MaxPool2d(2))
        self.fc = SeqFold(nn.Flatten(), nn.Linear(4, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.n1(x)
        return self.fc(self.n2(self.pool(x)))


IMAGE = torch.tensor(
    [[1.0, -1, -1, -1], [-1, -1, -1, -1], [-1, -1, 1, 1], [-1, -1, 1, -1]]
)  # 4 of 16 positive; 2x2 windows: 2 of 4 hold a positive pixel


def test_per_layer_firing_rates_and_both_averages_match_hand_counts():
    report = measure(SpikingNetwork(RateProbe(), T), IMAGE.expand(B, 1, 4, 4))
    rates = {row["layer"]: row for row in report.firing_rates}
    assert rates["backbone.n1"]["firing_rate"] == 0.25 and rates["backbone.n1"]["neurons"] == 16
    assert rates["backbone.n2"]["firing_rate"] == 0.5 and rates["backbone.n2"]["neurons"] == 4
    assert rates["backbone.n1"]["spikes_per_image"] == 4 * T
    assert report.firing_rate == pytest.approx((0.25 + 0.5) / 2)  # unweighted over layers
    assert report.firing_rate_weighted == pytest.approx((4 + 2) / (16 + 4))  # weighted by neurons
    fc = rows_by_layer(report)["fc.inner.1"]
    # syops adds a linear bias once per call: (T*B*4*3 + 3) / B FLOPs per image, driven at rate 0.5
    assert fc["flops"] == pytest.approx(25.5) and fc["acs"] == pytest.approx(12.75)
    assert rows_by_layer(report)["pool.inner"]["macs"] == T * 16  # max-pool of the real-valued image


class Gated(nn.Module):
    """A conv-LIF layer with a functional "DCT-like" bank, an element-wise gate and a functional projection.

    The paper accounting sees conv (T*16*9*2 = 576 MAC) and fc (linear 32->3 on the gated, non-spike maps:
    (T*B*32*3 + 3) / B = 193.5 MAC). The full accounting adds, per image:
      DCT-like F.conv2d, 4 filters 3x3 on the channel sum          16*9*4 = 576 MAC
      spikes @ W (functional, on spikes)                            T*32*3 = 192 AC at the rate of n1
      element-wise: n1 `>` T*32 = 64, mean over T (input) 64, channel sum (input) 32, mean over filters (input)
      64, sigmoid 16, gate product T*32 = 64, sum of the two heads T*3 = 6, the network's mean over T
      (input) T*3 = 6: 316 in all.
    """

    def __init__(self, make_neuron) -> None:
        super().__init__()
        self.conv = SeqFold(nn.Conv2d(1, 2, 3, padding=1, bias=False))
        self.n1 = make_neuron()
        self.register_buffer("bank", torch.randn(4, 1, 3, 3))
        self.projection = nn.Parameter(torch.randn(32, 3))
        self.fc = SeqFold(nn.Flatten(), nn.Linear(32, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        current = self.conv(x)
        spikes = self.n1(current)
        frequencies = F.conv2d(current.mean(0).sum(1, keepdim=True), self.bank, padding=1)
        gate = torch.sigmoid(frequencies.mean(1, keepdim=True))
        return self.fc(spikes * gate) + spikes.flatten(2) @ self.projection


def test_full_exceeds_paper_by_exactly_the_functional_products():
    torch.manual_seed(1)
    report = measure(SpikingNetwork(Gated(Step), T), torch.randn(B, 1, 4, 4), accounting="full")
    rate = report.firing_rates[0]["firing_rate"]
    assert 0 < rate < 1
    assert report.paper == pytest.approx({"flops": 769.5, "acs": 0.0, "macs": 769.5})
    assert report.full["macs"] - report.paper["macs"] == pytest.approx(576)
    assert report.full["acs"] - report.paper["acs"] == pytest.approx(192 * rate)
    assert report.full["flops"] - report.paper["flops"] == pytest.approx(576 + 192)
    assert report.full["elementwise"] == pytest.approx(316)
    extra = {(row["layer"], row["op"]): row for row in report.per_layer if not row["in_paper"]}
    assert extra[("backbone", "conv")]["macs"] == 576  # the functional bank shows up, under the module that ran it
    assert extra[("backbone", "matmul")]["spike_input"] and extra[("backbone.n1", "elementwise")]["elementwise"] == 64
    assert report.energy_mj == pytest.approx((report.full["acs"] * 0.9 + report.full["macs"] * 4.6) * 1e-9)


def test_metrics_and_layer_table_are_flat_and_json_serialisable():
    config = resolve({"energy.preset": "horowitz45_int8"})
    report = measure_energy(toy_network(lambda: Constant(1.0)), torch.randn(3, 1, 4, 4), config)
    metrics = report.metrics()
    expected = {
        "energy_mj",
        "energy_paper_mj",
        "energy_full_mj",
        "firing_rate",
        "firing_rate_weighted",
        "ops_paper_flops",
        "ops_paper_acs",
        "ops_paper_macs",
        "ops_full_flops",
        "ops_full_acs",
        "ops_full_macs",
        "ops_full_elementwise",
    }
    assert set(metrics) == expected and all(isinstance(v, float) for v in metrics.values())
    assert metrics["energy_mj"] == pytest.approx((metrics["ops_paper_acs"] * 0.03 + 800.0 * 0.23) * 1e-9)
    assert metrics["energy_paper_mj"] == metrics["energy_mj"]
    assert metrics["energy_full_mj"] == pytest.approx((metrics["ops_full_acs"] * 0.03 + 800.0 * 0.23) * 1e-9)
    table = json.loads(json.dumps(report.layer_table()))
    assert {row["kind"] for row in table} == {"ops", "neuron"}
    assert sum(row["macs"] for row in table if row["kind"] == "ops" and row["in_paper"]) == 800.0


def test_counting_leaves_the_model_as_it_was():
    model = toy_network(Step).train()
    neuron = model.backbone.n1
    count_model(model, torch.randn(B, 1, 4, 4))
    assert model.training and "record_counts" not in neuron.__dict__
    assert not model._forward_hooks and not neuron._forward_hooks and not neuron._forward_pre_hooks
    with SpikeMonitor(model) as monitor:  # spikes are counted from outside again after counting
        model(torch.randn(B, 1, 4, 4))
    assert monitor.counts["backbone.n1"].elements == T * B * 2 * 16
    assert not neuron._forward_hooks
