"""A small spiking CNN sized for 8x8 (digits) and 34x34 (N-MNIST) inputs."""

from __future__ import annotations

import torch
from torch import nn

from ..layers import SeqFold, conv_bn
from ..model import ModelParts


class SmallCNN(nn.Module):
    """conv-BN-LIF, strided conv-BN-LIF, max-pool to 4x4, FC per step; DTA (if chosen) after the first conv.

    Max pooling keeps spikes binary, so the second conv and the classifier are driven by spikes (ACs).
    """

    def __init__(self, parts: ModelParts, input_shape: tuple[int, ...], num_classes: int, width: int = 32) -> None:
        super().__init__()
        channels = input_shape[0]
        self.stem = conv_bn(channels, width)
        self.stem_neuron = parts.neuron(width, stem=True)
        self.stem_attention = parts.stem_attention(width)
        self.conv2 = conv_bn(width, 2 * width, stride=2)
        self.neuron2 = parts.neuron(2 * width)
        self.pool = SeqFold(nn.AdaptiveMaxPool2d(4))
        self.fc = SeqFold(nn.Flatten(), nn.Linear(2 * width * 16, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        current = self.stem(x)
        spikes = self.stem_neuron(current)
        if self.stem_attention is not None:
            spikes = self.stem_attention(current, spikes)
        x = self.pool(self.neuron2(self.conv2(spikes)))
        return self.fc(x)


def small_cnn(parts: ModelParts, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    return SmallCNN(parts, input_shape, num_classes)
