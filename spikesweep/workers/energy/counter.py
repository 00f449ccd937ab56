"""First-estimate op counter: conv/linear FLOPs, split into ACs (spike inputs) and MACs (real inputs)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import torch
from torch import nn

from ..neurons.base import SpikingNeuron
from ..registries import ENERGY_PRESETS


@dataclass
class EnergyReport:
    """Per-image totals (summed over T) and the network firing rate."""

    acs: float
    macs: float
    flops: float
    firing_rate: float
    energy_mj: float
    per_layer: list[dict[str, Any]] = field(default_factory=list)

    def metrics(self) -> dict[str, float]:
        return {"energy_mj": self.energy_mj, "firing_rate": self.firing_rate, "ops_acs": self.acs,
                "ops_macs": self.macs, "ops_flops": self.flops}


def _dense_flops(module: nn.Module, inputs: torch.Tensor, output: torch.Tensor) -> float:
    if isinstance(module, nn.Conv2d):
        per_position = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
        return float(per_position * output.numel())
    return float(module.in_features * output.numel())


@torch.no_grad()
def measure_energy(model: nn.Module, inputs: torch.Tensor, config: Mapping[str, Any]) -> EnergyReport:
    """Count ops of one eval-mode forward over `inputs`; spike inputs are those with values in {0, 1}."""
    rows: list[dict[str, Any]] = []

    def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
        x = args[0]
        flops = _dense_flops(module, x, output)
        is_spike = bool(((x == 0) | (x == 1)).all())
        rate = float(x.float().mean()) if is_spike else 1.0
        rows.append({"layer": names[module], "flops": flops, "spike_input": is_spike,
                     "acs": flops * rate if is_spike else 0.0, "macs": 0.0 if is_spike else flops})

    names = {m: n for n, m in model.named_modules()}
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was_training = model.training
    model.eval()
    try:
        model(inputs)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    spikes = neurons = 0.0
    for module in model.modules():
        if isinstance(module, SpikingNeuron) and hasattr(module, "last_spike_count"):
            spikes += float(module.last_spike_count)
            neurons += module.last_neuron_count * module.last_steps
    images = inputs.shape[0]
    acs = sum(r["acs"] for r in rows) / images
    macs = sum(r["macs"] for r in rows) / images
    flops = sum(r["flops"] for r in rows) / images
    preset = ENERGY_PRESETS.get(config["energy.preset"])
    return EnergyReport(acs, macs, flops, spikes / max(neurons, 1.0), preset.energy_mj(acs, macs), rows)
