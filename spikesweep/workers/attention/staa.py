"""STAA (Zhang et al., CVPR 2025): the Spatial-Temporal Attention Aggregator inside every LIF (seed-spec 3).

`attention: staa` replaces every spiking activation by an STAA-LIF: the adaptive LIF of `neurons/staa.py`
(its own M, N, whatever the `neuron` knob says) whose input passes position encoding (PE) and a global-context
block (GC), and whose history and input terms are merged by Step Attention (SA) instead of plain addition;
Time-Step Random Dropout (TSRD) falls back to the plain adaptive LIF step during training (seed-spec 3.7).
No reference code exists (seed-spec 3.0): GC fusion, SA internals, PE shape/location and TSRD granularity are
reconstructions, each exposed as a knob with its alternatives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.modules.lazy import LazyModuleMixin
from torch.nn.parameter import UninitializedParameter

from ..neurons.base import SpikingNeuron
from ..neurons.staa import AdaptiveCoefficients, fire
from .base import Attention, NeuronFactory


@dataclass(frozen=True)
class StaaSettings:
    """The STAA knobs of one configuration."""

    lif_param: str = "literal"
    m_init: float = 2.0
    n_init: float = 0.1
    pe: str = "learnable"
    pe_shape: str = "TxCx1x1"
    pe_location: str = "c"
    gc: bool = True
    gc_ratio: int = 4
    gc_fusion: str = "add"
    step_attention: bool = True
    step_scale: float = 2.0
    step_form: str = "gate"
    tsrd_p: float = 0.1
    tsrd_granularity: str = "batch"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StaaSettings:
        return cls(**{name: config[f"staa.{name}"] for name in cls.__dataclass_fields__})


def hidden_width(channels: int, ratio: int) -> int:
    """Bottleneck width C // r, at least 1."""
    return max(1, channels // ratio)


def sinusoidal_table(timesteps: int, channels: int) -> torch.Tensor:
    """Fixed PE `[T, C, 1, 1]`: channel 2i gets sin(t / 10000^(2i/C)), channel 2i+1 the cosine, t = 0..T-1."""
    position = torch.arange(timesteps, dtype=torch.float64)[:, None]
    pair = torch.arange(0, channels, 2, dtype=torch.float64)
    angle = position / torch.pow(10000.0, pair / channels)
    table = torch.zeros(timesteps, channels, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angle)
    table[:, 1::2] = torch.cos(angle[:, : channels // 2])
    return table.float()[:, :, None, None]


class PositionEncoding(LazyModuleMixin, nn.Module):
    """One encoding per time step of a layer: `table[t]` is added to that step's tensor.

    Per-pixel tables are created (zeros) on the first forward from the input's shape; `build_model` runs that
    forward, so parameters exist before an optimiser sees them.
    """

    def __init__(self, kind: str, shape: str, timesteps: int, channels: int) -> None:
        super().__init__()
        self.per_channel = kind == "fixed" or shape == "TxCx1x1"
        if kind == "fixed":
            self.register_buffer("table", sinusoidal_table(timesteps, channels), persistent=False)
        elif shape == "TxCx1x1":
            self.table: nn.Parameter | UninitializedParameter = nn.Parameter(torch.zeros(timesteps, channels, 1, 1))
        else:
            self.table = UninitializedParameter()
        self.timesteps, self.kind, self.shape = timesteps, kind, shape

    def extra_repr(self) -> str:
        return f"kind={self.kind}, shape={'TxCx1x1' if self.per_channel else self.shape}, timesteps={self.timesteps}"

    def initialize_parameters(self, steps: torch.Tensor | int, like: torch.Tensor) -> None:
        if isinstance(self.table, UninitializedParameter):
            with torch.no_grad():
                self.table.materialize((self.timesteps, *_sample_shape(steps, like)), device=like.device)
                self.table.zero_()

    def forward(self, steps: torch.Tensor | int, like: torch.Tensor) -> torch.Tensor:
        """The encoding of the steps `steps` shaped to add to `like`: `like` is `[K, B, C, ...]` for an index
        tensor of K steps (result `[K, 1, C, ...]`) and `[B, C, ...]` for one int step (result `[C, ...]`)."""
        rows = self.table[steps]
        if self.per_channel:
            features = len(_sample_shape(steps, like))
            rows = rows.reshape(*rows.shape[:-3], rows.shape[-3], *([1] * (features - 1)))
        return rows.unsqueeze(1) if isinstance(steps, torch.Tensor) else rows


def _sample_shape(steps: torch.Tensor | int, like: torch.Tensor) -> torch.Size:
    return like.shape[2:] if isinstance(steps, torch.Tensor) else like.shape[1:]


class GlobalContext(nn.Module):
    """GCNet block on `[N, C, H, W]`: softmax key pooling, C -> C/r -> C transform (LN, ReLU), fusion.

    The last conv is zero-initialised (GCNet), so `add` starts as the identity.
    """

    def __init__(self, channels: int, ratio: int, fusion: str) -> None:
        super().__init__()
        hidden = hidden_width(channels, ratio)
        self.key = nn.Conv2d(channels, 1, 1)
        self.transform = nn.Sequential(
            nn.Conv2d(channels, hidden, 1),
            nn.LayerNorm([hidden, 1, 1]),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 1),
        )
        last = self.transform[-1]
        assert isinstance(last, nn.Conv2d) and last.bias is not None
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.fusion = fusion

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.key(x).flatten(2).softmax(-1)  # [N, 1, HW]
        context = torch.bmm(x.flatten(2), weights.transpose(1, 2)).unsqueeze(-1)  # [N, C, 1, 1]
        query = self.transform(context)
        return x + query if self.fusion == "add" else x * torch.sigmoid(query)


class StepAttention(nn.Module):
    """Merges history A = M H and input B = N X' as k [(1 - g) A + g B], g from GAP(A + B) through C -> C/r -> C.

    The last conv is zero-initialised, so g = 1/2 at init and k = 2 gives plain addition A + B. `softmax2` uses
    two logits per channel and a softmax over the branches instead of one sigmoid gate.
    """

    def __init__(self, channels: int, ratio: int, scale: float, form: str) -> None:
        super().__init__()
        hidden = hidden_width(channels, ratio)
        self.branches = 2 if form == "softmax2" else 1
        self.squeeze = nn.Conv2d(channels, hidden, 1)
        self.expand = nn.Conv2d(hidden, self.branches * channels, 1)
        assert self.expand.bias is not None
        nn.init.zeros_(self.expand.weight)
        nn.init.zeros_(self.expand.bias)
        self.scale = scale

    def forward(self, history: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
        both = history + drive
        pooled = both.reshape(*both.shape[:2], -1).mean(-1)[:, :, None, None]
        logits = self.expand(torch.relu(self.squeeze(pooled))).flatten(1)  # [B, branches * C]
        if self.branches == 1:
            gate = torch.sigmoid(logits)
            weight_history, weight_drive = 1 - gate, gate
        else:
            weight_history, weight_drive = logits.unflatten(1, (2, -1)).softmax(1).unbind(1)
        shape = (*weight_drive.shape, *([1] * (history.dim() - 2)))
        return self.scale * (weight_history.reshape(shape) * history + weight_drive.reshape(shape) * drive)

    def extra_repr(self) -> str:
        return f"scale={self.scale}"


class StaaLIF(SpikingNeuron):
    """The STAA-LIF of one layer: `[T, B, C, ...]` current -> spikes (seed-spec 3.7).

    Per step t: I~ = I + P_t; X' = GC(I~); V = SA(M H, N X'); spikes at V > 1; hard reset. A TSRD-dropped step
    uses V = M H + N I. PE and GC do not depend on the membrane, so they run once on the kept steps folded into
    the batch; only the recurrence loops over T.
    """

    def __init__(self, channels: int, timesteps: int, settings: StaaSettings) -> None:
        super().__init__()
        self.settings = settings
        self.coefficients = AdaptiveCoefficients(channels, settings.m_init, settings.n_init, settings.lif_param)
        self.position = (
            None if settings.pe == "none" else PositionEncoding(settings.pe, settings.pe_shape, timesteps, channels)
        )
        self.context = GlobalContext(channels, settings.gc_ratio, settings.gc_fusion) if settings.gc else None
        self.aggregator = (
            StepAttention(channels, settings.gc_ratio, settings.step_scale, settings.step_form)
            if settings.step_attention
            else None
        )
        self.timesteps = timesteps

    def _drops(self, current: torch.Tensor) -> torch.Tensor | None:
        """TSRD draws: None (nothing dropped), `[T]` bools (batch) or `[T, B]` bools (sample)."""
        p = self.settings.tsrd_p
        if not self.training or p == 0:
            return None
        if self.settings.tsrd_granularity == "batch":
            return torch.rand(current.shape[0]) < p  # on the CPU generator: no device sync
        return torch.rand(current.shape[:2], device=current.device) < p

    def _location(self, name: str, steps: torch.Tensor | int, like: torch.Tensor) -> torch.Tensor | float:
        if self.position is None or self.settings.pe_location != name:
            return 0.0
        return self.position(steps, like)

    def _enhance(self, current: torch.Tensor, kept: torch.Tensor) -> torch.Tensor:
        """PE (c) -> GC -> PE (d) on the steps `kept`, time folded into the batch: `[K, B, C, ...]`."""
        x = current if len(kept) == current.shape[0] else current[kept]
        x = x + self._location("c", kept, x)
        if self.context is not None:
            folded = x.flatten(0, 1)
            maps = folded.reshape(*folded.shape[:2], -1, 1)  # any [N, C, ...] as [N, C, L, 1]
            x = self.context(maps).reshape(x.shape)
        return x + self._location("d", kept, x)

    def forward(self, current: torch.Tensor) -> torch.Tensor:
        self.coefficients.check(current)
        steps = current.shape[0]
        if self.position is not None and steps > self.timesteps:
            raise ValueError(
                f"STAA position encoding was built for timesteps = {self.timesteps}, got input with {steps} steps"
            )
        drops = self._drops(current)
        step_dropped = drops is not None and drops.dim() == 1
        kept = torch.nonzero(~drops).flatten() if drops is not None and step_dropped else torch.arange(steps)
        enhanced = dict(zip(kept.tolist(), self._enhance(current, kept))) if len(kept) else {}
        membrane = torch.zeros_like(current[0])
        spikes = []
        for t in range(steps):
            history = self.coefficients.history(membrane)
            if t not in enhanced:
                voltage = history + self.coefficients.drive(current[t])
            else:
                voltage = self._aggregate(t, history, enhanced[t])
                if drops is not None and drops.dim() == 2:
                    plain = history + self.coefficients.drive(current[t])
                    voltage = torch.where(drops[t].reshape(-1, *([1] * (voltage.dim() - 1))), plain, voltage)
            s, membrane = fire(voltage)
            spikes.append(s)
        return self.record(torch.stack(spikes))

    def _aggregate(self, t: int, history: torch.Tensor, enhanced: torch.Tensor) -> torch.Tensor:
        history = history + self._location("b", t, history)
        drive = self.coefficients.drive(enhanced)
        voltage = self.aggregator(history, drive) if self.aggregator is not None else history + drive
        return voltage + self._location("e", t, voltage)


class StaaAttention(Attention):
    """`attention: staa`: every spiking activation becomes an STAA-LIF (the `neuron` knob is not used)."""

    def wrap_neuron(
        self, config: Mapping[str, Any], channels: int, make_neuron: NeuronFactory, stem: bool = False
    ) -> nn.Module:
        return StaaLIF(channels, config["timesteps"], StaaSettings.from_config(config))


STAA_ATTENTION = StaaAttention()
