"""A toy attention module, written as a plug-in author would: one file with its submodules, knobs, leave-one-out
switches, cross-knob check and registration (loaded by tests/platform/test_plugins.py, not by spikesweep).

`attention: toy`: before every neuron, the current is gated per channel (`toy.gate`) and smoothed over the last
`toy.window` time steps (window 1 = no smoothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from spikesweep.workers import ATTENTIONS, Knob
from spikesweep.workers.attention.base import Attention, NeuronFactory

_TOY = {"attention": ("toy",)}
TOY_KNOBS = (
    Knob("toy.gate", bool, True, "a learnable per-channel gate on the input current", when=_TOY, owner="toy"),
    Knob(
        "toy.window",
        int,
        2,
        "time steps averaged by the causal smoothing (1 = none; at most timesteps)",
        low=1,
        high=64,
        when=_TOY,
        owner="toy",
    ),
)


class ToyFilter(nn.Module):
    """`[T, B, C, ...]` -> the same shape: sigmoid gate per channel, then a causal mean over `window` steps."""

    def __init__(self, channels: int, gate: bool, window: int) -> None:
        super().__init__()
        self.gate = nn.Parameter(torch.zeros(channels)) if gate else None
        self.window = window

    def forward(self, current: torch.Tensor) -> torch.Tensor:
        if self.gate is not None:
            current = current * torch.sigmoid(self.gate).reshape(-1, *([1] * (current.dim() - 3)))
        sums = current.cumsum(0)
        shifted = torch.cat([torch.zeros_like(sums[: self.window]), sums[: -self.window]]) if self.window > 1 else 0
        counts = torch.arange(1, current.shape[0] + 1, device=current.device).clamp(max=self.window)
        return (sums - shifted) / counts.reshape(-1, *([1] * (current.dim() - 1)))


class ToyAttention(Attention):
    def wrap_neuron(
        self, config: Mapping[str, Any], channels: int, make_neuron: NeuronFactory, stem: bool = False
    ) -> nn.Module:
        return nn.Sequential(
            ToyFilter(channels, config["toy.gate"], config["toy.window"]), make_neuron(config, channels)
        )


def toy_problems(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The window cannot be longer than the simulation."""
    if config["toy.window"] > config["timesteps"]:
        return [
            (
                "toy.window",
                f"{config['toy.window']} exceeds timesteps {config['timesteps']} (allowed: 1..{config['timesteps']})",
            )
        ]
    return []


ATTENTIONS.add(
    "toy",
    ToyAttention(),
    knobs=TOY_KNOBS,
    checks=(toy_problems,),
    leave_one_out={"toy.gate": {"toy.gate": False}, "toy.window": {"toy.window": 1}},
)
