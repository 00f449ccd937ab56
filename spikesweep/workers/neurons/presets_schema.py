"""The neurons, torch-free half: the generic LIF's knobs and the registration of every neuron preset (the
neuron modules are imported when a model is built)."""

from __future__ import annotations

from ..knobs import Knob, declare
from ..plugin_registry import Lazy
from ..registries import NEURONS

# the surrogate-gradient shapes of `neurons.base` (a test keeps the two lists equal)
SURROGATE_NAMES = ("atan", "rectangle", "sigmoid", "tanh_window", "triangle")
LIF_PARAMS = ("literal", "tau_style")  # the two forms of STAA's adaptive LIF

_GENERIC = {"neuron": ("generic",)}
declare(
    Knob(
        "neuron.decay",
        float,
        0.5,
        "membrane decay factor per step (u = decay * u + x)",
        low=0.0,
        high=1.0,
        when=_GENERIC,
        owner="neuron",
    ),
    Knob("neuron.threshold", float, 1.0, "firing threshold", low=1e-3, high=100.0, when=_GENERIC, owner="neuron"),
    Knob(
        "neuron.reset",
        str,
        "hard",
        "reset after a spike: to zero (hard) or by subtracting the threshold (soft)",
        choices=("hard", "soft"),
        when=_GENERIC,
        owner="neuron",
    ),
    Knob(
        "neuron.surrogate",
        str,
        "rectangle",
        "surrogate gradient of the spike function",
        choices=SURROGATE_NAMES,
        when=_GENERIC,
        owner="neuron",
    ),
    Knob(
        "neuron.surrogate_width",
        float,
        1.0,
        "width of the surrogate window",
        low=1e-3,
        high=100.0,
        when=_GENERIC,
        owner="neuron",
    ),
)

NEURONS.add("generic", Lazy("spikesweep.workers.neurons.generic:generic_lif"))
NEURONS.add("fsta", Lazy("spikesweep.workers.neurons.fsta:fsta_lif"))
NEURONS.add("dta", Lazy("spikesweep.workers.neurons.dta:dta_lif"))
NEURONS.add("staa", Lazy("spikesweep.workers.neurons.staa:staa_lif"))
