"""`attention: staa`, torch-free half: its knobs, cross-knob check and registration (the modules are in `staa.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..knobs import Knob, Problems
from ..neurons.presets_schema import LIF_PARAMS
from ..plugin_registry import Lazy
from ..registries import ATTENTIONS

PE_KINDS = ("none", "learnable", "fixed")
PE_SHAPES = ("TxCx1x1", "TxCxHxW")
PE_LOCATIONS = ("b", "c", "d", "e")
GC_FUSIONS = ("add", "mul")
STEP_FORMS = ("gate", "softmax2")
TSRD_GRANULARITIES = ("batch", "sample")

_STAA = {"attention": ("staa",)}
_RECON = "[reconstruction, seed-spec 3.0] "
STAA_KNOBS = (
    Knob(
        "staa.lif_param",
        str,
        "literal",
        _RECON + "form of the adaptive LIF every STAA-LIF uses (whatever `neuron` "
        "says): literal = M H + N I; tau_style = (1 - 1/M) H + N I (M a learnable time constant)",
        choices=LIF_PARAMS,
        when=_STAA,
        owner="staa",
    ),
    Knob(
        "staa.m_init",
        float,
        2.0,
        "initial value of the per-channel history coefficient M (paper: 2)",
        low=-10.0,
        high=10.0,
        when=_STAA,
        owner="staa",
    ),
    Knob(
        "staa.n_init",
        float,
        0.1,
        "initial value of the per-channel input coefficient N (paper: 0.1)",
        low=-10.0,
        high=10.0,
        when=_STAA,
        owner="staa",
    ),
    Knob(
        "staa.pe",
        str,
        "learnable",
        "per-time-step position encoding: none, learnable (init 0, paper) or fixed "
        "sinusoidal over t (the paper's 'fixed PE' ablation; its exact form is a reconstruction)",
        choices=PE_KINDS,
        when=_STAA,
        owner="staa",
    ),
    Knob(
        "staa.pe_shape",
        str,
        "TxCx1x1",
        _RECON + "shape of the learnable PE of a layer: one value per (step, "
        "channel), or per (step, channel, pixel), sized from the layer's input on the first forward",
        choices=PE_SHAPES,
        when={"attention": ("staa",), "staa.pe": ("learnable",)},
        owner="staa",
    ),
    Knob(
        "staa.pe_location",
        str,
        "c",
        "where the PE is added (paper Fig. 2; c = GC input is the paper's; b = "
        "history term M H, d = GC output, e = aggregated membrane are reconstructed readings)",
        choices=PE_LOCATIONS,
        when={"attention": ("staa",), "staa.pe": ("learnable", "fixed")},
        owner="staa",
    ),
    Knob(
        "staa.gc",
        bool,
        True,
        "global-context block (GCNet key/value/query 1x1 convs) on the input current",
        when=_STAA,
        owner="staa",
    ),
    Knob(
        "staa.gc_ratio",
        int,
        4,
        "bottleneck ratio r (hidden width C // r, at least 1) of the GC transform and "
        "of Step Attention (paper Fig. 5: best 4; the other swept values are only in the figure)",
        low=1,
        high=256,
        when=_STAA,
        owner="staa",
    ),
    Knob(
        "staa.gc_fusion",
        str,
        "add",
        _RECON + "how the GC context joins the input: add = X + Q (GCNet channel-add, "
        "identity at init), mul = X (.) sigmoid(Q) (0.5 X at init)",
        choices=GC_FUSIONS,
        when={"attention": ("staa",), "staa.gc": (True,)},
        owner="staa",
    ),
    Knob(
        "staa.step_attention",
        bool,
        True,
        "Step Attention: a learned per-channel gate merging history M H and "
        "input N X' instead of plain addition (internals are a reconstruction)",
        when=_STAA,
        owner="staa",
    ),
    Knob(
        "staa.step_scale",
        float,
        2.0,
        "Step Attention scale k: V = k [(1-g) M H + g N X']; k = 2 is plain addition at init (paper default 2)",
        low=1e-3,
        high=100.0,
        when={"attention": ("staa",), "staa.step_attention": (True,)},
        owner="staa",
    ),
    Knob(
        "staa.step_form",
        str,
        "gate",
        _RECON + "Step Attention weights: gate = sigmoid (1 - g, g); softmax2 = "
        "SK-style softmax over two branch logits",
        choices=STEP_FORMS,
        when={"attention": ("staa",), "staa.step_attention": (True,)},
        owner="staa",
    ),
    Knob(
        "staa.tsrd_p",
        float,
        0.1,
        "Time-Step Random Dropout: probability that a time step skips PE/GC/SA and "
        "uses the plain adaptive step M H + N I (paper best 0.1, 0 = off; training only, a reconstruction)",
        low=0.0,
        high=1.0,
        when=_STAA,
        owner="staa",
    ),
    Knob(
        "staa.tsrd_granularity",
        str,
        "batch",
        _RECON + "TSRD draws: one per (layer, step, mini-batch), which "
        "skips the computation, or one per (layer, step, sample)",
        choices=TSRD_GRANULARITIES,
        when=_STAA,
        owner="staa",
    ),
)


def staa_problems(config: Mapping[str, Any]) -> Problems:
    """Cross-knob check of `attention: staa`: the tau-style leak 1 - 1/M needs M != 0 at init."""
    if config["staa.lif_param"] == "tau_style" and config["staa.m_init"] == 0:
        return [
            (
                "staa.m_init",
                "0 makes the tau-style leak 1 - 1/M infinite (allowed: a non-zero value with staa.lif_param tau_style)",
            )
        ]
    return []


ATTENTIONS.add(
    "staa",
    Lazy("spikesweep.workers.attention.staa:STAA_ATTENTION"),
    knobs=STAA_KNOBS,
    checks=(staa_problems,),
    leave_one_out={
        "staa.gc": {"staa.gc": False},
        "staa.pe": {"staa.pe": "none"},
        "staa.step_attention": {"staa.step_attention": False},
        "staa.tsrd": {"staa.tsrd_p": 0.0},
    },
)
