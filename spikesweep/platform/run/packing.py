"""T-aware packing of trials onto GPUs (`resources.gpu: auto`): pure math on the probe's measurements.

A probe (`workers.probe_trial`, run once per distinct model, batch and input) measures peak memory and step time at
two values of T; both are fitted as a + b*T*B (spiking features, the bulk of the memory, grow linearly in T*B).
A trial's GPU fraction is the larger of

- its memory share: (CUDA context + a + b*T*B) * (1 + margin) / GPU memory, and
- its compute share: the part of a step the GPU is busy, b*T*B / (a + b*T*B) of the step time (the fixed part a is
  launch overhead and host work, which other trials can fill),

rounded up to 1/k (k <= max_per_gpu), so fractions tile a GPU exactly. Small T gives small shares: packed densely.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CONTEXT_BYTES = 512 * 2**20  # a CUDA context, not seen by max_memory_allocated (~500 MB, pytorch/serve#2128)
MARGIN = 0.15
MAX_PER_GPU = 8
# knobs that change neither the memory nor the time of a step at given T and B: trials differing only in these
# share one probe (timesteps is what the probe varies)
PROBE_INDEPENDENT = frozenset(
    {
        "seed",
        "epochs",
        "lr",
        "min_lr",
        "momentum",
        "weight_decay",
        "schedule",
        "warmup_epochs",
        "label_smoothing",
        "timesteps",
        "threads",
        "device",
    }
)


@dataclass(frozen=True)
class LinearFit:
    """y = intercept + slope * x, with x = T * B."""

    intercept: float
    slope: float

    def at(self, x: float) -> float:
        return self.intercept + self.slope * x

    @classmethod
    def through(cls, xs: Sequence[float], ys: Sequence[float]) -> LinearFit:
        """Least squares through the points (two points: the line through them); both terms clipped at 0."""
        if len(xs) != len(ys) or not xs:
            raise ValueError("a fit needs as many x as y values, at least one")
        if len(set(xs)) == 1:
            return cls(max(0.0, sum(ys) / len(ys)), 0.0)
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)
        slope = max(0.0, slope)
        return cls(max(0.0, mean_y - slope * mean_x), slope)


@dataclass(frozen=True)
class ProbeFit:
    """Peak memory (bytes) and step time (s) of one (model, batch, input) as lines in T*B, on a GPU of
    `gpu_memory` bytes."""

    memory: LinearFit
    step_s: LinearFit
    gpu_memory: float

    @classmethod
    def from_probe(cls, probe: Mapping[str, Any]) -> ProbeFit:
        """From `workers.probe_trial`'s result (measured on a GPU: peak_bytes and total_memory are set)."""
        xs = [t * probe["batch"] for t in probe["timesteps"]]
        return cls(
            LinearFit.through(xs, probe["peak_bytes"]),
            LinearFit.through(xs, probe["step_s"]),
            float(probe["total_memory"]),
        )


@dataclass(frozen=True)
class Packing:
    """A trial's GPU fraction and the two shares it came from."""

    fraction: float
    memory_share: float
    compute_share: float

    @property
    def fits(self) -> bool:
        """False when even a whole GPU is short of memory by the fit."""
        return self.memory_share <= 1.0


def unit_fraction(share: float, max_per_gpu: int = MAX_PER_GPU) -> float:
    """The smallest 1/k (k = 1 .. max_per_gpu) that is at least `share`; 1 for shares above 1/2."""
    if share <= 0:
        return 1.0 / max_per_gpu
    per_gpu = min(max_per_gpu, max(1, math.floor(1.0 / share + 1e-9)))
    return 1.0 / per_gpu


def pack(
    fit: ProbeFit,
    timesteps: int,
    batch: int,
    margin: float = MARGIN,
    context_bytes: float = CONTEXT_BYTES,
    max_per_gpu: int = MAX_PER_GPU,
) -> Packing:
    """The GPU fraction of one trial at `timesteps` and `batch` (see the module docstring)."""
    work = timesteps * batch
    memory_share = (context_bytes + fit.memory.at(work)) * (1 + margin) / fit.gpu_memory
    step = fit.step_s.at(work)
    compute_share = fit.step_s.slope * work / step if step > 0 else 1.0
    return Packing(unit_fraction(max(memory_share, compute_share), max_per_gpu), memory_share, compute_share)


def probe_key(config: Mapping[str, Any]) -> str:
    """What a probe depends on: the configuration without the knobs of `PROBE_INDEPENDENT` and energy accounting."""
    kept = {k: v for k, v in config.items() if k not in PROBE_INDEPENDENT and not k.startswith("energy.")}
    return repr(sorted(kept.items()))


@dataclass
class GpuPlan:
    """Fits by probe key; the fraction of any trial configuration (full, resolved), `fallback` where its key was
    not probed (a search that samples a model shape the probe did not see)."""

    fits: dict[str, ProbeFit] = field(default_factory=dict)
    fallback: float = 1.0
    margin: float = MARGIN
    max_per_gpu: int = MAX_PER_GPU

    def packing(self, config: Mapping[str, Any]) -> Packing | None:
        fit = self.fits.get(probe_key(config))
        if fit is None:
            return None
        return pack(fit, config["timesteps"], config["batch_size"], self.margin, max_per_gpu=self.max_per_gpu)

    def fraction(self, config: Mapping[str, Any]) -> float:
        found = self.packing(config)
        return found.fraction if found is not None else self.fallback


@dataclass
class PackedResources:
    """Tune's per-trial resources under `gpu: auto` (a callable of the trial's Tune config, for
    `tune.with_resources`) and the fraction the trial enforces on itself (`fraction`, passed to the trainable).

    `config_of` maps a Tune config (a grid index or sampled knobs) to the trial's full configuration.
    """

    cpu: float
    plan: GpuPlan
    config_of: Callable[[dict[str, Any]], Mapping[str, Any]]

    def fraction(self, tune_config: dict[str, Any]) -> float:
        config = self.config_of(tune_config)
        return 0.0 if config.get("device") == "cpu" else self.plan.fraction(config)

    def __call__(self, tune_config: dict[str, Any]) -> dict[str, float]:
        return {"cpu": self.cpu, "gpu": self.fraction(tune_config)}
