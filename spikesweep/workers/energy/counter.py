"""`measure_energy`: firing rates, op counts under both accountings and energy of eval-mode forward passes.

Counts are per image, summed over the T time steps. `paper` = syops-counter semantics (the FSTA/STAA tables),
`full` = `paper` plus every conv / matrix product / norm / pool that runs outside counted `nn` modules (functional
DCT banks and attention ops), with element-wise arithmetic (neuron updates, gates) in its own column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .accounting import check_accounting, op_totals, preset_named
from .engine import CountingSession, Counts

MEASURE_BATCH = 256  # images per counted forward pass


@dataclass
class EnergyReport:
    """Per-image totals of both accountings, firing rates, the energy of the chosen accounting, per-layer rows."""

    paper: dict[str, float]  # flops, acs, macs
    full: dict[str, float]  # flops, acs, macs, elementwise
    firing_rate: float  # mean over spiking layers of the per-layer rate
    firing_rate_weighted: float  # all spikes / all neuron-steps (weighted by neurons)
    energy_mj: float
    accounting: str = "paper"
    preset: str = "horowitz45_fp32"
    per_layer: list[dict[str, Any]] = field(default_factory=list)  # op rows, one per (layer, op)
    firing_rates: list[dict[str, Any]] = field(default_factory=list)  # one row per spiking layer
    images: int = 0

    @property
    def acs(self) -> float:
        return self.totals["acs"]

    @property
    def macs(self) -> float:
        return self.totals["macs"]

    @property
    def flops(self) -> float:
        return self.totals["flops"]

    @property
    def totals(self) -> dict[str, float]:
        """Totals of the accounting `energy_mj` was computed from."""
        return self.paper if self.accounting == "paper" else self.full

    def metrics(self) -> dict[str, float]:
        """Flat scalar metrics: energy (chosen accounting, and each accounting under the same preset), firing
        rates and the raw counts of both accountings (for re-scoring)."""
        metrics = {
            "energy_mj": self.energy_mj,
            "firing_rate": self.firing_rate,
            "firing_rate_weighted": self.firing_rate_weighted,
        }
        preset = preset_named(self.preset)
        for accounting, totals in (("paper", self.paper), ("full", self.full)):
            metrics[f"energy_{accounting}_mj"] = preset.energy_mj(totals["acs"], totals["macs"])
            metrics.update({f"ops_{accounting}_{name}": value for name, value in totals.items()})
        return metrics

    def layer_table(self) -> list[dict[str, Any]]:
        """The JSON-serialisable per-layer table (trial metric `energy_layers`), per image, summed over T.

        `kind: "ops"` rows: layer, op (module class, or conv/matmul/norm/pool/elementwise at the dispatcher),
        flops, acs, macs, elementwise, spike_input, input_rate, in_paper. Rows with `in_paper` make up the paper
        accounting; all rows make up the full one (`rescore.op_totals`). `kind: "neuron"` rows: layer,
        firing_rate, neurons (per image and step), steps, spikes_per_image.
        """
        return [*self.per_layer, *self.firing_rates]


def report_from_counts(counts: Counts, preset: str, accounting: str) -> EnergyReport:
    """Totals, firing-rate averages and energy of what a counting session measured."""
    check_accounting(accounting)
    rows = [row.as_dict() for row in counts.ops]
    neuron_rows = [row.as_dict(counts.images) for row in counts.neurons]
    paper, full = op_totals(rows, "paper"), op_totals(rows, "full")
    rates = [row.firing_rate for row in counts.neurons]
    elements = sum(row.elements for row in counts.neurons)
    weighted = sum(float(row.spikes) for row in counts.neurons) / elements if elements else 0.0
    chosen = paper if accounting == "paper" else full
    energy = preset_named(preset).energy_mj(chosen["acs"], chosen["macs"])
    return EnergyReport(
        paper,
        full,
        sum(rates) / len(rates) if rates else 0.0,
        weighted,
        energy,
        accounting,
        preset,
        rows,
        neuron_rows,
        counts.images,
    )


def count_model(
    model: nn.Module, inputs: torch.Tensor, firing_rate: float | None = None, batch: int = MEASURE_BATCH
) -> Counts:
    """Counts of eval-mode forward passes of `model` over `inputs` (first dimension = images), in batches."""
    was_training = model.training
    model.eval()
    try:
        with CountingSession(model, firing_rate) as session:
            for start in range(0, inputs.shape[0], batch):
                session.run(inputs[start : start + batch])
        return session.counts()
    finally:
        model.train(was_training)


def measure_energy(model: nn.Module, inputs: torch.Tensor, config: Mapping[str, Any]) -> EnergyReport:
    """Count ops and spikes of one eval-mode pass over `inputs`; energy from `energy.preset` x `energy.accounting`."""
    counts = count_model(model, inputs)
    return report_from_counts(counts, config["energy.preset"], config.get("energy.accounting", "paper"))
