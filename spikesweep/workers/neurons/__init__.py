"""Multi-step spiking neurons over `[T, B, ...]`: the papers' LIF presets and a generic LIF."""

from .base import SpikingNeuron
from .monitor import SpikeMonitor

__all__ = ["SpikeMonitor", "SpikingNeuron"]
