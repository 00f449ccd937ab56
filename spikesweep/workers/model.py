"""`build_model`: any backbone x attention x neuron combination from a resolved configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn
from torch.nn.parameter import UninitializedParameter

from .registries import ATTENTIONS, BACKBONES, NEURONS, load_plugins


class ModelParts:
    """What a backbone asks for while it is built: neurons (with attention folded in) and the stem block."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.timesteps: int = config["timesteps"]
        self._attention = ATTENTIONS.get(config["attention"])
        self._make_neuron = NEURONS.get(config["neuron"])

    def neuron(self, channels: int, stem: bool = False) -> nn.Module:
        """The spiking activation of a layer with `channels` maps; `stem`: it belongs to the backbone's stem."""
        return self._attention.wrap_neuron(self.config, channels, self._make_neuron, stem)

    def plain_neuron(self, channels: int) -> nn.Module:
        return self._make_neuron(self.config, channels)

    def stem_attention(self, channels: int) -> nn.Module | None:
        return self._attention.stem(self.config, channels)


class SpikingNetwork(nn.Module):
    """Encodes the input over T, runs the backbone and averages the per-step logits over T.

    Static images `[B, C, H, W]` are repeated T times (direct encoding); event frames arrive as `[B, T, C, H, W]`.
    """

    def __init__(self, backbone: nn.Module, timesteps: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.timesteps = timesteps

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 5:
            return x.transpose(0, 1).contiguous()
        return x.unsqueeze(0).expand(self.timesteps, *x.shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        step_logits = self.backbone(self.encode(x))  # [T, B, classes]
        return step_logits.mean(0)


def build_model(knobs: Mapping[str, Any], input_shape: tuple[int, ...], num_classes: int) -> SpikingNetwork:
    """Build the network a resolved knob configuration describes, for `input_shape` = (C, H, W)."""
    load_plugins()
    from .knobs import resolve

    config = resolve(knobs)
    parts = ModelParts(config)
    backbone = BACKBONES.get(config["backbone"])(parts, tuple(input_shape), num_classes)
    network = SpikingNetwork(backbone, config["timesteps"])
    if any(isinstance(p, UninitializedParameter) for p in network.parameters()):
        _materialize(network, tuple(input_shape))
    return network


@torch.no_grad()
def _materialize(network: SpikingNetwork, input_shape: tuple[int, ...]) -> None:
    """Lazy parameters (sized from their input, e.g. STAA's per-pixel encoding) get their shape from one eval-mode
    forward, so that parameter counts and optimisers see them."""
    network.eval()
    network(torch.zeros(1, *input_shape))
    network.train()
