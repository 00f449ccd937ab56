"""Spike counting from outside the neurons: forward hooks that sum each neuron's spikes while asked to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .base import SpikingNeuron


@dataclass
class SpikeCount:
    """Totals of one neuron layer over the forwards seen: spikes (a tensor, no host sync), neuron-steps."""

    spikes: torch.Tensor | float = 0.0
    elements: int = 0  # images x T x neurons
    steps: int = 0  # T of the last forward

    @property
    def firing_rate(self) -> float:
        return float(self.spikes) / self.elements if self.elements else 0.0


class SpikeMonitor:
    """While entered, every `SpikingNeuron` of `model` has its output spikes summed into `counts[name]`.

    Nothing is counted outside the `with` block: training forwards pay for no bookkeeping.
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.counts: dict[str, SpikeCount] = {}
        self._handles: list[Any] = []

    def __enter__(self) -> SpikeMonitor:
        for name, module in self.model.named_modules():
            if isinstance(module, SpikingNeuron):
                self._handles.append(module.register_forward_hook(self._hook(name or "model")))
        return self

    def __exit__(self, *exc: Any) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _hook(self, name: str):
        def hook(module: nn.Module, args: tuple, spikes: torch.Tensor) -> None:
            count = self.counts.setdefault(name, SpikeCount())
            count.spikes = count.spikes + spikes.detach().sum()
            count.elements += spikes.numel()
            count.steps = spikes.shape[0]

        return hook

    def firing_rates(self) -> dict[str, float]:
        """Spikes per neuron and time step, per layer (one host sync per layer)."""
        return {name: count.firing_rate for name, count in self.counts.items()}
