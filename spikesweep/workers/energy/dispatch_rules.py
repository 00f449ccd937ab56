"""`full` accounting: op counts of aten calls seen at the dispatcher, where no functional call can hide.

Synaptic ops (convolutions, matrix products, normalisation, pooling) give a dense FLOP count and the operands whose
spike mark makes them ACs; every other arithmetic op is element-wise: point-wise ops count their output elements,
reductions (mean, sum, max, softmax, ...) their input elements. Data movement (views, copies, casts,
concatenation, factories) counts nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

aten = torch.ops.aten

SYNAPTIC = ("conv", "matmul", "norm", "pool")
ELEMENTWISE = "elementwise"


@dataclass(frozen=True)
class OpCount:
    """One aten call: its category, dense FLOPs (or elements for `elementwise`) and the operands that may be spikes."""

    category: str
    flops: int
    operands: tuple = ()


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(t.shape) if isinstance(t, torch.Tensor) else ()


def _convolution(args: tuple, kwargs: dict, out: Any) -> OpCount:
    x, weight, bias = args[0], args[1], args[2] if len(args) > 2 else None
    transposed = bool(args[6]) if len(args) > 6 else False
    groups = args[8] if len(args) > 8 else 1
    kernel = math.prod(weight.shape[2:])
    # weight is [C_out, C_in/g, k...] (or [C_in, C_out/g, k...] when transposed): MACs per output element
    per_output = (weight.shape[0] // groups if transposed else weight.shape[1]) * kernel
    flops = out.numel() * per_output + (out.numel() if bias is not None else 0)
    return OpCount("conv", flops, (x,))


def _mm(args: tuple, kwargs: dict, out: Any) -> OpCount:
    a, b = args[0], args[1]
    return OpCount("matmul", math.prod(_shape(a)) * _shape(b)[-1], (a, b))


def _addmm(args: tuple, kwargs: dict, out: Any) -> OpCount:
    a, b = args[1], args[2]  # args[0] is the bias, added once per output element
    return OpCount("matmul", math.prod(_shape(a)) * _shape(b)[-1] + out.numel(), (a, b))


def _bmm(args: tuple, kwargs: dict, out: Any) -> OpCount:
    a, b = args[0], args[1]
    return OpCount("matmul", math.prod(_shape(a)) * _shape(b)[-1], (a, b))


def _baddbmm(args: tuple, kwargs: dict, out: Any) -> OpCount:
    a, b = args[1], args[2]
    return OpCount("matmul", math.prod(_shape(a)) * _shape(b)[-1] + out.numel(), (a, b))


def _dot(args: tuple, kwargs: dict, out: Any) -> OpCount:
    return OpCount("matmul", args[0].numel(), (args[0], args[1]))


def _mv(args: tuple, kwargs: dict, out: Any) -> OpCount:
    return OpCount("matmul", args[0].numel(), (args[0], args[1]))


def _addmv(args: tuple, kwargs: dict, out: Any) -> OpCount:
    return OpCount("matmul", args[1].numel() + out.numel(), (args[1], args[2]))


def _attention(args: tuple, kwargs: dict, out: Any) -> OpCount:
    q, k, v = args[0], args[1], args[2]
    batch, queries, keys = math.prod(q.shape[:-2]), q.shape[-2], k.shape[-2]
    return OpCount("matmul", batch * queries * keys * (q.shape[-1] + v.shape[-1]), (q, k))


def _norm(args: tuple, kwargs: dict, out: Any) -> OpCount:
    x, weight = args[0], args[1] if len(args) > 1 else None
    return OpCount("norm", x.numel() * (2 if weight is not None else 1), (x,))


def _layer_norm(args: tuple, kwargs: dict, out: Any) -> OpCount:
    x, weight = args[0], args[2] if len(args) > 2 else None
    return OpCount("norm", x.numel() * (2 if weight is not None else 1), (x,))


def _pool(args: tuple, kwargs: dict, out: Any) -> OpCount:
    return OpCount("pool", args[0].numel(), (args[0],))


Rule = Callable[[tuple, dict, Any], OpCount]


def _table(groups: dict[Rule, tuple[str, ...]]) -> dict[Any, Rule]:
    # Op names differ a little between torch versions: keep the ones this build has.
    return {getattr(aten, name): rule for rule, names in groups.items() for name in names if hasattr(aten, name)}


SYNAPTIC_RULES: dict[Any, Rule] = _table(
    {
        _convolution: ("convolution", "_convolution", "convolution_overrideable"),
        _mm: ("mm",),
        _dot: ("dot", "vdot"),
        _addmm: ("addmm",),
        _bmm: ("bmm",),
        _baddbmm: ("baddbmm", "addbmm"),
        _mv: ("mv",),
        _addmv: ("addmv",),
        _attention: (
            "_scaled_dot_product_flash_attention_for_cpu",
            "_scaled_dot_product_flash_attention",
            "_scaled_dot_product_efficient_attention",
            "_scaled_dot_product_cudnn_attention",
            "_scaled_dot_product_attention_math",
        ),
        _norm: (
            "native_batch_norm",
            "_native_batch_norm_legit",
            "_native_batch_norm_legit_no_training",
            "_batch_norm_with_update",
            "_batch_norm_no_update",
            "cudnn_batch_norm",
            "miopen_batch_norm",
            "native_group_norm",
        ),
        _layer_norm: ("native_layer_norm",),
        _pool: (
            "avg_pool1d",
            "avg_pool2d",
            "avg_pool3d",
            "max_pool1d",
            "max_pool2d",
            "max_pool3d",
            "max_pool2d_with_indices",
            "max_pool3d_with_indices",
            "_adaptive_avg_pool2d",
            "_adaptive_avg_pool3d",
            "adaptive_avg_pool1d",
            "adaptive_max_pool1d",
            "adaptive_max_pool2d",
            "adaptive_max_pool3d",
        ),
    }
)

_SOFTMAX = frozenset(
    getattr(aten, name)
    for name in ("_softmax", "_log_softmax", "logsumexp", "cumsum", "cumprod")
    if hasattr(aten, name)
)
_COPIES = frozenset(
    getattr(aten, name) for name in ("clone", "copy", "copy_", "_to_copy", "lift_fresh_copy") if hasattr(aten, name)
)


def count_op(func: Any, args: tuple, kwargs: dict, out: Any) -> OpCount | None:
    """The count of one aten call, or None when it moves data only."""
    packet = func.overloadpacket
    rule = SYNAPTIC_RULES.get(packet)
    if rule is not None:
        return rule(args, kwargs, out)
    if packet in _COPIES:
        return None
    tags = func.tags
    if torch.Tag.reduction in tags or packet in _SOFTMAX:
        source = args[0] if args and isinstance(args[0], torch.Tensor) else None
        return OpCount(ELEMENTWISE, source.numel()) if source is not None else None
    if torch.Tag.pointwise in tags:
        first = out[0] if isinstance(out, (tuple, list)) else out
        return OpCount(ELEMENTWISE, first.numel()) if isinstance(first, torch.Tensor) else None
    return None
