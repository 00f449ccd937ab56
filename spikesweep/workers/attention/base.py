"""How an attention module plugs into a backbone: around each neuron, and/or once after the stem."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

NeuronFactory = Callable[[Mapping[str, Any], int], "nn.Module"]


class Attention:
    """Default behaviour = no attention. Subclasses override one or both hooks."""

    def wrap_neuron(
        self, config: Mapping[str, Any], channels: int, make_neuron: NeuronFactory, stem: bool = False
    ) -> nn.Module:
        """The spiking activation of a layer with `channels` feature maps (FSTA/STAA live here); `stem` marks the
        stem's activations (the reference ResNet19 builds its stem FSTA differently)."""
        return make_neuron(config, channels)

    def stem(self, config: Mapping[str, Any], channels: int) -> nn.Module | None:
        """A block applied once to the stem output `(current, spikes) -> features` (DTA lives here)."""
        return None
