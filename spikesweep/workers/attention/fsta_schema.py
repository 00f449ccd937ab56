"""`attention: fsta`, torch-free half: its knobs, cross-knob check and registration (the modules are in `fsta.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..knobs import Knob, Problems
from ..plugin_registry import Lazy
from ..registries import ATTENTIONS

COMBINATIONS = ("serial", "parallel", "serial_channel")
FREQ_SELECTIONS = ("all", "topk", "lowfreq", "single")
COMPRESS_KERNEL = 7  # the compression conv is 7x7 whatever the DCT size (reference code)
# The reference code's per-frequency accuracy table of its 7x7 bank (`DCT7x7.important`, data/dct_filter.py),
# in filter order v * 7 + u; `topk` keeps the K largest entries. No other kernel size has a table.
TOPK_KERNEL = 7
TOPK_TABLE = (
    70.25,
    70.05,
    70.25,
    70.68,
    70.24,
    70.06,
    70.03,
    70.43,
    70.18,
    69.43,
    70.18,
    69.91,
    70.27,
    70.35,
    70.03,
    69.97,
    70.07,
    70.43,
    70.26,
    70.30,
    70.31,
    70.42,
    70.03,
    70.46,
    70.39,
    70.19,
    70.23,
    70.24,
    69.92,
    70.17,
    70.02,
    69.90,
    69.90,
    70.50,
    70.62,
    70.27,
    70.21,
    70.30,
    70.22,
    70.65,
    70.62,
    70.37,
    69.83,
    70.10,
    70.30,
    70.07,
    70.32,
    70.23,
    70.02,
)

_FSTA = {"attention": ("fsta",)}
_RANKED = {"attention": ("fsta",), "fsta.freq_select": ("topk", "lowfreq")}
FSTA_KNOBS = (
    Knob(
        "fsta.dct_kernel",
        int,
        7,
        "size k of the fixed k x k DCT-II filter bank (k^2 frequencies, padding (k-1)/2; "
        "paper Table 6 compares 3, 5, 7)",
        low=1,
        high=15,
        rule=lambda k: k % 2 == 1,
        rule_text="odd",
        when=_FSTA,
        owner="fsta",
    ),
    Knob(
        "fsta.combination",
        str,
        "serial",
        "how the temporal (TA) and DCT spatial (SA) branches combine: serial = "
        "SA on the TA output (paper mode a), parallel = SA on the raw input (b), serial_channel = serial plus a "
        "C x C channel gate between TA and SA (c)",
        choices=COMBINATIONS,
        when=_FSTA,
        owner="fsta",
    ),
    Knob(
        "fsta.compress_reduction",
        int,
        1,
        "bottleneck r of the 7x7 compression of the frequency maps: 1 = one "
        "conv F -> 1; r > 1 = conv F -> F // r, ReLU, conv -> 1 (F frequencies kept; the reference ResNet19 uses 16 "
        "in its blocks, see fsta.compress_reduction_stem)",
        low=1,
        high=64,
        when=_FSTA,
        owner="fsta",
    ),
    Knob(
        "fsta.compress_reduction_stem",
        int,
        0,
        "compression bottleneck r of the FSTA modules in the backbone's "
        "stem; 0 = the same as fsta.compress_reduction (the reference ResNet19: 1 in the stem, 16 in the blocks)",
        low=0,
        high=64,
        when=_FSTA,
        owner="fsta",
    ),
    Knob(
        "fsta.freq_select",
        str,
        "all",
        "which DCT frequencies feed the spatial attention: all k^2 (paper); topk = "
        "the fsta.freq_k best of the reference code's per-frequency accuracy table (7 x 7 bank only); lowfreq = "
        "the fsta.freq_k lowest by u + v; single = the one filter fsta.freq_index (code-only options)",
        choices=FREQ_SELECTIONS,
        when=_FSTA,
        owner="fsta",
    ),
    Knob(
        "fsta.freq_k",
        int,
        16,
        "number of frequencies kept with fsta.freq_select = topk or lowfreq (at most k^2)",
        low=1,
        high=225,
        when=_RANKED,
        owner="fsta",
    ),
    Knob(
        "fsta.freq_index",
        int,
        0,
        "filter index v * k + u (v horizontal, u vertical frequency) kept with fsta.freq_select = single (below k^2)",
        low=0,
        high=224,
        when={"attention": ("fsta",), "fsta.freq_select": ("single",)},
        owner="fsta",
    ),
)


def fsta_problems(config: Mapping[str, Any]) -> Problems:
    """Cross-knob checks of `attention: fsta`: frequency choices within the bank, a compression that keeps a
    channel for the frequencies kept."""
    kernel, mode, total = config["fsta.dct_kernel"], config["fsta.freq_select"], config["fsta.dct_kernel"] ** 2
    problems: Problems = []
    if mode == "topk" and kernel != TOPK_KERNEL:
        problems.append(
            (
                "fsta.freq_select",
                f"'topk' ranks frequencies by the reference code's 7 x 7 accuracy "
                f"table, but fsta.dct_kernel is {kernel} (allowed: topk with "
                f"fsta.dct_kernel {TOPK_KERNEL}; lowfreq, all or single with any kernel)",
            )
        )
    elif mode in ("topk", "lowfreq") and config["fsta.freq_k"] > total:
        problems.append(
            (
                "fsta.freq_k",
                f"{config['fsta.freq_k']} is out of range (allowed: 1..{total} for fsta.dct_kernel {kernel})",
            )
        )
    elif mode == "single" and config["fsta.freq_index"] >= total:
        problems.append(
            (
                "fsta.freq_index",
                f"{config['fsta.freq_index']} is out of range (allowed: 0..{total - 1} for fsta.dct_kernel {kernel})",
            )
        )
    if problems:
        return problems
    kept = {"all": total, "single": 1}.get(mode, config["fsta.freq_k"])
    for name in ("fsta.compress_reduction", "fsta.compress_reduction_stem"):
        if config[name] > kept:
            problems.append(
                (
                    name,
                    f"{config[name]} leaves no channel for the {kept} frequencies kept "
                    f"(allowed: 1..{kept}{', or 0' if name.endswith('_stem') else ''})",
                )
            )
    return problems


ATTENTIONS.add(
    "fsta",
    Lazy("spikesweep.workers.attention.fsta:FSTA_ATTENTION"),
    knobs=FSTA_KNOBS,
    leave_one_out={"fsta": {"attention": "none"}},
    checks=(fsta_problems,),
)
