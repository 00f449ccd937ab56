"""The counting session: module hooks (paper) and a dispatcher mode (full, provenance) around forward passes.

While a `CountingSession` is active:
- every spiking neuron's output is marked as spikes and its spikes are counted (firing rates);
- the spike mark follows tensors through value-preserving aten ops (`provenance`);
- each `nn` module with a syops rule counts its call (`paper_rules`) into a row that both accountings include;
- every aten call outside those modules is counted at the dispatcher (`dispatch_rules`) into a row only the
  `full` accounting includes, attributed to the innermost module that ran it.
ACs are FLOPs x the firing rate of the spike operand (measured, or a fixed rate for what-if inspection).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from ..neurons.base import SpikingNeuron
from . import provenance
from .dispatch_rules import ELEMENTWISE, count_op
from .paper_rules import paper_rule

ROOT = "model"  # the layer name of ops run by the top-level module itself


@dataclass
class OpRow:
    """Ops of one (layer, op) pair, totals over all counted images until `per_image` divides them."""

    layer: str
    op: str
    in_paper: bool
    flops: float = 0.0
    acs: Any = 0.0  # a float64 tensor while counting (no host sync per call), a float afterwards
    macs: float = 0.0
    elementwise: float = 0.0
    spike_input: bool = False

    def as_dict(self) -> dict[str, Any]:
        rate = self.acs / self.flops if self.spike_input and self.flops else None
        return {
            "kind": "ops",
            "layer": self.layer,
            "op": self.op,
            "in_paper": self.in_paper,
            "flops": self.flops,
            "acs": self.acs,
            "macs": self.macs,
            "elementwise": self.elementwise,
            "spike_input": self.spike_input,
            "input_rate": rate,
        }


@dataclass
class NeuronRow:
    """Spikes of one spiking-neuron layer: rate = spikes / (images x T x neurons)."""

    layer: str
    spikes: Any = 0.0
    elements: int = 0  # images x T x neurons
    neurons: int = 0  # per image and time step
    steps: int = 0

    @property
    def firing_rate(self) -> float:
        return float(self.spikes) / self.elements if self.elements else 0.0

    def as_dict(self, images: int) -> dict[str, Any]:
        return {
            "kind": "neuron",
            "layer": self.layer,
            "firing_rate": self.firing_rate,
            "neurons": self.neurons,
            "steps": self.steps,
            "spikes_per_image": float(self.spikes) / max(images, 1),
        }


@dataclass
class Counts:
    """What a session measured, per image (summed over T)."""

    images: int
    ops: list[OpRow] = field(default_factory=list)
    neurons: list[NeuronRow] = field(default_factory=list)


class _DispatchCounter(TorchDispatchMode):
    def __init__(self, session: CountingSession) -> None:
        super().__init__()
        self.session = session

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        session = self.session
        if not session.suspended:
            provenance.propagate(func, args, kwargs, out)
            if session.paper_depth == 0:
                session.count_dispatched(func, args, kwargs, out)
        return out


class CountingSession:
    """Counts ops and spikes of the forward passes run through `run` while the session is entered.

    `firing_rate`: when given, every spike-driven op counts ACs at this rate instead of the measured one.
    """

    def __init__(self, model: nn.Module, firing_rate: float | None = None) -> None:
        self.model = model
        self.firing_rate = firing_rate
        self.suspended = False
        self.paper_depth = 0
        self.images = 0
        self._batch = 1
        self._stack: list[str] = []
        self._rows: dict[tuple[str, str, bool], OpRow] = {}
        self._neurons: dict[str, NeuronRow] = {}
        self._handles: list[Any] = []
        self._mode: _DispatchCounter | None = None

    def __enter__(self) -> CountingSession:
        for name, module in self.model.named_modules():
            name = name or ROOT
            self._handles.append(module.register_forward_pre_hook(self._enter_hook(name, module)))
            self._handles.append(module.register_forward_hook(self._exit_hook(name, module), always_call=True))
        self._mode = _DispatchCounter(self)
        self._mode.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._mode is not None:
            self._mode.__exit__(*exc)
            self._mode = None
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    @torch.no_grad()
    def run(self, inputs: torch.Tensor) -> torch.Tensor:
        """One counted forward pass over a batch whose first dimension is the images."""
        self._batch = inputs.shape[0]
        self.images += inputs.shape[0]
        return self.model(inputs)

    # ---- hooks
    def _enter_hook(self, name: str, module: nn.Module):
        counted = paper_rule(module) is not None

        def hook(mod: nn.Module, args: tuple) -> None:
            self._stack.append(name)
            if counted:
                self.paper_depth += 1

        return hook

    def _exit_hook(self, name: str, module: nn.Module):
        rule = paper_rule(module)
        is_neuron = isinstance(module, SpikingNeuron)
        op = type(module).__name__

        def hook(mod: nn.Module, args: tuple, output: Any) -> None:
            if self._stack:
                self._stack.pop()
            self.suspended = True
            try:
                if rule is not None:
                    self.paper_depth -= 1
                    if self.paper_depth == 0 and args and isinstance(output, torch.Tensor):
                        x = args[0]
                        operand = x if rule.spike_test_on == "input" else output
                        self._add(name, op, True, rule.flops(mod, x, output), (operand,))
                if is_neuron and isinstance(output, torch.Tensor):
                    provenance.mark_spikes(output)
                    self._count_spikes(name, output)
            finally:
                self.suspended = False

        return hook

    # ---- accumulation
    def count_dispatched(self, func: Any, args: tuple, kwargs: dict, out: Any) -> None:
        count = count_op(func, args, kwargs, out)
        if count is None:
            return
        self.suspended = True
        try:
            layer = self._stack[-1] if self._stack else ROOT
            if count.category == ELEMENTWISE:
                row = self._row(layer, ELEMENTWISE, False)
                row.elementwise += count.flops
            else:
                self._add(layer, count.category, False, count.flops, count.operands)
        finally:
            self.suspended = False

    def _row(self, layer: str, op: str, in_paper: bool) -> OpRow:
        key = (layer, op, in_paper)
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = OpRow(layer, op, in_paper)
        return row

    def _add(self, layer: str, op: str, in_paper: bool, flops: int, operands: tuple) -> None:
        row = self._row(layer, op, in_paper)
        row.flops += flops
        spikes = next((t for t in operands if provenance.is_spikes(t)), None)
        if spikes is None:
            row.macs += flops
            return
        row.spike_input = True
        if self.firing_rate is not None:
            row.acs = row.acs + flops * self.firing_rate
        else:
            rate = spikes.sum(dtype=torch.float64) / max(spikes.numel(), 1)
            row.acs = row.acs + flops * rate

    def _count_spikes(self, name: str, spikes: torch.Tensor) -> None:
        row = self._neurons.get(name)
        if row is None:
            row = self._neurons[name] = NeuronRow(name)
        row.spikes = row.spikes + spikes.sum(dtype=torch.float64)
        row.elements += spikes.numel()
        row.steps = spikes.shape[0] if spikes.dim() else 1
        row.neurons = spikes[0].numel() // self._batch if spikes.dim() > 1 else spikes.numel()

    def counts(self) -> Counts:
        """Per-image counts of everything run so far (one host sync per row)."""
        images = max(self.images, 1)
        ops = []
        for row in self._rows.values():
            ops.append(
                OpRow(
                    row.layer,
                    row.op,
                    row.in_paper,
                    row.flops / images,
                    float(row.acs) / images,
                    row.macs / images,
                    row.elementwise / images,
                    row.spike_input,
                )
            )
        neurons = [NeuronRow(r.layer, float(r.spikes), r.elements, r.neurons, r.steps) for r in self._neurons.values()]
        return Counts(self.images, ops, neurons)
