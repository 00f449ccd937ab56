"""FSTA's CIFAR ResNets (seed-spec 2.8): ResNet20 (MPBN-style stem) and ResNet19, plain spiking ResNets.

Both take `[T, B, C, H, W]` (any C, e.g. 3 for images, 2 for event frames) and return per-step logits
`[T, B, classes]`. Weights use the FSTA code's initialisation. With an attention module in the stem slot
(`parts.stem_attention`), it is applied to the stem's last (current, spikes) pair and its output is fed on.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers import SeqFold
from ..model import ModelParts
from ._blocks import Readout, apply_stem_attention, conv_bn, resnet_stages


class ResNet20(nn.Module):
    """Stem 3 x (conv3x3-BN-LIF) at full resolution, AvgPool2d(2); stages [2,2,2,2] x 64/128/256/512, strides
    1/2/2/2; downsample AvgPool(stride)-conv1x1-BN; GAP; FC 512. 32x32 input: LIF maps 32, 16, 8, 4, 2."""

    def __init__(self, parts: ModelParts, input_shape: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        channels = input_shape[0]
        self.stem = nn.Sequential(
            *(
                layer
                for c in (channels, 64, 64)
                for layer in (conv_bn(c, 64, 3, 1, fsta_init=True), parts.neuron(64, stem=True))
            )
        )
        self.stem_attention = parts.stem_attention(64)
        self.pool = SeqFold(nn.AvgPool2d(2))
        self.blocks = nn.Sequential(
            *resnet_stages(parts, 64, (64, 128, 256, 512), (2, 2, 2, 2), (1, 2, 2, 2), pool_shortcut=True)
        )
        self.readout = Readout(512, num_classes, fsta_init=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        current = self.stem[:-1](x)  # the last LIF's input, for an attention block in the stem slot
        x = apply_stem_attention(self.stem_attention, current, self.stem[-1](current))
        return self.readout(self.blocks(self.pool(x)))


class ResNet19(nn.Module):
    """Stem conv3x3-BN-LIF with 128 maps (no pooling); stages [3,3,2] x 128/256/512, strides 1/2/2; downsample
    conv1x1(stride)-BN; GAP; FC 512. (The code's FSTA compression quirk, r = 16 in the blocks and 1 in the stem,
    is `fsta.compress_reduction: 16` with `fsta.compress_reduction_stem: 1`.)"""

    def __init__(self, parts: ModelParts, input_shape: tuple[int, ...], num_classes: int) -> None:
        super().__init__()
        self.stem = conv_bn(input_shape[0], 128, 3, 1, fsta_init=True)
        self.stem_neuron = parts.neuron(128, stem=True)
        self.stem_attention = parts.stem_attention(128)
        self.blocks = nn.Sequential(*resnet_stages(parts, 128, (128, 256, 512), (3, 3, 2), (1, 2, 2)))
        self.readout = Readout(512, num_classes, fsta_init=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        current = self.stem(x)
        x = apply_stem_attention(self.stem_attention, current, self.stem_neuron(current))
        return self.readout(self.blocks(x))


def resnet20(parts: ModelParts, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    return ResNet20(parts, input_shape, num_classes)


def resnet19(parts: ModelParts, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    return ResNet19(parts, input_shape, num_classes)
