"""FSTA (Yu et al., AAAI 2025): frequency-based spatial-temporal attention inside every LIF (seed-spec 2).

`attention: fsta` wraps each spiking activation as FSTA-then-neuron: the module reweights the neuron's whole input
current `[T, B, C, H, W]` (non-causally in time) before the LIF runs, as `DctSpatialLIF` does in the reference code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .base import Attention, NeuronFactory
from .fsta_schema import COMPRESS_KERNEL, TOPK_TABLE


def dct_bank(kernel: int) -> torch.Tensor:
    """The orthonormal 2-D DCT-II basis as `[k^2, k, k]`, filter `v * k + u` = B_{u,v}(i, j) (seed-spec 2.3).

    B_{u,v}(i, j) = c(u) c(v) cos(pi u (2i+1) / 2k) cos(pi v (2j+1) / 2k), c(0) = sqrt(1/k), c(f>0) = sqrt(2/k);
    i is the row (height) and u the vertical frequency.
    """
    n = torch.arange(kernel, dtype=torch.float64)
    scale = torch.full((kernel,), math.sqrt(2.0 / kernel), dtype=torch.float64)
    scale[0] = math.sqrt(1.0 / kernel)
    basis = scale[:, None] * torch.cos(math.pi * n[:, None] * (2 * n[None, :] + 1) / (2 * kernel))  # [freq, pos]
    bank = basis[None, :, :, None] * basis[:, None, None, :]  # [v, u, i, j] = b_u(i) b_v(j)
    return bank.reshape(kernel * kernel, kernel, kernel).float()


def lowest_frequencies(kernel: int, count: int) -> list[int]:
    """`lowfreq`: indices (v * k + u) of the `count` lowest frequencies by u + v, ties broken by index."""
    order = sorted(range(kernel * kernel), key=lambda idx: (idx // kernel + idx % kernel, idx))
    return order[:count]


def best_frequencies(count: int) -> list[int]:
    """`topk`: the reference code's rule, the `count` largest entries of its 7x7 accuracy table in `torch.topk`
    order (largest first, ties as torch.topk breaks them); the bank is indexed in that order."""
    return torch.topk(torch.tensor(TOPK_TABLE), count).indices.tolist()


def select_frequencies(kernel: int, freq_select: str, freq_k: int = 16, freq_index: int = 0) -> list[int]:
    """The filter indices a `fsta.freq_select` mode keeps (a resolved configuration has valid K and index)."""
    if freq_select == "topk":
        return best_frequencies(freq_k)
    if freq_select == "lowfreq":
        return lowest_frequencies(kernel, freq_k)
    if freq_select == "single":
        return [freq_index]
    return list(range(kernel * kernel))


class FSTA(nn.Module):
    dct: torch.Tensor  # the DCT bank buffer [F, 1, k, k]
    """Temporal attention (TA), DCT spatial attention (SA) and their learnable fusion, on `[T, B, C, H, W]`.

    TA: w_T = sigmoid(mean_C(W_t (alpha avg_HW + beta max_HW))), X_t = X (1 + w_T).
    SA: Freq_f = B_f * sum_C mean_T(Y), w_S = sigmoid(conv7x7(Freq)), X_s = Y (1 + w_S).
    Output (t X_t + s X_s) / 2 with t = 0.6, s = 0.5 learnable. The output has the input's shape.
    """

    def __init__(
        self,
        channels: int,
        timesteps: int,
        kernel: int = 7,
        combination: str = "serial",
        compress_reduction: int = 1,
        frequencies: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.channels, self.timesteps, self.kernel, self.combination = channels, timesteps, kernel, combination
        self.alpha = nn.Parameter(torch.tensor([0.5]))
        self.beta = nn.Parameter(torch.tensor([0.5]))
        # nn modules, as in the reference code: the syops counter (paper energy tables) counts these pools
        self.avg_pool = nn.AdaptiveAvgPool3d((None, 1, 1))
        self.max_pool = nn.AdaptiveMaxPool3d((None, 1, 1))
        self.time_fc = nn.Linear(timesteps, timesteps, bias=False)
        self.channel_fc = nn.Linear(channels, channels, bias=False) if combination == "serial_channel" else None
        bank = dct_bank(kernel)
        if frequencies is not None:
            bank = bank[frequencies]
        self.register_buffer("dct", bank.unsqueeze(1), persistent=False)  # [F, 1, k, k]
        self.compress = _compression(bank.shape[0], compress_reduction)
        self.t = nn.Parameter(torch.tensor([0.6]))
        self.s = nn.Parameter(torch.tensor([0.5]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] != self.timesteps:
            raise ValueError(f"FSTA was built for T = {self.timesteps} time steps, got an input with {x.shape[0]}")
        # Every branch is x times gates that each lack some dimensions, so the gates are combined first and x is
        # multiplied once: X_t = x (1 + w_T), X_s = X_t (1 + w_S) (serial) or x (1 + w_S) (parallel), and the
        # DCT input sum_C mean_T X_t is a weighted sum of the channel sums.
        pooled = self.alpha * self.avg_pool(x).flatten(2) + self.beta * self.max_pool(x).flatten(2)  # M: [T, B, C]
        mixed = self.time_fc(pooled.permute(1, 2, 0))  # W_t across time for every (b, c): [B, C, T]
        time_weight = (1 + torch.sigmoid(mixed.mean(1))).t()  # 1 + w_T: [T, B]
        gate = time_weight[:, :, None, None, None]
        if self.channel_fc is not None:  # mode c (derived, seed-spec 2.6): X_c = X_t (1 + w_C) replaces X_t
            channel_weight = 1 + torch.sigmoid(self.channel_fc(pooled).mean(0))  # [B, C]
            channel_sum = torch.einsum("tbchw,bc->tbhw", x, channel_weight)
            gate = gate * channel_weight[None, :, :, None, None]
        else:
            channel_sum = x.sum(2)  # [T, B, H, W]
        if self.combination == "parallel":
            spatial_source = channel_sum.mean(0)  # SA sees the raw input
        else:
            spatial_source = (channel_sum * time_weight[:, :, None, None]).mean(0)  # sum_C mean_T X_t
        spatial_weight = 1 + torch.sigmoid(self.compress(self._dct(spatial_source.unsqueeze(1)))).unsqueeze(0)
        if self.combination == "parallel":
            return x * (self.t * gate + self.s * spatial_weight) / 2
        return x * (gate * ((self.t + self.s * spatial_weight) / 2))

    def spatial_logits(self, y: torch.Tensor) -> torch.Tensor:
        """SA logits `[B, 1, H, W]` of an input `y` `[T, B, C, H, W]`: the compression conv on its frequency maps."""
        return self.compress(self.frequency_maps(y))

    def frequency_maps(self, y: torch.Tensor) -> torch.Tensor:
        """`[B, F, H, W]`: each DCT filter on the channel sum of the time mean of `y` `[T, B, C, H, W]`.

        Equal to the reference code's conv with the filter replicated over all C input channels, at 1/C the cost.
        """
        return self._dct(y.mean(0).sum(1, keepdim=True))

    def _dct(self, channel_sum: torch.Tensor) -> torch.Tensor:
        return F.conv2d(channel_sum, self.dct.to(channel_sum.dtype), padding=self.kernel // 2)

    def extra_repr(self) -> str:
        return (
            f"channels={self.channels}, timesteps={self.timesteps}, dct={self.kernel}x{self.kernel} "
            f"({self.dct.shape[0]} filters), combination={self.combination}"
        )


def _compression(frequencies: int, reduction: int) -> nn.Module:
    padding = COMPRESS_KERNEL // 2
    if reduction == 1:
        return nn.Conv2d(frequencies, 1, COMPRESS_KERNEL, padding=padding, bias=False)
    hidden = frequencies // reduction
    return nn.Sequential(
        nn.Conv2d(frequencies, hidden, COMPRESS_KERNEL, padding=padding, bias=False),
        nn.ReLU(),
        nn.Conv2d(hidden, 1, COMPRESS_KERNEL, padding=padding, bias=False),
    )


class AttentiveNeuron(nn.Sequential):
    """An attention module on the input current followed by the spiking neuron: `[T, B, ...]` -> spikes."""

    def __init__(self, attention: nn.Module, neuron: nn.Module) -> None:
        super().__init__()
        self.attention = attention
        self.neuron = neuron


class FSTAAttention(Attention):
    """Puts an FSTA module in front of every spiking neuron of the backbone (stem LIFs included)."""

    def wrap_neuron(
        self, config: Mapping[str, Any], channels: int, make_neuron: NeuronFactory, stem: bool = False
    ) -> nn.Module:
        return AttentiveNeuron(build_fsta(config, channels, stem), make_neuron(config, channels))


def build_fsta(config: Mapping[str, Any], channels: int, stem: bool = False) -> FSTA:
    """An FSTA module for a layer with `channels` feature maps (in the stem or not), from a resolved configuration."""
    kernel = config["fsta.dct_kernel"]
    frequencies = None
    if config["fsta.freq_select"] != "all":
        frequencies = select_frequencies(
            kernel, config["fsta.freq_select"], config["fsta.freq_k"], config["fsta.freq_index"]
        )
    reduction = config["fsta.compress_reduction"]
    if stem and config["fsta.compress_reduction_stem"]:
        reduction = config["fsta.compress_reduction_stem"]
    return FSTA(channels, config["timesteps"], kernel, config["fsta.combination"], reduction, frequencies)


FSTA_ATTENTION = FSTAAttention()
