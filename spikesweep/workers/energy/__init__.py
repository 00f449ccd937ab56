"""Spike and operation accounting (paper = syops rules, full = every op at the dispatcher), energy presets.

The package imports no torch by itself (`presets` declares the energy knobs); the names below load on use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .accounting import rescore
    from .counter import EnergyReport, measure_energy
    from .inspection import inspect_energy

_LAZY = {
    "rescore": ".accounting",
    "EnergyReport": ".counter",
    "measure_energy": ".counter",
    "inspect_energy": ".inspection",
}
__all__ = ["EnergyReport", "inspect_energy", "measure_energy", "rescore"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
