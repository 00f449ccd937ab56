"""Parameter counts by module kind and the layer structure of a built network (for `spikesweep inspect`).

Kinds: `conv`, `bn` (batch norm), `linear`, `neuron` (parameters of spiking neurons, e.g. learnable leaks),
`attention:<name>` (everything defined in `workers/attention/<name>.py`, such as FSTA's W_t and compression conv,
whatever its layer type) and `other`. A parameter belongs to the nearest enclosing module that is a spiking neuron
or an attention module, else to its own layer's type. Neurons and attention modules are listed as single layers;
an attention module inside a neuron gets a row of its own.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .layers import SeqFold
from .neurons.base import SpikingNeuron

ATTENTION_PACKAGE = __package__ + ".attention."
LAYER_KINDS: tuple[tuple[type, str], ...] = (
    (nn.modules.conv._ConvNd, "conv"),
    (nn.modules.batchnorm._NormBase, "bn"),
    (nn.Linear, "linear"),
)


def attention_name(module: nn.Module) -> str | None:
    """`fsta` for a module class defined in `workers/attention/fsta.py`, else None."""
    where = type(module).__module__
    return where[len(ATTENTION_PACKAGE) :] if where.startswith(ATTENTION_PACKAGE) else None


def _is_wrapper(module: nn.Module) -> bool:
    """An attention-defined container around a neuron (e.g. FSTA-then-LIF): its parts are listed separately."""
    return any(isinstance(m, SpikingNeuron) for m in module.modules())


def _unit_kind(module: nn.Module) -> str | None:
    if isinstance(module, SpikingNeuron):
        return "neuron"
    name = attention_name(module)
    if name is not None and not _is_wrapper(module):
        return f"attention:{name}"
    return None


def _layer_kind(module: nn.Module) -> str:
    for layer_type, kind in LAYER_KINDS:
        if isinstance(module, layer_type):
            return kind
    return "other"


def _own_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters(recurse=False))


def _layers(model: nn.Module) -> list[dict[str, Any]]:
    """Neurons and attention modules as single entries, other leaves one by one, containers skipped."""
    rows: list[dict[str, Any]] = []

    def visit(name: str, module: nn.Module, folded: bool) -> None:
        kind = _unit_kind(module)
        children = list(module.named_children())
        if kind is None and children:
            own = _own_params(module)
            if own:  # a container with parameters of its own
                rows.append(_row(name, module, _attention_or_other(module), own, folded))
            for child_name, child in children:
                visit(f"{name}.{child_name}" if name else child_name, child, folded or isinstance(module, SeqFold))
            return
        params = sum(p.numel() for p in module.parameters())
        if kind == "neuron":  # attention modules living inside a neuron (STAA-style) keep their own kind
            for inner_name, inner in _attention_parts(module):
                inner_params = sum(p.numel() for p in inner.parameters())
                rows.append(_row(f"{name}.{inner_name}", inner, _attention_or_other(inner), inner_params, None))
                params -= inner_params
        rows.append(_row(name, module, kind or _layer_kind(module), params, folded))

    visit("", model, False)
    return rows


def _attention_parts(neuron: nn.Module) -> list[tuple[str, nn.Module]]:
    """The outermost attention-defined submodules of a neuron."""
    found: list[tuple[str, nn.Module]] = []

    def visit(prefix: str, module: nn.Module) -> None:
        for child_name, child in module.named_children():
            path = f"{prefix}.{child_name}" if prefix else child_name
            if attention_name(child) is not None:
                found.append((path, child))
            else:
                visit(path, child)

    visit("", neuron)
    return found


def _attention_or_other(module: nn.Module) -> str:
    name = attention_name(module)
    return f"attention:{name}" if name else _layer_kind(module)


def _row(name: str, module: nn.Module, kind: str, params: int, folded: bool | None) -> dict[str, Any]:
    return {
        "name": name,
        "type": type(module).__name__,
        "kind": kind,
        "params": params,
        "detail": module.extra_repr(),
        "folded": folded,
    }


@torch.no_grad()
def _output_shapes(model: nn.Module, rows: list[dict[str, Any]], inputs: torch.Tensor) -> None:
    """Adds each listed layer's output shape per sample (time and batch dimensions removed) from one forward."""
    modules = dict(model.named_modules())
    shapes: dict[str, tuple[int, ...]] = {}
    handles = []
    for row in rows:
        if row["folded"] is None:  # inside a neuron: its layout per call is the neuron's business
            continue

        def hook(
            module: nn.Module,
            args: tuple,
            output: Any,
            name: str = row["name"],
            leading: int = 1 if row["folded"] else 2,
        ) -> None:
            if isinstance(output, torch.Tensor) and name not in shapes:
                shapes[name] = tuple(output.shape[leading:])

        handles.append(modules[row["name"]].register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        model(inputs)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    for row in rows:
        row["out_shape"] = list(shapes[row["name"]]) if row["name"] in shapes else None


def summarize(model: nn.Module, input_shape: tuple[int, ...] | None = None) -> dict[str, Any]:
    """`{"params": {"total", "by_kind"}, "layers": [...]}`; with `input_shape` (C, H, W) each layer also gets its
    per-sample `out_shape` from one eval-mode forward of a zero image."""
    rows = _layers(model)
    if input_shape is not None:
        _output_shapes(model, rows, torch.zeros(1, *input_shape))
    by_kind: dict[str, int] = {}
    for row in rows:
        del row["folded"]
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["params"]
    total = sum(p.numel() for p in model.parameters())
    return {
        "params": {"total": total, "by_kind": {k: by_kind[k] for k in sorted(by_kind) if by_kind[k]}},
        "layers": rows,
    }


def count_by_kind(model: nn.Module) -> dict[str, int]:
    """Parameter count per kind (see the module docstring); the values sum to the total."""
    return summarize(model)["params"]["by_kind"]
