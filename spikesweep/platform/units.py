"""Display units: energies are stored in mJ, and shown in the unit that gives 3-4 significant digits."""

from __future__ import annotations

import math
from collections.abc import Iterable

# (label, factor from mJ), largest first
ENERGY_UNITS = (("mJ", 1.0), ("µJ", 1e3), ("nJ", 1e6), ("pJ", 1e9))
ENERGY_METRICS = ("energy_mj",)  # stored metric names holding an energy in mJ


def energy_unit(values_mj: Iterable[float | None]) -> tuple[str, float]:
    """(label, factor) of the largest unit in which the largest |value| is at least 1 (mJ for an empty column):
    a column of energies shares one unit and reads with 3-4 significant digits before the decimals run out."""
    finite = [abs(v) for v in values_mj if v is not None and math.isfinite(v) and v != 0]
    if not finite:
        return ENERGY_UNITS[0]
    largest = max(finite)
    return next(((label, f) for label, f in ENERGY_UNITS if largest * f >= 1), ENERGY_UNITS[-1])


def format_energy(value_mj: float, unit: tuple[str, float] | None = None, significant: int = 4) -> str:
    """`156.5 nJ`: one energy with its unit (picked for this value alone unless `unit` is given)."""
    label, factor = unit or energy_unit([value_mj])
    return f"{value_mj * factor:.{significant}g} {label}"
