"""Per-operation energy presets (Horowitz 2014, 45 nm) and the knobs that choose one."""

from __future__ import annotations

from dataclasses import dataclass

from ..knobs import Knob, declare
from ..registries import ENERGY_PRESETS


@dataclass(frozen=True)
class EnergyPreset:
    """Energy per accumulate (AC, spike-driven) and per multiply-accumulate (MAC), in picojoules."""

    pj_per_ac: float
    pj_per_mac: float
    description: str

    def energy_mj(self, acs: float, macs: float) -> float:
        """Energy in millijoules of `acs` accumulates and `macs` multiply-accumulates."""
        return (acs * self.pj_per_ac + macs * self.pj_per_mac) * 1e-9


ENERGY_PRESETS.add("horowitz45_fp32", EnergyPreset(0.9, 4.6, "45 nm FP32 (Horowitz 2014)"))
ENERGY_PRESETS.add("horowitz45_fp16", EnergyPreset(0.4, 1.5, "45 nm FP16 (Horowitz 2014)"))
ENERGY_PRESETS.add("horowitz45_int8", EnergyPreset(0.03, 0.23, "45 nm INT8 (Horowitz 2014)"))

ACCOUNTINGS = ("paper", "full")

declare(
    Knob(
        "energy.preset",
        str,
        "horowitz45_fp32",
        "per-operation energy preset",
        choices=ENERGY_PRESETS.names,
        owner="energy",
    ),
    Knob(
        "energy.accounting",
        str,
        "paper",
        "which op count energy_mj uses: paper = the syops-counter rules of the "
        "FSTA/STAA papers (nn conv/linear/BN/pool modules only), full = every convolution and matrix product that "
        "runs, functional DCT and attention ops included",
        choices=ACCOUNTINGS,
        owner="energy",
    ),
    Knob(
        "energy.samples",
        int,
        64,
        "validation samples on which ops and firing rates are counted (64 keeps "
        "counting under 5% of a quickstart trial; rates over 64 images x T x neurons are already stable)",
        low=1,
        high=1_000_000,
        owner="energy",
    ),
)
