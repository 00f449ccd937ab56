"""What `spikesweep inspect` shows about energy: per-image op counts of both accountings and energy per preset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from ..registries import ENERGY_PRESETS
from .counter import count_model, report_from_counts

INSPECT_SAMPLES = 4


def inspect_energy(
    model: nn.Module,
    input_shape: tuple[int, ...],
    config: Mapping[str, Any],
    firing_rate: float | None = None,
    inputs: torch.Tensor | None = None,
    samples: int = INSPECT_SAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """Per-image FLOPs/MACs/ACs of both accountings and energy (mJ) per preset, for the configured accounting.

    `input_shape` is one sample as the model takes it (`(C, H, W)`, or `(T, C, H, W)` for event frames).
    Counts run on `inputs` when given, else on `samples` seeded standard-normal samples; ACs use the measured
    input firing rates, or `firing_rate` (in [0, 1]) for every spike-driven op when given. MACs and FLOPs do not
    depend on the input.
    Returns `{"ops": {"paper": {flops, macs, acs}, "full": {flops, macs, acs, elementwise}},
    "energy_mj": {preset: mJ}, "accounting", "firing_rate", "firing_rate_weighted" (measured), "ac_rate"}`.
    """
    if firing_rate is not None and not 0.0 <= firing_rate <= 1.0:
        raise ValueError(f"firing rate: {firing_rate} is out of range (allowed: a float in [0, 1])")
    if inputs is None:
        generator = torch.Generator().manual_seed(seed)
        inputs = torch.randn(samples, *input_shape, generator=generator)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    counts = count_model(model, inputs.to(device), firing_rate)
    accounting = config.get("energy.accounting", "paper")
    report = report_from_counts(counts, config.get("energy.preset", "horowitz45_fp32"), accounting)
    chosen = report.totals
    return {
        "ops": {"paper": dict(report.paper), "full": dict(report.full)},
        "energy_mj": {name: preset.energy_mj(chosen["acs"], chosen["macs"]) for name, preset in ENERGY_PRESETS.items()},
        "accounting": accounting,
        "firing_rate": report.firing_rate,  # measured on the inputs, whatever `firing_rate` says
        "firing_rate_weighted": report.firing_rate_weighted,
        "ac_rate": firing_rate,  # the rate the ACs assume; None = measured per layer
    }
