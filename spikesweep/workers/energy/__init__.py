"""Spike and operation accounting, and energy presets."""
from .counter import EnergyReport, measure_energy

__all__ = ["EnergyReport", "measure_energy"]
