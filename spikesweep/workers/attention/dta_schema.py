"""`attention: dta`, torch-free half: its knobs and registration (the modules are in `dta.py`)."""

from __future__ import annotations

from ..knobs import Knob
from ..plugin_registry import Lazy
from ..registries import ATTENTIONS

BRANCHES = ("txa", "tna", "both")
TNA_KERNELS = (7, 21)
TLA_KERNEL, CLA_KERNEL = 3, 6
DILATION = 3
GTCA_REDUCTION, GTCA_MIN_REDUCTION = 16, 4

_DTA = {"attention": ("dta",)}
DTA_KNOBS = (
    Knob(
        "dta.branches",
        str,
        "both",
        "which attention branches gate the stem spikes: txa = identical cross "
        "attention (TLA x CLA), tna = non-identical attention (LTCA x GTCA), both = sigmoid of their product "
        "(paper); one branch gives sigmoid(branch) (.) spikes",
        choices=BRANCHES,
        when=_DTA,
        owner="dta",
    ),
    Knob(
        "dta.tna_kernel",
        int,
        7,
        "large-kernel size of T-NA's LTCA: 7 = the code's degenerate 1x1 dilated "
        "depth-wise conv after the 5x5 one; 21 = 5x5 DW + 7x7 DW with dilation 3 (large-kernel attention)",
        choices=TNA_KERNELS,
        when=_DTA,
        owner="dta",
    ),
)


ATTENTIONS.add(
    "dta",
    Lazy("spikesweep.workers.attention.dta:DTA_ATTENTION"),
    knobs=DTA_KNOBS,
    leave_one_out={"dta.txa": {"dta.branches": "tna"}, "dta.tna": {"dta.branches": "txa"}},
)
