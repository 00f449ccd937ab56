"""The generic LIF neuron: decay, threshold, hard or soft reset, surrogate and its width as knobs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from .base import SURROGATES, SpikingNeuron
from .fused import lif_multistep, ops_are_counted


class LIF(SpikingNeuron):
    """Multi-step leaky integrate-and-fire: u_t = decay * u_{t-1} + x_t; s_t = H(u_t - threshold); reset.

    `fused`: the whole T loop as one op (`neurons.fused`, knob `lif_impl`); the same spikes as the loop below.
    """

    def __init__(
        self,
        decay: float,
        threshold: float,
        reset: str = "hard",
        surrogate: str = "rectangle",
        width: float = 1.0,
        fused: bool = False,
    ) -> None:
        super().__init__()
        self.decay, self.threshold, self.reset, self.surrogate, self.width = decay, threshold, reset, surrogate, width
        self.fused = fused
        self._spike = SURROGATES.get(surrogate)

    def forward(self, current: torch.Tensor) -> torch.Tensor:
        if self.fused and not ops_are_counted():
            return self.record(
                lif_multistep(current, self.decay, self.threshold, self.reset == "hard", self.surrogate, self.width)
            )
        membrane = torch.zeros_like(current[0])
        spikes = []
        for x in current:
            membrane = self.decay * membrane + x
            s = self._spike.apply(membrane - self.threshold, self.width)
            membrane = membrane * (1 - s) if self.reset == "hard" else membrane - s * self.threshold
            spikes.append(s)
        return self.record(torch.stack(spikes))

    def extra_repr(self) -> str:
        return (
            f"decay={self.decay}, threshold={self.threshold}, reset={self.reset}, "
            f"surrogate={self.surrogate}({self.width})" + (", fused" if self.fused else "")
        )


def wants_fused(config: Mapping[str, Any]) -> bool:
    """Whether a resolved configuration asks for the fused multi-step LIF (knob `lif_impl`)."""
    return config.get("lif_impl", "eager") == "fused"


def generic_lif(config: Mapping[str, Any], channels: int) -> SpikingNeuron:
    return LIF(
        config["neuron.decay"],
        config["neuron.threshold"],
        config["neuron.reset"],
        config["neuron.surrogate"],
        config["neuron.surrogate_width"],
        fused=wants_fused(config),
    )
