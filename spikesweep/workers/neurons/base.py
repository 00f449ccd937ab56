"""Base class of every spiking neuron, and the surrogate-gradient spike functions."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from ..plugin_registry import PluginRegistry

SurrogateShape = Callable[[torch.Tensor, float], torch.Tensor]
SURROGATES: PluginRegistry = PluginRegistry("surrogate")
SURROGATE_SHAPES: PluginRegistry[SurrogateShape] = PluginRegistry("surrogate shape")


class SpikingNeuron(nn.Module):
    """A multi-step neuron: input current `[T, B, ...]` -> binary spikes `[T, B, ...]`.

    State lives only for the duration of one forward call. A neuron does no bookkeeping of its own: spikes are
    counted from outside through forward hooks (`neurons.monitor.SpikeMonitor`, the energy counter), so a
    training forward does no work that nobody reads.
    """

    def record(self, spikes: torch.Tensor) -> torch.Tensor:
        """The neuron's output, as handed to hooks; kept as the one exit every neuron's forward goes through."""
        return spikes


def _make_spike_fn(name: str, backward: SurrogateShape) -> type:
    class Spike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x: torch.Tensor, width: float) -> torch.Tensor:  # x = membrane - threshold
            ctx.save_for_backward(x)
            ctx.width = width
            return (x > 0).to(x.dtype)

        @staticmethod
        def backward(ctx, grad: torch.Tensor):
            (x,) = ctx.saved_tensors
            return grad * backward(x, ctx.width), None

    Spike.__name__ = f"{name.title()}Spike"
    return Spike


def _rectangle(x: torch.Tensor, width: float) -> torch.Tensor:
    return (x.abs() < width / 2).to(x.dtype) / width


def _triangle(x: torch.Tensor, width: float) -> torch.Tensor:
    return torch.clamp(1.0 - x.abs() / width, min=0.0) / width


def _sigmoid(x: torch.Tensor, width: float) -> torch.Tensor:
    alpha = 4.0 / width
    s = torch.sigmoid(alpha * x)
    return alpha * s * (1 - s)


def _atan(x: torch.Tensor, width: float) -> torch.Tensor:
    alpha = 2.0 / width
    return alpha / 2 / (1 + (math.pi / 2 * alpha * x) ** 2)


def _tanh_window(x: torch.Tensor, width: float, sharpness: float = 1.0) -> torch.Tensor:
    # FSTA's `spike_activation`: derivative of [tanh(k(clip(z,0,1) - 1/2)) + tanh(k/2)] / (2 tanh(k/2)) with
    # z = x / width + 1/2, k = 1 (the code's temp=3 is never passed). The window is closed like torch.clamp's.
    z = x / width
    inside = (z.abs() <= 0.5).to(x.dtype)
    sech = 1.0 / torch.cosh(sharpness * z)
    return inside * sharpness * sech * sech / (2.0 * math.tanh(sharpness / 2.0)) / width


for _name, _fn in {
    "rectangle": _rectangle,
    "triangle": _triangle,
    "sigmoid": _sigmoid,
    "atan": _atan,
    "tanh_window": _tanh_window,
}.items():
    SURROGATE_SHAPES.add(_name, _fn)
    SURROGATES.add(_name, _make_spike_fn(_name, _fn))


def spike(x: torch.Tensor, surrogate: str, width: float) -> torch.Tensor:
    """Heaviside of `x` (membrane minus threshold) with the named surrogate gradient of the given width."""
    return SURROGATES.get(surrogate).apply(x, width)
