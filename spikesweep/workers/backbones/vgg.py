"""Spiking VGG-13 (a STAA backbone, seed-spec 3.1, whose exact layout is unknown).

Layout assumption, stated here because no paper gives it: the standard VGG-13 convolutions
64-64-P-128-128-P-256-256-P-512-512-P-512-512-P, every conv 3x3 (bias-free) -> BN -> LIF, P = AvgPool2d(2) with
ceil_mode (odd sizes keep their last row/column), then global average pooling and one FC 512 -> classes per step
(no 4096-wide FC layers, as in CIFAR VGGs). 32x32 images end at 1x1; 48x48 or 64x64 event frames at 2x2 before
the global pool. Average pooling makes the spikes non-binary, so the first conv after each pool is MAC-driven.
FSTA-code initialisation (STAA comes from the same group). Input `[T, B, C, H, W]`, output `[T, B, classes]`.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers import SeqFold
from ..model import ModelParts
from ._blocks import Readout, apply_stem_attention, conv_bn

VGG13_STAGES = ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512))


class VGG13(nn.Module):
    """Five conv stages of two conv-BN-LIF layers, each stage followed by a 2x2 average pool."""

    def __init__(self, parts: ModelParts, input_shape: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        self.stem = conv_bn(input_shape[0], 64, 3, 1, fsta_init=True)
        self.stem_neuron = parts.neuron(64, stem=True)
        self.stem_attention = parts.stem_attention(64)
        layers: list[nn.Module] = []
        in_channels = 64
        for stage, widths in enumerate(VGG13_STAGES):
            for width in widths[1:] if stage == 0 else widths:
                layers += [conv_bn(in_channels, width, 3, 1, fsta_init=True), parts.neuron(width)]
                in_channels = width
            layers.append(SeqFold(nn.AvgPool2d(2, ceil_mode=True)))
        self.features = nn.Sequential(*layers)
        self.readout = Readout(in_channels, num_classes, fsta_init=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        current = self.stem(x)
        x = apply_stem_attention(self.stem_attention, current, self.stem_neuron(current))
        return self.readout(self.features(x))


def vgg13(parts: ModelParts, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    return VGG13(parts, input_shape, num_classes)
