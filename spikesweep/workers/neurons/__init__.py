"""Multi-step spiking neurons over `[T, B, ...]`: the papers' LIF presets and a generic LIF.

The package imports no torch by itself (its `presets_schema` declares the knobs); the names below load on use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import SpikingNeuron
    from .monitor import SpikeMonitor

_LAZY = {"SpikingNeuron": ".base", "SpikeMonitor": ".monitor"}
__all__ = ["SpikeMonitor", "SpikingNeuron"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
