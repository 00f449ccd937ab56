"""Trial checkpoints: what a trial needs to continue exactly where it stopped, and its trained weights.

A checkpoint is a folder holding `trial_state.pt` (model, optimiser, the epoch, every RNG state: Python's,
NumPy's, torch's global and CUDA ones and the trial's own generator, which decides the data order and the
augmentation), `metrics.json` (the metrics reported with it) and `weights.pt` (the model's state dict alone,
kept as the trial's trained weights). The learning-rate schedule is a function of the epoch, so the epoch is its
position. Everything is saved as tensors and plain values, so it loads with `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .checkpoint_schema import METRICS_FILE, STATE_FILE, WEIGHTS_FILE


def is_checkpoint_epoch(config: Mapping[str, Any], epoch: int) -> bool:
    """Whether the trial saves a checkpoint after 1-based `epoch` (every `checkpoint.every_epochs`, and the last)."""
    return epoch % int(config["checkpoint.every_epochs"]) == 0 or epoch == int(config["epochs"])


def _rng_state(generator: torch.Generator, device: torch.device) -> dict[str, Any]:
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": [name, torch.from_numpy(np.asarray(keys, dtype=np.int64)), int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
        "generator": generator.get_state(),
    }
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: Mapping[str, Any], generator: torch.Generator, device: torch.device) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    generator.set_state(state["generator"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(
    folder: Path,
    network: nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    device: torch.device,
    epoch: int,
    metrics: Mapping[str, Any],
) -> None:
    """Write the trial's state after 1-based `epoch` (and the metrics reported with it) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    weights = network.state_dict()
    rng = _rng_state(generator, device)
    state = {"epoch": epoch, "model": weights, "optimizer": optimizer.state_dict(), "rng": rng}
    torch.save(state, folder / STATE_FILE)
    torch.save(weights, folder / WEIGHTS_FILE)
    (folder / METRICS_FILE).write_text(json.dumps(dict(metrics), default=_plain, allow_nan=True))


def load_checkpoint(
    folder: Path, network: nn.Module, optimizer: torch.optim.Optimizer, generator: torch.Generator, device: torch.device
) -> tuple[int, dict[str, Any]]:
    """Restore a trial from `folder`: (the epoch it was saved after, the metrics reported then)."""
    state = torch.load(folder / STATE_FILE, map_location=device, weights_only=True)
    network.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    _set_rng_state(state["rng"], generator, device)
    return int(state["epoch"]), json.loads((folder / METRICS_FILE).read_text())


def load_weights(path: Path, network: nn.Module, device: torch.device) -> None:
    """Load trained weights (a `weights.pt`, or a checkpoint folder holding one) into `network`."""
    path = path / WEIGHTS_FILE if path.is_dir() else path
    network.load_state_dict(torch.load(path, map_location=device, weights_only=True))


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, torch.Tensor):
        return value.tolist()
    return str(value)
