"""The papers' energy tables under `paper` accounting (seed-spec 5.4), and what `full` adds for FSTA.

Needs the FSTA ResNets of the model zoo. The syops counts include FSTA's 3-D average/max pooling, its temporal
Linear W_t and the 7x7 compression conv (nn modules in the reference code) and exclude the functional DCT bank.
"""

import pytest
import torch

from spikesweep.workers.energy.counter import count_model, report_from_counts
from spikesweep.workers.model import build_model
from spikesweep.workers.registries import BACKBONES, load_plugins

load_plugins()
pytestmark = pytest.mark.skipif(
    "resnet20" not in BACKBONES or "resnet18" not in BACKBONES,
    reason="needs the FSTA ResNet20/ResNet18 backbones of the model zoo (not merged yet)",
)

FSTA = {"attention": "fsta", "neuron": "fsta", "fsta.combination": "serial", "fsta.dct_kernel": 7}
RESNET20_LIF_AREAS = 3 * 32 * 32 + 4 * (16 * 16 + 8 * 8 + 4 * 4 + 2 * 2)  # sum of H x W over the 19 FSTA-LIFs


def measured(knobs: dict, input_shape: tuple, classes: int, inputs: torch.Tensor):
    torch.manual_seed(0)
    model = build_model({**FSTA, **knobs}, input_shape, classes)
    report = report_from_counts(count_model(model, inputs), "horowitz45_fp32", "paper")
    return report


def by_kind(report) -> dict[str, float]:
    """Paper MACs grouped as the spec's breakdown: convolutions, batch norms, the rest (pools and linears)."""
    groups = {"conv": 0.0, "norm": 0.0, "other": 0.0}
    for row in report.per_layer:
        if row["in_paper"]:
            kind = "conv" if "Conv" in row["op"] else "norm" if "Norm" in row["op"] else "other"
            groups[kind] += row["macs"]
    return groups


def test_resnet20_cifar100_t4_matches_table5():
    report = measured({"backbone": "resnet20", "timesteps": 4}, (3, 32, 32), 100, torch.randn(1, 3, 32, 32))
    assert report.paper["macs"] == pytest.approx(67.26e6, rel=1e-3)
    assert report.paper["flops"] == pytest.approx(880.36e6, rel=2e-3)
    # first conv 7.08 + layer1.0.conv1 37.75 + three downsample 1x1 6.29 + compression convs 10.64
    groups = by_kind(report)
    assert groups["conv"] == pytest.approx((7.08 + 37.75 + 6.29 + 10.64) * 1e6, rel=1e-3)
    assert groups["norm"] == pytest.approx(2.67e6, rel=2e-3)
    assert groups["other"] == pytest.approx((2.62 + 0.21) * 1e6, rel=5e-3)  # FSTA pools and W_t, the FC
    # full adds the DCT bank: k^4 H W MACs per FSTA-LIF and image (channel-sum form, seed-spec 5.3)
    assert report.full["macs"] - report.paper["macs"] == pytest.approx(7**4 * RESNET20_LIF_AREAS)


@pytest.mark.parametrize("combination, macs", [("serial", 38.93e6), ("parallel", 38.93e6), ("serial_channel", 41.74e6)])
def test_resnet20_cifar100_t2_combination_modes_match_table4(combination, macs):
    knobs = {"backbone": "resnet20", "timesteps": 2, "fsta.combination": combination}
    report = measured(knobs, (3, 32, 32), 100, torch.randn(1, 3, 32, 32))
    assert report.paper["macs"] == pytest.approx(macs, rel=1e-3)


@pytest.mark.slow
def test_resnet20_cifar10dvs_t10_matches_table5():
    frames = torch.rand(1, 10, 2, 64, 64)  # event frames [B, T, C, H, W] at the code's 64x64
    report = measured({"backbone": "resnet20", "timesteps": 10}, (2, 64, 64), 10, frames)
    assert report.paper["macs"] == pytest.approx(582.87e6, rel=1e-3)
    assert report.paper["flops"] == pytest.approx(8.71e9, rel=2e-3)


@pytest.mark.slow
def test_resnet18_imagenet_t4_matches_table5():
    report = measured({"backbone": "resnet18", "timesteps": 4}, (3, 224, 224), 1000, torch.randn(1, 3, 224, 224))
    assert report.paper["macs"] == pytest.approx(1.05e9, rel=5e-3)
    assert report.paper["flops"] == pytest.approx(7.37e9, rel=5e-3)
