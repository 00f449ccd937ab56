"""Multi-step building blocks: stateless layers run on `T*B` folded batches; only neurons loop over T."""

from __future__ import annotations

import torch
from torch import nn


class SeqFold(nn.Module):
    """Applies a stateless module to `[T, B, ...]` by folding time into the batch: `[T*B, ...]`."""

    def __init__(self, *modules: nn.Module) -> None:
        super().__init__()
        self.inner = modules[0] if len(modules) == 1 else nn.Sequential(*modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        steps, batch = x.shape[:2]
        y = self.inner(x.flatten(0, 1))
        return y.unflatten(0, (steps, batch))


def conv_bn(in_channels: int, out_channels: int, kernel: int = 3, stride: int = 1) -> SeqFold:
    """Bias-free conv followed by batch norm, on folded time."""
    return SeqFold(
        nn.Conv2d(in_channels, out_channels, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(out_channels)
    )
