"""Spike and operation accounting (paper = syops rules, full = every op at the dispatcher), energy presets."""

from .accounting import rescore
from .counter import EnergyReport, measure_energy
from .inspection import inspect_energy

__all__ = ["EnergyReport", "inspect_energy", "measure_energy", "rescore"]
