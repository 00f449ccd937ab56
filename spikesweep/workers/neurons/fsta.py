"""`neuron: fsta`: the LIF of the FSTA reference code (`DctSpatialLIF`, seed-spec 1.1).

u_t = 0.25 u_{t-1} (1 - s_{t-1}) + x_t; s_t = 1[u_t / V_th > 0.5] with V_th = 1, so the effective threshold is 0.5;
hard reset to 0 with the gradient flowing through the reset; tanh-shaped surrogate on the window u / V_th in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import SpikingNeuron
from .generic import LIF, wants_fused

FSTA_DECAY = 0.25
FSTA_V_TH = 1.0


def fsta_lif(config: Mapping[str, Any], channels: int) -> SpikingNeuron:
    """FSTA's LIF: fires at u > V_th / 2; the surrogate window u in [0, V_th] is centred on that threshold."""
    return LIF(
        FSTA_DECAY, FSTA_V_TH / 2, reset="hard", surrogate="tanh_window", width=FSTA_V_TH, fused=wants_fused(config)
    )
