"""DTA's membrane-shortcut ResNets (seed-spec 4.3): the shortcut carries the real-valued membrane stream.

* `ms_resnet18` (DTA code layout for CIFAR and CIFAR10-DVS): stem conv3x3 (C -> 64)-BN; stages [3,3,2] x
  128/256/512, strides 1/2/2; final LIF, GAP, FC 512. This is ResNet-19's layout in MS form (12.50M parameters for
  10 classes), not the 64..512 ResNet-18 of the DTA paper's Table 1.
* `ms_resnet34` (DTA paper layout for ImageNet): stem conv7x7/s2 (C -> 64)-BN, 3x3/s2 max-pool; stages [3,4,6,3] x
  64/128/256/512, strides 1/2/2/2; final LIF, GAP, FC 512. The max-pool is derived (the table's 112 -> 56) and sits
  after the stem-attention slot, as pooling follows the activation in a standard ResNet.

Input `[T, B, C, H, W]`, output `[T, B, classes]`; PyTorch default init. Without a stem attention block the stem
current goes straight into the first block (whose first op is a LIF). With one (DTA): spikes = LIF(current) and
`block(current, spikes)` is fed on.
"""

from __future__ import annotations

import torch
from torch import nn

from ..layers import SeqFold
from ..model import ModelParts
from ._blocks import MembraneShortcutBlock, Readout, conv_bn


class MSResNet(nn.Module):
    """Stem, stem-attention slot, optional pooling, MS blocks, final LIF and the per-step read-out."""

    def __init__(
        self,
        parts: ModelParts,
        stem: nn.Module,
        pool: nn.Module | None,
        widths: tuple[int, ...],
        depths: tuple[int, ...],
        strides: tuple[int, ...],
        num_classes: int,
    ) -> None:
        super().__init__()
        self.stem = stem
        self.stem_attention = parts.stem_attention(64)
        self.stem_neuron = parts.neuron(64, stem=True) if self.stem_attention is not None else None
        self.pool = pool
        blocks, in_channels = [], 64
        for width, depth, stride in zip(widths, depths, strides):
            for index in range(depth):
                blocks.append(MembraneShortcutBlock(parts, in_channels, width, stride if index == 0 else 1))
                in_channels = width
        self.blocks = nn.Sequential(*blocks)
        self.final_neuron = parts.neuron(in_channels)
        self.readout = Readout(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        if self.stem_attention is not None and self.stem_neuron is not None:
            x = self.stem_attention(x, self.stem_neuron(x))
        if self.pool is not None:
            x = self.pool(x)
        return self.readout(self.final_neuron(self.blocks(x)))


def ms_resnet18(parts: ModelParts, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    return MSResNet(parts, conv_bn(input_shape[0], 64, 3, 1), None, (128, 256, 512), (3, 3, 2), (1, 2, 2), num_classes)


def ms_resnet34(parts: ModelParts, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    return MSResNet(
        parts,
        conv_bn(input_shape[0], 64, 7, 2),
        SeqFold(nn.MaxPool2d(3, 2, 1)),
        (64, 128, 256, 512),
        (3, 4, 6, 3),
        (1, 2, 2, 2),
        num_classes,
    )
