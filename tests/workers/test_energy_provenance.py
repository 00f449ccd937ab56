"""Spike provenance: the mark follows value-preserving ops from a neuron's output and nothing else."""

import torch
import torch.nn.functional as F
from torch import nn

from spikesweep.workers.energy.engine import CountingSession
from spikesweep.workers.energy.provenance import is_spikes
from spikesweep.workers.neurons.base import SpikingNeuron


class Step(SpikingNeuron):
    def forward(self, current: torch.Tensor) -> torch.Tensor:
        return self.record((current > 0).to(current.dtype))


class Probe(nn.Module):
    """Runs a neuron on `[T, B, C, H, W]` and keeps tensors derived from its spikes in `seen`."""

    def __init__(self) -> None:
        super().__init__()
        self.neuron = Step()
        self.seen: dict[str, torch.Tensor] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.neuron(x)
        folded = s.flatten(0, 1)
        inplace = s.clone()
        inplace.mul_(0.5)
        self.seen = {
            "spikes": s,
            "flatten": folded,
            "unflatten": folded.unflatten(0, s.shape[:2]),
            "reshape": s.reshape(-1),
            "permute": s.permute(1, 0, 2, 3, 4),
            "transpose_contiguous": s.transpose(0, 1).contiguous(),
            "index": s[:, 0],
            "unbind": s.unbind(0)[1],
            "zero_pad": F.pad(s, (1, 1, 1, 1)),
            "max_pool": F.max_pool2d(folded, 2),
            "adaptive_max_pool": F.adaptive_max_pool2d(folded, 1),
            "amax": s.amax((3, 4)),
            "stack": torch.stack([s, s]),
            "cat": torch.cat([s, s], 2),
            "half": s.half(),
            "repeat": s.repeat(1, 1, 2, 1, 1),
            # not spikes:
            "input": x,
            "half_pad": F.pad(s, (1, 1), value=0.5),
            "avg_pool": F.avg_pool2d(folded, 2),
            "mean": s.mean(0),
            "scaled": s * 0.5,
            "sum_of_spikes": s + s,
            "mixed_cat": torch.cat([s, x], 2),
            "overwritten": inplace,
            "binary_not_from_neuron": (x > 0).float(),
        }
        return s


def test_mark_follows_value_preserving_ops_only():
    probe = Probe()
    with CountingSession(probe) as session:
        session.run(torch.randn(2, 3, 4, 6, 6))
    marked = {name for name, tensor in probe.seen.items() if is_spikes(tensor)}
    assert marked == {
        "spikes",
        "flatten",
        "unflatten",
        "reshape",
        "permute",
        "transpose_contiguous",
        "index",
        "unbind",
        "zero_pad",
        "max_pool",
        "adaptive_max_pool",
        "amax",
        "stack",
        "cat",
        "half",
        "repeat",
    }


def test_nothing_is_marked_outside_a_session():
    probe = Probe()
    probe(torch.randn(2, 1, 2, 4, 4))
    assert not any(is_spikes(tensor) for tensor in probe.seen.values())
