"""Building blocks shared by the backbone families: initialisers, residual blocks and the read-out head.

All tensors are `[T, B, C, H, W]`; stateless layers run on the folded `T*B` batch (`SeqFold`). A BatchNorm2d on
the folded batch has the statistics over (T, B, H, W): the same as FSTA's BatchNorm3d over `[B, C, T, H, W]` and
DTA's BatchNorm2d over `B*T`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..layers import SeqFold
from ..model import ModelParts


def conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1, fsta_init: bool = False) -> nn.Conv2d:
    """Bias-free conv with padding kernel // 2; `fsta_init`: N(0, sqrt(2 / (k * k * C_out))) as in FSTA's code."""
    layer = nn.Conv2d(in_channels, out_channels, kernel, stride, kernel // 2, bias=False)
    if fsta_init:
        nn.init.normal_(layer.weight, 0.0, math.sqrt(2.0 / (kernel * kernel * out_channels)))
    return layer


def conv_bn(in_channels: int, out_channels: int, kernel: int = 3, stride: int = 1, fsta_init: bool = False) -> SeqFold:
    """conv -> BatchNorm2d (weight 1, bias 0) on folded time."""
    return SeqFold(conv(in_channels, out_channels, kernel, stride, fsta_init), nn.BatchNorm2d(out_channels))


class Readout(nn.Module):
    """Global average pool and a linear classifier applied per time step: `[T, B, C, H, W]` -> `[T, B, classes]`."""

    def __init__(self, channels: int, num_classes: int, fsta_init: bool = False) -> None:
        super().__init__()
        self.pool = SeqFold(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        linear = nn.Linear(channels, num_classes)
        if fsta_init:  # FSTA's code: weight ~ N(0, std = 1 / fan_in), bias 0
            nn.init.normal_(linear.weight, 0.0, 1.0 / channels)
            nn.init.zeros_(linear.bias)
        self.fc = SeqFold(linear)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(x))


class SpikingBasicBlock(nn.Module):
    """FSTA-code BasicBlock on spikes: conv3x3(stride)-BN-LIF-conv3x3-BN, add the shortcut, then LIF.

    `downsample` maps the block input to the shortcut when the shape changes (None = identity).
    """

    def __init__(
        self,
        parts: ModelParts,
        in_channels: int,
        channels: int,
        stride: int,
        downsample: nn.Module | None,
        fsta_init: bool = True,
    ) -> None:
        super().__init__()
        self.conv1 = conv_bn(in_channels, channels, 3, stride, fsta_init)
        self.neuron1 = parts.neuron(channels)
        self.conv2 = conv_bn(channels, channels, 3, 1, fsta_init)
        self.downsample = downsample
        self.neuron2 = parts.neuron(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(self.neuron1(self.conv1(x)))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.neuron2(out + shortcut)


class MembraneShortcutBlock(nn.Module):
    """MS-ResNet block (DTA code): LIF-conv3x3(stride)-BN-LIF-conv3x3-BN plus the real-valued shortcut.

    The shortcut carries the membrane stream (no spikes): identity, or conv1x1(stride)-BN when the shape changes.
    """

    def __init__(self, parts: ModelParts, in_channels: int, channels: int, stride: int) -> None:
        super().__init__()
        self.neuron1 = parts.neuron(in_channels)
        self.conv1 = conv_bn(in_channels, channels, 3, stride)
        self.neuron2 = parts.neuron(channels)
        self.conv2 = conv_bn(channels, channels, 3, 1)
        needs_projection = stride != 1 or in_channels != channels
        self.downsample = conv_bn(in_channels, channels, 1, stride) if needs_projection else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(self.neuron2(self.conv1(self.neuron1(x))))
        return out + (x if self.downsample is None else self.downsample(x))


def resnet_stages(
    parts: ModelParts,
    in_channels: int,
    widths: tuple[int, ...],
    depths: tuple[int, ...],
    strides: tuple[int, ...],
    pool_shortcut: bool = False,
) -> list[nn.Module]:
    """FSTA-initialised spiking BasicBlocks; a projection shortcut where the shape changes: conv1x1(stride)-BN, or
    with `pool_shortcut` (ResNet20) AvgPool(stride, ceil_mode)-conv1x1-BN."""
    blocks: list[nn.Module] = []
    for width, depth, stride in zip(widths, depths, strides):
        for index in range(depth):
            block_stride = stride if index == 0 else 1
            downsample = None
            if pool_shortcut and block_stride != 1:
                downsample = SeqFold(
                    nn.AvgPool2d(block_stride, block_stride, ceil_mode=True, count_include_pad=False),
                    conv(in_channels, width, 1, 1, fsta_init=True),
                    nn.BatchNorm2d(width),
                )
            elif block_stride != 1 or in_channels != width:
                downsample = conv_bn(in_channels, width, 1, block_stride, fsta_init=True)
            blocks.append(SpikingBasicBlock(parts, in_channels, width, block_stride, downsample))
            in_channels = width
    return blocks


def apply_stem_attention(block: nn.Module | None, current: torch.Tensor, spikes: torch.Tensor) -> torch.Tensor:
    """What the stem passes on: `block(current, spikes)` where an attention module sits there, else the spikes."""
    return spikes if block is None else block(current, spikes)
