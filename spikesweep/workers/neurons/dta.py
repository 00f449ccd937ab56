"""`neuron: dta`: the LIF of the DTA reference code (`LIFSpike` + `ZIF`, seed-spec 1.1 and 4.2).

u_t = 0.5 u_{t-1} (1 - s_{t-1}) + c_t; s_t = 1[u_t > 1]; hard reset to 0, gradient through the reset;
triangular surrogate ds/du = max(0, 1 - |u - 1|) (gamma = 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import SpikingNeuron
from .generic import LIF, wants_fused


def dta_lif(config: Mapping[str, Any], channels: int) -> SpikingNeuron:
    """DTA's LIF: decay 0.5, threshold 1, triangular surrogate of half-width 1."""
    return LIF(0.5, 1.0, reset="hard", surrogate="triangle", width=1.0, fused=wants_fused(config))
