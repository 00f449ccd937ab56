"""`neuron: staa`: the adaptive LIF of STAA-SNN (seed-spec 1.1, 3.2, 3.3).

V_t = M (.) H_{t-1} + N (.) I_t with learnable per-channel M, N (init 2 and 0.1), S_t = 1[V_t > 1] with the
rectangular surrogate of width a = 1, hard reset H_t = V_t (1 - S_t) (V_reset = 0, gradient through the reset).
The equation form and the M/N assignment come from a secondary source (seed-spec 3.0): a reconstruction.
`attention: staa` builds this same core inside every STAA-LIF and exposes its form and init as `staa.*` knobs;
the plain `neuron: staa` preset always uses the paper's literal form and init, like the other paper presets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from .base import SpikingNeuron, spike
from .fused import lif_multistep, ops_are_counted
from .generic import wants_fused
from .presets_schema import LIF_PARAMS

THRESHOLD = 1.0
SURROGATE, SURROGATE_WIDTH = "rectangle", 1.0


def per_channel(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A `[C, 1, 1]` tensor viewed to broadcast over a per-step tensor `like` of shape `[B, C, ...]`."""
    return values.reshape(values.shape[0], *([1] * (like.dim() - 2)))


class AdaptiveCoefficients(nn.Module):
    """The learnable M, N of one layer, `[C, 1, 1]` each, and how they weight history and input.

    `literal`: V = M (.) H + N (.) I. `tau_style`: V = (1 - 1/M) (.) H + N (.) I, so M is a learnable time
    constant and M = 2 is the usual leak 0.5 (the alternative reading of seed-spec 3.3).
    """

    def __init__(self, channels: int, m_init: float = 2.0, n_init: float = 0.1, lif_param: str = "literal") -> None:
        super().__init__()
        if lif_param not in LIF_PARAMS:
            raise ValueError(f"staa.lif_param: {lif_param!r} is not a valid choice (allowed: {' | '.join(LIF_PARAMS)})")
        if lif_param == "tau_style" and m_init == 0:
            raise ValueError("staa.m_init: 0 is not allowed with staa.lif_param = tau_style (the leak is 1 - 1/M)")
        self.lif_param = lif_param
        self.m = nn.Parameter(torch.full((channels, 1, 1), float(m_init)))
        self.n = nn.Parameter(torch.full((channels, 1, 1), float(n_init)))

    def check(self, current: torch.Tensor) -> None:
        """Raise a clear error when a `[T, B, C, ...]` input does not have this layer's C channels."""
        if current.dim() < 3 or current.shape[2] != self.m.shape[0]:
            raise ValueError(
                f"STAA neuron built for {self.m.shape[0]} channels got input of shape "
                f"{tuple(current.shape)} (expected [T, B, {self.m.shape[0]}, ...])"
            )

    def leak(self, like: torch.Tensor) -> torch.Tensor:
        """The factor of H_{t-1}: M (literal) or 1 - 1/M (tau-style), viewed to broadcast over `like` `[B, C, ...]`."""
        m = per_channel(self.m, like)
        return m if self.lif_param == "literal" else 1 - 1 / m

    def history(self, membrane: torch.Tensor) -> torch.Tensor:
        """The history term M (.) H_{t-1} (or its tau-style form) for a per-step membrane `[B, C, ...]`."""
        return self.leak(membrane) * membrane

    def drive(self, current: torch.Tensor) -> torch.Tensor:
        """The input term N (.) I_t for a per-step current `[B, C, ...]`."""
        return per_channel(self.n, current) * current

    def extra_repr(self) -> str:
        return f"channels={self.m.shape[0]}, lif_param={self.lif_param}"


def fire(membrane: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(spikes, membrane after the hard reset to 0) for threshold 1 and the rectangular surrogate, a = 1."""
    spikes = spike(membrane - THRESHOLD, SURROGATE, SURROGATE_WIDTH)
    return spikes, membrane * (1 - spikes)


class AdaptiveLIF(SpikingNeuron):
    """Multi-step adaptive LIF: `[T, B, C, ...]` current -> spikes, with learnable per-channel M, N.

    `fused`: the T loop as one op (`neurons.fused`, knob `lif_impl`), with the leak M as its per-channel decay.
    """

    def __init__(
        self, channels: int, m_init: float = 2.0, n_init: float = 0.1, lif_param: str = "literal", fused: bool = False
    ) -> None:
        super().__init__()
        self.coefficients = AdaptiveCoefficients(channels, m_init, n_init, lif_param)
        self.fused = fused

    def forward(self, current: torch.Tensor) -> torch.Tensor:
        self.coefficients.check(current)
        if self.fused and not ops_are_counted():
            drive = per_channel(self.coefficients.n, current[0]) * current  # N (.) I_t for every t at once
            return self.record(
                lif_multistep(drive, self.coefficients.leak(current[0]), THRESHOLD, True, SURROGATE, SURROGATE_WIDTH)
            )
        membrane = torch.zeros_like(current[0])
        spikes = []
        for x in current:
            s, membrane = fire(self.coefficients.history(membrane) + self.coefficients.drive(x))
            spikes.append(s)
        return self.record(torch.stack(spikes))


def staa_lif(config: Mapping[str, Any], channels: int) -> SpikingNeuron:
    """STAA's adaptive LIF with the paper's literal form and init (M = 2, N = 0.1)."""
    return AdaptiveLIF(channels, fused=wants_fused(config))
