"""Spike provenance: which tensors are binary spikes, decided by where they come from, never by their values.

A spiking neuron's output is marked; the mark follows the tensor through operations that only move, copy, select
or take the maximum of values (views, reshapes, permutes, flatten, zero/one padding, max pooling, concatenation of
marked tensors, dtype casts). Any other operation (average pooling, arithmetic, normalisation) drops it, so an
average of spikes is not spikes. Counting rules ask `is_spikes(tensor)` to choose AC or MAC, which makes MAC
counts independent of weights and data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

_MARK = "_spikesweep_spikes"

aten = torch.ops.aten


def mark_spikes(tensor: torch.Tensor) -> torch.Tensor:
    """Mark `tensor` as binary spikes (in place on the Python object) and return it."""
    setattr(tensor, _MARK, True)
    return tensor


def unmark(tensor: torch.Tensor) -> None:
    if getattr(tensor, _MARK, False):
        delattr(tensor, _MARK)


def is_spikes(value: Any) -> bool:
    """True when `value` is a tensor that carries the spike mark."""
    return isinstance(value, torch.Tensor) and getattr(value, _MARK, False)


def _packets(names: Iterable[str]) -> frozenset:
    # Op names differ a little between torch versions: keep the ones this build has.
    return frozenset(getattr(aten, name) for name in names if hasattr(aten, name))


# Output is binary when the first tensor argument is: the values are a subset (or a cast) of the input's.
_FROM_FIRST = _packets(
    (
        "view",
        "_unsafe_view",
        "reshape",
        "alias",
        "detach",
        "lift_fresh",
        "permute",
        "transpose",
        "t",
        "expand",
        "unsqueeze",
        "squeeze",
        "select",
        "slice",
        "narrow",
        "split",
        "split_with_sizes",
        "unbind",
        "chunk",
        "as_strided",
        "unfold",
        "flip",
        "roll",
        "repeat",
        "clone",
        "contiguous",
        "_to_copy",
        "to",
        "index_select",
        "index",
        "gather",
        "take",
        "movedim",
        "pixel_shuffle",
        "pixel_unshuffle",
        "channel_shuffle",
        "max_pool1d",
        "max_pool2d",
        "max_pool3d",
        "max_pool2d_with_indices",
        "max_pool3d_with_indices",
        "adaptive_max_pool1d",
        "adaptive_max_pool2d",
        "adaptive_max_pool3d",
        "amax",
        "amin",
        "relu",
        "upsample_nearest1d",
        "upsample_nearest2d",
        "upsample_nearest3d",
        "_upsample_nearest_exact2d",
        "_unsafe_index",
    )
)
# Output is binary when every tensor argument is.
_ALL_TENSORS = _packets(("max", "min", "maximum", "minimum"))
_CONCAT = _packets(("cat", "stack", "hstack", "vstack"))
_PAD = _packets(("constant_pad_nd",))


def _first_tensor(args: tuple) -> torch.Tensor | None:
    for arg in args:
        if isinstance(arg, torch.Tensor):
            return arg
    return None


def _outputs(out: Any) -> Iterable[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        yield out
    elif isinstance(out, (tuple, list)):
        for item in out:
            if isinstance(item, torch.Tensor) and item.dtype != torch.long:  # skip max-pool / max indices
                yield item


def _source_is_spikes(packet: Any, args: tuple, kwargs: dict) -> bool:
    if packet in _FROM_FIRST:
        return is_spikes(_first_tensor(args))
    if packet in _ALL_TENSORS:
        tensors = [arg for arg in args if isinstance(arg, torch.Tensor)]
        return bool(tensors) and all(is_spikes(t) for t in tensors)
    if packet in _CONCAT:
        tensors = args[0] if args else kwargs.get("tensors", ())
        return bool(tensors) and all(is_spikes(t) for t in tensors)
    if packet in _PAD:
        value = args[2] if len(args) > 2 else kwargs.get("value", 0.0)
        return is_spikes(args[0]) and value in (0, 1)
    return False


def _written_arguments(func: Any, args: tuple) -> list[torch.Tensor]:
    written = []
    for schema_arg, value in zip(func._schema.arguments, args):
        if schema_arg.alias_info is not None and schema_arg.alias_info.is_write and isinstance(value, torch.Tensor):
            written.append(value)
    return written


def propagate(func: Any, args: tuple, kwargs: dict, out: Any) -> None:
    """Carry the spike mark from the inputs of one aten call to its outputs; drop it from overwritten tensors."""
    packet = func.overloadpacket
    if func._schema.is_mutable:
        binary_copy = packet is aten.copy_ and len(args) > 1 and is_spikes(args[1])
        for tensor in _written_arguments(func, args):
            if binary_copy:
                mark_spikes(tensor)
            else:
                unmark(tensor)
        return
    if _source_is_spikes(packet, args, kwargs):
        for tensor in _outputs(out):
            mark_spikes(tensor)
