"""Spike and operation accounting (paper = syops rules, full = every op at the dispatcher), energy presets."""
from .counter import EnergyReport, measure_energy
from .inspection import inspect_energy
from .accounting import rescore

__all__ = ["EnergyReport", "inspect_energy", "measure_energy", "rescore"]
