"""The trial side's accounting: energy priced from stored op counts under a named preset and accounting.

Pure functions of numbers (no model, no forward pass): the counter prices a trial with them while measuring,
and `rescore` prices a stored trial again under another preset.

Counts come as a trial's flat metrics (`ops_paper_acs`, `ops_paper_macs`, ...), as nested totals
(`{"paper": {"acs", "macs", ...}}` or inspect's `{"ops": {...}}`), or as the per-layer table (`energy_layers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..registries import ENERGY_PRESETS
from .presets import ACCOUNTINGS, EnergyPreset

OP_FIELDS = ("flops", "acs", "macs", "elementwise")


def check_accounting(accounting: str) -> str:
    """`accounting` itself, or a ValueError naming the knob and the allowed values."""
    if accounting not in ACCOUNTINGS:
        allowed = " | ".join(ACCOUNTINGS)
        raise ValueError(f"energy.accounting: {accounting!r} is not a valid choice (allowed: {allowed})")
    return accounting


def op_totals(layer_rows: Sequence[Mapping[str, Any]], accounting: str) -> dict[str, float]:
    """Totals of the op rows of a per-layer table: `paper` sums the rows counted by syops rules, `full` all rows."""
    check_accounting(accounting)
    totals = dict.fromkeys(OP_FIELDS, 0.0)
    for row in layer_rows:
        if row.get("kind", "ops") != "ops" or (accounting == "paper" and not row["in_paper"]):
            continue
        for name in OP_FIELDS:
            totals[name] += float(row.get(name, 0.0))
    if accounting == "paper":
        totals.pop("elementwise")
    return totals


def counts_of(metrics_or_counts: Any, accounting: str) -> tuple[float, float]:
    """(ACs, MACs) per image of one accounting, from any of the forms this module accepts."""
    check_accounting(accounting)
    data = metrics_or_counts
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        totals = op_totals(data, accounting)
        return totals["acs"], totals["macs"]
    if not isinstance(data, Mapping):
        raise TypeError(f"cannot re-score a {type(data).__name__}: expected metrics, op totals or a layer table")
    flat = (f"ops_{accounting}_acs", f"ops_{accounting}_macs")
    if all(key in data for key in flat):
        return float(data[flat[0]]), float(data[flat[1]])
    if "energy_layers" in data:
        return counts_of(data["energy_layers"], accounting)
    nested = data.get("ops", data)
    if isinstance(nested, Mapping) and isinstance(nested.get(accounting), Mapping):
        ops = nested[accounting]
        if "acs" in ops and "macs" in ops:
            return float(ops["acs"]), float(ops["macs"])
    raise KeyError(
        f"no {accounting} op counts found: expected the metrics {flat[0]} and {flat[1]}, "
        f"'energy_layers', or {{'{accounting}': {{'acs': ..., 'macs': ...}}}}"
    )


def preset_named(preset: str | EnergyPreset) -> EnergyPreset:
    """The preset object for a name of `ENERGY_PRESETS` (or the preset itself)."""
    if isinstance(preset, EnergyPreset):
        return preset
    try:
        return ENERGY_PRESETS.get(preset)
    except KeyError as error:
        raise ValueError(f"energy.preset: {error.args[0]}") from None


def rescore(metrics_or_counts: Any, preset: str | EnergyPreset = "horowitz45_fp32", accounting: str = "paper") -> float:
    """Energy in mJ per image of the stored counts under another preset and/or accounting."""
    acs, macs = counts_of(metrics_or_counts, accounting)
    return preset_named(preset).energy_mj(acs, macs)
