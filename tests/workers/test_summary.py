"""Parameter summary (spikesweep/workers/summary.py) and the `spikesweep inspect` command that prints it."""

import json
import re

import pytest
import torch
from torch import nn

from spikesweep.platform.cli import main
from spikesweep.workers import build_model
from spikesweep.workers.neurons.base import SpikingNeuron
from spikesweep.workers.summary import count_by_kind, summarize


def test_resnet20_fsta_by_kind_and_shapes():
    model = build_model({"backbone": "resnet20", "attention": "fsta", "timesteps": 4}, (3, 32, 32), 100)
    summary = summarize(model, (3, 32, 32))
    by_kind = summary["params"]["by_kind"]
    assert summary["params"]["total"] == 11_340_115
    assert sum(by_kind.values()) == summary["params"]["total"]
    assert by_kind["attention:fsta"] == 19 * 2421
    assert by_kind["linear"] == 512 * 100 + 100
    assert by_kind["bn"] == 2 * (3 * 64 + 4 * 64 + 4 * 128 + 4 * 256 + 4 * 512 + 128 + 256 + 512)
    assert set(by_kind) == {"conv", "bn", "linear", "attention:fsta"}  # the LIFs have no parameters
    layers = {row["name"]: row for row in summary["layers"]}
    assert layers["backbone.pool.inner"]["out_shape"] == [64, 16, 16]
    assert layers["backbone.blocks.7.neuron2.neuron"]["out_shape"] == [512, 2, 2]
    assert layers["backbone.blocks.7.neuron2.attention"]["kind"] == "attention:fsta"
    assert layers["backbone.readout.fc.inner"]["out_shape"] == [100]
    assert sum(row["kind"] == "neuron" for row in summary["layers"]) == 19


class LeakyNeuron(SpikingNeuron):
    def __init__(self) -> None:
        super().__init__()
        self.leak = nn.Parameter(torch.ones(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.record((x * self.leak > 1).float())


def test_neuron_parameters_count_as_neuron():
    model = nn.Sequential(nn.Linear(4, 3), LeakyNeuron())
    assert count_by_kind(model) == {"linear": 15, "neuron": 3}


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["inspect", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_inspect_json(capsys):
    status, out, _ = run_cli(
        capsys,
        "--set",
        "backbone=ms_resnet18",
        "--set",
        "timesteps=6",
        "--input-shape",
        "3,32,32",
        "--num-classes",
        "10",
        "--json",
    )
    assert status == 0
    report = json.loads(out)
    assert report["params"]["total"] == 12_502_090
    assert report["config"]["timesteps"] == 6
    assert report["layers"][-1]["out_shape"] == [10]


def test_inspect_text_parses_values_as_yaml(capsys):
    status, out, _ = run_cli(
        capsys,
        "--set",
        "attention=fsta",
        "--set",
        "fsta.dct_kernel=3",
        "--set",
        "fsta.combination=serial_channel",
        "--input-shape",
        "1,8,8",
        "--num-classes",
        "10",
    )
    assert status == 0
    # small_cnn: two FSTA instances, 9 x 49 + 16 + 4 + C^2 each (C = 32, 64)
    expected = 2 * (9 * 49 + 20) + 32**2 + 64**2
    assert re.search(rf"^  attention:fsta +{expected:,}$", out, re.MULTILINE)
    assert re.search(r"^backbone\.stem_neuron\.attention +FSTA +attention:fsta +1,485  32x8x8$", out, re.MULTILINE)


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--set", "fsta.dct_kernel=4"], "fsta.dct_kernel: 4 is not odd"),
        (["--set", "backbone=resnet99"], "backbone: 'resnet99' is not a valid choice (allowed: 'ms_resnet18'"),
        (["--set", "fsta.combintion=serial"], "did you mean 'fsta.combination'"),
        (
            ["--set", "attention=fsta", "--set", "fsta.freq_select=topk", "--set", "fsta.freq_k=60"],
            "fsta.freq_k: 60 is out of range (allowed: 1..49",
        ),
        (["--set", "timesteps"], "expected KNOB=VALUE"),
    ],
)
def test_inspect_bad_input_exits_2_naming_the_knob(capsys, args, needle):
    status, out, err = run_cli(capsys, *args, "--input-shape", "3,8,8", "--num-classes", "10")
    assert status == 2 and out == ""
    assert needle in err


def test_inspect_bad_shape(capsys):
    status, _, err = run_cli(capsys, "--input-shape", "3,32", "--num-classes", "10")
    assert status == 2 and "C,H,W" in err


def test_attention_inside_a_neuron_keeps_its_kind():
    from spikesweep.workers.attention.fsta import FSTA

    class GatedNeuron(LeakyNeuron):  # a neuron that owns an attention module (as STAA's does)
        def __init__(self) -> None:
            super().__init__()
            self.gate = FSTA(channels=3, timesteps=2, kernel=3)

    model = nn.Sequential(nn.Linear(4, 3), GatedNeuron())
    assert count_by_kind(model) == {"linear": 15, "neuron": 3, "attention:fsta": 9 * 49 + 4 + 4}
    layers = summarize(model, (4,))["layers"]
    assert [row["name"] for row in layers] == ["0", "1.gate", "1"]
    assert layers[1]["out_shape"] is None  # called inside the neuron: no per-sample shape is claimed
