"""`probe_trial`: a few training steps of a configuration at two values of T, measuring peak memory and step time.

The control plane calls it once per distinct (model, batch, input) on one GPU before a study's trials start and fits
peak_memory = a + b*T*B and step_time = c + d*T*B from the two points (`platform/run/packing.py`), so that trials can
be packed onto GPUs by their T. It trains on random inputs of the dataset's shape (no data is loaded) and eagerly
(`compile: none`): eager memory is the larger, so the packing errs on the safe side.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from .data.base import dataset_spec
from .knobs import resolve
from .model import build_model
from .trial import Trainer, pick_device

PROBE_TIMESTEPS = (1, 2)


def probe_trial(
    config: Mapping[str, Any], timesteps: Sequence[int] = PROBE_TIMESTEPS, steps: int = 3, warmup: int = 1
) -> dict[str, Any]:
    """Peak memory (bytes above what was allocated before, CUDA only; None on the CPU) and seconds per training
    step at each of `timesteps`, for the configuration's model, batch and input; plain data, for any process."""
    config = resolve(config)
    device = pick_device(config)
    spec = dataset_spec(config)
    shape, classes, kind = spec.shape(config), spec.classes(config), spec.kind_of(config)
    batch = config["batch_size"]
    peaks: list[int | None] = []
    times: list[float] = []
    for steps_t in timesteps:
        trial_config = {**config, "timesteps": steps_t, "compile": "none"}
        _release(device)
        before = torch.cuda.memory_allocated(device) if device.type == "cuda" else 0
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        model = build_model(trial_config, shape, classes).to(device).train()
        trainer = Trainer.build(model, device, trial_config)
        frames = (steps_t,) if kind == "event" else ()
        x = torch.rand(batch, *frames, *shape, device=device)
        y = torch.randint(0, classes, (batch,), device=device)
        for _ in range(warmup):
            trainer.step(x, y)
        _sync(device)
        started = time.perf_counter()
        for _ in range(steps):
            trainer.step(x, y)
        _sync(device)
        times.append((time.perf_counter() - started) / steps)
        peaks.append(torch.cuda.max_memory_allocated(device) - before if device.type == "cuda" else None)
        del model, trainer, x, y
    _release(device)
    total = torch.cuda.get_device_properties(device).total_memory if device.type == "cuda" else None
    return {
        "timesteps": list(timesteps),
        "batch": batch,
        "peak_bytes": peaks,
        "step_s": times,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "total_memory": total,
    }


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _release(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
