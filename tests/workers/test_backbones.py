"""The backbone zoo (spikesweep/workers/backbones/): parameter counts, shapes, gradients, init, stem slot."""

import math

import pytest
import torch
from torch import nn

from spikesweep.workers import ATTENTIONS, BACKBONES, NEURONS, build_model
from spikesweep.workers.knobs import resolve
from spikesweep.workers.model import ModelParts
from spikesweep.workers.neurons.base import SpikingNeuron

ZOO = ("resnet19", "resnet20", "resnet18", "resnet34", "ms_resnet18", "ms_resnet34", "vgg13", "small_cnn")
needs_dta = pytest.mark.skipif(
    "dta" not in ATTENTIONS,
    reason="the DTA attention module (attention/dta.py, written on another branch) is not registered here",
)


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    "knobs,shape,classes,expected",
    [
        (
            {"backbone": "resnet20", "attention": "fsta", "fsta.dct_kernel": 7, "timesteps": 4},
            (3, 32, 32),
            100,
            11.34e6,
        ),
        ({"backbone": "resnet20", "attention": "none", "timesteps": 4}, (3, 32, 32), 100, 11.29e6),
        ({"backbone": "ms_resnet18", "attention": "none", "timesteps": 6}, (3, 32, 32), 10, 12.50e6),
        ({"backbone": "ms_resnet18", "attention": "none", "timesteps": 6}, (3, 32, 32), 100, 12.55e6),
        ({"backbone": "ms_resnet34", "attention": "none", "timesteps": 4}, (3, 224, 224), 1000, 21.80e6),
        pytest.param(
            {"backbone": "ms_resnet18", "attention": "dta", "neuron": "dta", "timesteps": 6},
            (3, 32, 32),
            10,
            12.99e6,
            marks=needs_dta,
        ),
        pytest.param(
            {"backbone": "ms_resnet18", "attention": "dta", "neuron": "dta", "timesteps": 6},
            (3, 32, 32),
            100,
            13.04e6,
            marks=needs_dta,
        ),
        pytest.param(
            {"backbone": "ms_resnet34", "attention": "dta", "neuron": "dta", "timesteps": 4},
            (3, 224, 224),
            1000,
            22.04e6,
            marks=needs_dta,
        ),
    ],
)
def test_published_parameter_counts(knobs, shape, classes, expected):
    assert count(build_model(knobs, shape, classes)) == pytest.approx(expected, rel=0.005)


def test_exact_parameter_counts_of_the_fsta_resnet20():
    plain = count(build_model({"backbone": "resnet20", "timesteps": 4}, (3, 32, 32), 100))
    fsta = count(build_model({"backbone": "resnet20", "attention": "fsta", "timesteps": 4}, (3, 32, 32), 100))
    assert plain == 11_294_116
    assert fsta - plain == 19 * 2421  # 19 FSTA instances, k = 7, T = 4
    # the DVS variant: 2 input channels change only the first conv
    dvs = count(build_model({"backbone": "resnet20", "timesteps": 4}, (2, 64, 64), 10))
    assert plain - dvs == 64 * 9 + (100 - 10) * 513  # one input channel of the first conv, 90 FC rows


@pytest.mark.parametrize("timesteps", [1, 2, 4])
@pytest.mark.parametrize("attention", ["none", "fsta"])
@pytest.mark.parametrize("backbone", ZOO)
def test_forward_backward(backbone, attention, timesteps):
    torch.manual_seed(0)
    knobs = {"backbone": backbone, "attention": attention, "timesteps": timesteps, "neuron": "fsta"}
    model = build_model(knobs, (3, 8, 8), 5)
    x = torch.randn(2, 3, 8, 8)
    step_logits = model.backbone(model.encode(x))
    assert step_logits.shape == (timesteps, 2, 5)  # backbone: per-step logits [T, B, classes]
    out = model(x)
    assert out.shape == (2, 5)  # network: logits averaged over T
    torch.nn.functional.cross_entropy(out, torch.tensor([0, 1])).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None, name
        assert torch.isfinite(parameter.grad).all(), name
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), model(x))


@pytest.mark.parametrize("backbone", ["resnet20", "ms_resnet18", "vgg13"])
def test_event_frames_with_two_channels(backbone):
    model = build_model({"backbone": backbone, "attention": "fsta", "timesteps": 3}, (2, 12, 12), 10)
    frames = (torch.rand(2, 3, 2, 12, 12) > 0.8).float()  # [B, T, 2, H, W]
    assert model(frames).shape == (2, 10)


def test_fsta_family_uses_the_code_init_and_ms_resnet_the_default():
    torch.manual_seed(0)
    model = build_model({"backbone": "resnet20"}, (3, 32, 32), 100).backbone
    stem_conv = model.stem[0].inner[0]
    assert stem_conv.weight.std().item() == pytest.approx(math.sqrt(2 / (9 * 64)), rel=0.05)
    downsample_conv = model.blocks[2].downsample.inner[1]
    assert downsample_conv.weight.std().item() == pytest.approx(math.sqrt(2 / 128), rel=0.05)
    fc = model.readout.fc.inner
    assert fc.weight.std().item() == pytest.approx(1 / 512, rel=0.05) and fc.bias.abs().sum() == 0
    ms = build_model({"backbone": "ms_resnet18"}, (3, 32, 32), 10).backbone
    bound = 1 / math.sqrt(512)  # PyTorch's default Linear init is uniform in +-1/sqrt(fan_in)
    assert ms.readout.fc.inner.weight.abs().max().item() <= bound
    assert ms.readout.fc.inner.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)


class RecordingStem(nn.Module):
    """A stem block that records what it was given and passes on `scale` x the spikes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.scale = 1.0

    def forward(self, current: torch.Tensor, spikes: torch.Tensor) -> torch.Tensor:
        self.calls.append((current, spikes))
        return self.scale * spikes


class StemProbeParts(ModelParts):
    def __init__(self, config) -> None:
        super().__init__(config)
        self.stems: list[RecordingStem] = []

    def stem_attention(self, channels: int) -> nn.Module:
        self.stems.append(RecordingStem())
        return self.stems[-1]


@pytest.mark.parametrize(
    "backbone,channels",
    [("resnet20", 64), ("resnet19", 128), ("resnet18", 64), ("ms_resnet18", 64), ("ms_resnet34", 64), ("vgg13", 64)],
)
def test_stem_slot_gets_current_and_spikes_once(backbone, channels):
    torch.manual_seed(0)
    config = resolve({"backbone": backbone, "timesteps": 2, "neuron": "dta"})
    parts = StemProbeParts(config)
    net = BACKBONES.get(backbone)(parts, (3, 8, 8), 4)  # train mode: BN on batch statistics keeps spikes alive
    assert len(parts.stems) == 1
    x = 3 * torch.randn(2, 2, 3, 8, 8)
    with torch.no_grad():
        first = net(x)
        ((current, spikes),) = parts.stems[0].calls
        assert current.shape[:3] == (2, 2, channels) and spikes.shape == current.shape
        assert torch.equal(spikes, NEURONS.get("dta")(config, channels)(current))  # the stem LIF's own output
        assert 0 < spikes.mean() < 1
        parts.stems[0].scale = 0.0  # the block's output is what the next layer consumes
        assert not torch.equal(net(x), first)


def test_ms_resnet_without_stem_block_has_no_stem_neuron():
    plain = build_model({"backbone": "ms_resnet18", "attention": "fsta", "timesteps": 2}, (3, 8, 8), 10).backbone
    assert plain.stem_neuron is None
    neurons = [m for m in plain.modules() if isinstance(m, SpikingNeuron)]
    assert len(neurons) == 2 * 8 + 1  # two per MS block, one before the read-out


@pytest.mark.parametrize(
    "backbone,shape,maps",
    [
        ("resnet20", (3, 32, 32), [(64, 32), (64, 16), (128, 8), (256, 4), (512, 2)]),  # seed-spec 2.8
        ("resnet19", (3, 32, 32), [(128, 32), (256, 16), (512, 8)]),
        ("resnet18", (3, 224, 224), [(64, 112), (64, 56), (128, 28), (256, 14), (512, 7)]),
        ("ms_resnet18", (2, 48, 48), [(64, 48), (128, 48), (256, 24), (512, 12)]),
        ("ms_resnet34", (3, 224, 224), [(64, 56), (128, 28), (256, 14), (512, 7)]),  # DTA paper Table 1
        ("vgg13", (3, 32, 32), [(64, 32), (128, 16), (256, 8), (512, 4), (512, 2)]),
    ],
)
def test_layout_spiking_map_sizes(backbone, shape, maps):
    """The (channels, size) of the maps every spiking neuron sees, in order of first appearance."""
    from spikesweep.workers.summary import summarize

    model = build_model({"backbone": backbone, "timesteps": 1}, shape, 10)
    seen = []
    for row in summarize(model, shape)["layers"]:
        if row["kind"] == "neuron":
            channels, height, width = row["out_shape"]
            assert height == width
            if (channels, height) not in seen:
                seen.append((channels, height))
    assert seen == maps


@pytest.mark.parametrize("backbone", ["resnet20", "ms_resnet18", "vgg13"])
def test_same_seed_same_network(backbone):
    knobs = {"backbone": backbone, "attention": "fsta", "timesteps": 2}
    torch.manual_seed(3)
    first = build_model(knobs, (3, 8, 8), 4)
    torch.manual_seed(3)
    second = build_model(knobs, (3, 8, 8), 4)
    torch.manual_seed(4)
    other = build_model(knobs, (3, 8, 8), 4)
    x = torch.randn(2, 3, 8, 8)
    assert torch.equal(first(x), second(x))
    assert not torch.equal(first.backbone.readout.fc.inner.weight, other.backbone.readout.fc.inner.weight)
