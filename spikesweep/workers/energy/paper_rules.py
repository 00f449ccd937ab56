"""`paper` accounting: the syops-counter rules the FSTA/STAA papers used (seed-spec 5.1).

Only `nn` modules of exactly these types are counted (syops matches `type(module)`, so subclasses and functional
calls count as nothing). Each rule gives the dense FLOP count `F` of one call and which tensor's spike mark makes
it accumulates (ACs = F x firing rate of that tensor) instead of multiply-accumulates (MACs = F).
Reference: iCGY96/syops-counter, syops/ops.py (the version whose pooling hooks test for spikes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

FlopFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], int]


@dataclass(frozen=True)
class ModuleRule:
    """FLOPs of one call and whether the spike test looks at the module's input or its output."""

    flops: FlopFn
    spike_test_on: str = "input"  # "input" | "output" (syops tests activations and upsampling on the output)


def conv_flops(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    """k_h k_w C_in (C_out / groups) per output position x batch, plus C_out per position with a bias."""
    assert isinstance(module, nn.modules.conv._ConvNd)
    per_position = math.prod(module.kernel_size) * module.in_channels * (module.out_channels // module.groups)
    positions = y.shape[0] * math.prod(y.shape[2:])
    bias = module.out_channels * positions if module.bias is not None else 0
    return int(per_position * positions + bias)


def linear_flops(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    """Input elements x out_features; syops adds the bias once per call (out_features), not once per row."""
    return x.numel() * y.shape[-1] + (y.shape[-1] if module.bias is not None else 0)


def norm_flops(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    """Input elements, twice when the norm has an affine scale and shift."""
    return x.numel() * (2 if getattr(module, "affine", False) else 1)


def input_elements(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    return x.numel()


def output_elements(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    return y.numel()


_CONV = ModuleRule(conv_flops)
_NORM = ModuleRule(norm_flops)
_POOL = ModuleRule(input_elements)
_ACTIVATION = ModuleRule(output_elements, "output")

PAPER_RULES: dict[type, ModuleRule] = {
    **{
        cls: _CONV
        for cls in (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
    },
    nn.Linear: ModuleRule(linear_flops),
    **{
        cls: _NORM
        for cls in (
            nn.BatchNorm1d,
            nn.BatchNorm2d,
            nn.BatchNorm3d,
            nn.InstanceNorm1d,
            nn.InstanceNorm2d,
            nn.InstanceNorm3d,
            nn.GroupNorm,
        )
    },
    **{
        cls: _POOL
        for cls in (
            nn.MaxPool1d,
            nn.MaxPool2d,
            nn.MaxPool3d,
            nn.AvgPool1d,
            nn.AvgPool2d,
            nn.AvgPool3d,
            nn.AdaptiveMaxPool1d,
            nn.AdaptiveMaxPool2d,
            nn.AdaptiveMaxPool3d,
            nn.AdaptiveAvgPool1d,
            nn.AdaptiveAvgPool2d,
            nn.AdaptiveAvgPool3d,
        )
    },
    **{cls: _ACTIVATION for cls in (nn.ReLU, nn.PReLU, nn.ELU, nn.LeakyReLU, nn.ReLU6, nn.GELU, nn.Upsample)},
}


def paper_rule(module: nn.Module) -> ModuleRule | None:
    """The syops rule for this module, or None when syops treats it as a zero-op."""
    return PAPER_RULES.get(type(module))
