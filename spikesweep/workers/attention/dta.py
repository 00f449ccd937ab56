"""DTA (Kim et al., WACV 2025): dual temporal-channel-wise attention, one block after the stem (seed-spec 4).

`attention: dta` leaves every neuron as the `neuron` knob says and adds one block on the stem output:
O = sigmoid(O_TXA (.) O_TNA) (.) spikes, with the stem's real-valued current feeding both branches
(reference code `models/DTA.py`, `TXA.py`, `TNA.py`). The framework layout is `[T, B, C, H, W]`; DTA's own math
is `[B, T, C, H, W]` with time-major channels `D = T * C` for T-NA, so the block converts on the way in and out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from .base import Attention
from .dta_schema import CLA_KERNEL, DILATION, GTCA_MIN_REDUCTION, GTCA_REDUCTION, TLA_KERNEL


class CrossAttention(nn.Module):
    """T-XA on `[B, T, C, H, W]`: (F + P_t A_t) (.) (F + P_c A_c), maps from GAP over H, W (seed-spec 4.5).

    TLA: a T -> T Conv1d (kernel 3) slides along channels; CLA: a C -> C Conv1d (kernel 6) slides along time.
    Both use PyTorch's 'same' padding without bias (done explicitly: the even kernel pads 2 before, 3 after).
    """

    def __init__(self, timesteps: int, channels: int) -> None:
        super().__init__()
        self.temporal = nn.Conv1d(timesteps, timesteps, TLA_KERNEL, bias=False)
        self.channel = nn.Conv1d(channels, channels, CLA_KERNEL, bias=False)
        self.scale_t = nn.Parameter(torch.tensor(1.0))
        self.scale_c = nn.Parameter(torch.tensor(1.0))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        pooled = features.mean(dim=(3, 4))  # [B, T, C]
        attn_t = torch.sigmoid(self.temporal(same_pad(pooled, TLA_KERNEL)))
        attn_c = torch.sigmoid(self.channel(same_pad(pooled.transpose(1, 2), CLA_KERNEL))).transpose(1, 2)
        return (features + (self.scale_t * attn_t)[..., None, None]) * (
            features + (self.scale_c * attn_c)[..., None, None]
        )


def same_pad(x: torch.Tensor, kernel: int) -> torch.Tensor:
    """Zero-pad the last axis as PyTorch's padding='same' does: (k - 1) // 2 before, the rest after."""
    before = (kernel - 1) // 2
    return nn.functional.pad(x, (before, kernel - 1 - before))


def dilated_kernel(kernel: int, dilation: int = DILATION) -> tuple[int, int]:
    """(kernel, padding) of LTCA's dilated depth-wise conv, by the reference code's rule (7 -> 1x1, 21 -> 7x7)."""
    size = kernel // dilation + ((kernel // dilation) % 2 - 1)
    return size, dilation * (size - 1) // 2


def gtca_hidden(dim: int) -> int:
    """GTCA's MLP width: D // max(D // 16, 4), which is 16 for every D that is a multiple of 16 and >= 64."""
    return dim // max(dim // GTCA_REDUCTION, GTCA_MIN_REDUCTION)


class NonIdenticalAttention(nn.Module):
    """T-NA on `[B, D, H, W]`: F' = GELU(conv1x1(X')); O = conv1x1(GTCA(F') (.) LTCA(F') (.) F') + X'.

    LTCA and GTCA read F', not X' (the code, not the paper's Eq. 11; seed-spec 4.6).
    """

    def __init__(self, dim: int, kernel: int) -> None:
        super().__init__()
        self.encoding = nn.Sequential(nn.Conv2d(dim, dim, 1), nn.GELU())
        local_size = 2 * DILATION - 1
        dilated_size, dilated_padding = dilated_kernel(kernel)
        self.local = nn.Sequential(
            nn.Conv2d(dim, dim, local_size, padding=local_size // 2, groups=dim),
            nn.Conv2d(dim, dim, dilated_size, padding=dilated_padding, groups=dim, dilation=DILATION),
            nn.Conv2d(dim, dim, 1),
        )
        hidden = gtca_hidden(dim)
        self.glob = nn.Sequential(
            nn.Linear(dim, hidden, bias=False), nn.ReLU(inplace=True), nn.Linear(hidden, dim, bias=False)
        )
        self.decoding = nn.Conv2d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        encoded = self.encoding(x)
        global_attn = self.glob(encoded.mean(dim=(2, 3)))[:, :, None, None]
        return self.decoding(global_attn * self.local(encoded) * encoded) + x


class DTABlock(nn.Module):
    """The DTA block: `(current, spikes)`, both `[T, B, C, H, W]` -> gated spikes `[T, B, C, H, W]`."""

    def __init__(self, timesteps: int, channels: int, branches: str = "both", tna_kernel: int = 7) -> None:
        super().__init__()
        self.timesteps, self.channels = timesteps, channels
        self.cross = CrossAttention(timesteps, channels) if branches in ("txa", "both") else None
        self.non_identical = (
            NonIdenticalAttention(timesteps * channels, tna_kernel) if branches in ("tna", "both") else None
        )

    def forward(self, current: torch.Tensor, spikes: torch.Tensor) -> torch.Tensor:
        steps, batch, channels, height, width = current.shape
        if (steps, channels) != (self.timesteps, self.channels):
            raise ValueError(
                f"DTA was built for timesteps = {self.timesteps} and {self.channels} channels, got "
                f"{steps} steps of {channels} channels (its weights depend on T)"
            )
        features = current.transpose(0, 1)  # [B, T, C, H, W]
        attention = None
        if self.non_identical is not None:
            flat = features.reshape(batch, steps * channels, height, width)
            attention = self.non_identical(flat).reshape(features.shape)
        if self.cross is not None:
            cross = self.cross(features)
            attention = cross if attention is None else attention * cross
        assert attention is not None, "DTA needs at least one of its branches"
        return (torch.sigmoid(attention) * spikes.transpose(0, 1)).transpose(0, 1)


class DTAAttention(Attention):
    """`attention: dta`: plain neurons everywhere, one DTA block on the stem output."""

    def stem(self, config: Mapping[str, Any], channels: int) -> nn.Module | None:
        return DTABlock(config["timesteps"], channels, config["dta.branches"], config["dta.tna_kernel"])


DTA_ATTENTION = DTAAttention()
