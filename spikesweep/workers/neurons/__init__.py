"""Multi-step spiking neurons over `[T, B, ...]`: the papers' LIF presets and a generic LIF."""
from .base import SpikingNeuron

__all__ = ["SpikingNeuron"]
