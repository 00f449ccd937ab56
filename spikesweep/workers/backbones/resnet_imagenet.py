"""FSTA's ImageNet ResNets (`DctResNet18/34`, seed-spec 2.8): plain spiking ResNets, LIF after the residual add.

Stem conv7x7/s2 (C -> 64)-BN-LIF, AvgPool2d(3, 2, 1); stages [2,2,2,2] (ResNet18) or [3,4,6,3] (ResNet34) with
widths 64/128/256/512 and strides 1/2/2/2; downsample conv1x1(stride)-BN; GAP; FC 512 per step.
Input `[T, B, C, H, W]` (224x224 for ImageNet; any size >= 1 works), output `[T, B, classes]`. FSTA-code init.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers import SeqFold
from ..model import ModelParts
from ._blocks import Readout, apply_stem_attention, conv_bn, resnet_stages


class ImageNetResNet(nn.Module):
    """The `DctResNet` layout with `depths` BasicBlocks per stage."""

    def __init__(
        self, parts: ModelParts, input_shape: tuple[int, ...], num_classes: int, depths: tuple[int, ...]
    ) -> None:
        super().__init__()
        self.stem = conv_bn(input_shape[0], 64, 7, 2, fsta_init=True)
        self.stem_neuron = parts.neuron(64, stem=True)
        self.stem_attention = parts.stem_attention(64)
        self.pool = SeqFold(nn.AvgPool2d(3, 2, 1))
        self.blocks = nn.Sequential(*resnet_stages(parts, 64, (64, 128, 256, 512), depths, (1, 2, 2, 2)))
        self.readout = Readout(512, num_classes, fsta_init=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        current = self.stem(x)
        x = apply_stem_attention(self.stem_attention, current, self.stem_neuron(current))
        return self.readout(self.blocks(self.pool(x)))


def resnet18(parts: ModelParts, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    return ImageNetResNet(parts, input_shape, num_classes, (2, 2, 2, 2))


def resnet34(parts: ModelParts, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    return ImageNetResNet(parts, input_shape, num_classes, (3, 4, 6, 3))
