"""The one trial entry point: `run_trial(config, report)` trains and evaluates one configuration.

It knows nothing of Ray, MLflow or Optuna: `report` is any callable taking a metrics dict, called once per epoch.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch
from torch import nn

from .data import DataBundle, load_dataset
from .data.augment import batch_augmenter
from .energy import measure_energy
from .knobs import resolve
from .model import build_model

Report = Callable[[dict[str, Any]], None]
EVAL_BATCH = 256


class TrialDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass(frozen=True)
class TrialEnv:
    """Where a trial finds things that are not knobs: the user's data directory and the home's cache."""

    data_dir: Path | None = None
    cache_dir: Path | None = None


def pick_device(config: Mapping[str, Any]) -> torch.device:
    if config["device"] == "cuda" or (config["device"] == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    return torch.device("cpu")


def seed_everything(seed: int) -> torch.Generator:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def make_optimizer(model: nn.Module, config: Mapping[str, Any]) -> torch.optim.Optimizer:
    params = model.parameters()
    if config["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=config["lr"], momentum=config["momentum"],
                               weight_decay=config["weight_decay"])
    optimizer_class = torch.optim.Adam if config["optimizer"] == "adam" else torch.optim.AdamW
    return optimizer_class(params, lr=config["lr"], weight_decay=config["weight_decay"])


def learning_rate(config: Mapping[str, Any], epoch: int) -> float:
    """Learning rate for 0-based `epoch`: linear warm-up from min_lr, then cosine or constant."""
    peak, floor, warmup, epochs = config["lr"], config["min_lr"], config["warmup_epochs"], config["epochs"]
    if epoch < warmup:
        return floor + (peak - floor) * (epoch + 1) / (warmup + 1)
    if config["schedule"] == "constant":
        return peak
    progress = (epoch - warmup) / max(1, epochs - warmup)
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * progress))


def autocast(device: torch.device, config: Mapping[str, Any]):
    use_bf16 = config["precision"] == "bf16" or (config["precision"] == "auto" and device.type == "cuda")
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device,
             config: Mapping[str, Any]) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) over a whole split, in eval mode."""
    model.eval()
    correct = torch.zeros((), device=device)
    loss_sum = torch.zeros((), device=device)
    for start in range(0, len(x), EVAL_BATCH):
        xb, yb = x[start:start + EVAL_BATCH], y[start:start + EVAL_BATCH]
        with autocast(device, config):
            logits = model(xb).float()
        loss_sum += nn.functional.cross_entropy(logits, yb, reduction="sum")
        correct += (logits.argmax(1) == yb).sum()
    return float(correct) / len(x), float(loss_sum) / len(x)


def train_epoch(model: nn.Module, data: DataBundle, optimizer: torch.optim.Optimizer, generator: torch.Generator,
                device: torch.device, config: Mapping[str, Any]) -> float:
    """One pass over the resident training tensors in a seeded order, augmented on the device; returns the mean
    training loss."""
    model.train()
    order = torch.randperm(len(data.train_x), generator=generator).to(device)
    augment = batch_augmenter(config, data, device, generator)
    loss_sum = torch.zeros((), device=device)
    batch_size = config["batch_size"]
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        xb, yb = data.train_x[idx], data.train_y[idx]
        if augment is not None:
            xb, yb = augment(xb, yb)
        with autocast(device, config):
            logits = model(xb).float()
        loss = nn.functional.cross_entropy(logits, yb, label_smoothing=config["label_smoothing"])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * len(idx)
    return float(loss_sum) / len(order)


def run_trial(config: Mapping[str, Any], report: Report, env: TrialEnv | None = None) -> dict[str, Any]:
    """Train one configuration, calling `report(metrics)` after every epoch; returns the last metrics.

    Metrics: epoch, accuracy (validation), loss (training), val_loss, lr, params, firing_rate(_weighted),
    energy_mj (and energy_paper_mj / energy_full_mj), the op counts of both accountings (`ops_paper_acs`, ...,
    `ops_full_elementwise`) and `energy_layers`, the per-layer table (a list of dicts, for an artifact; see
    `EnergyReport.layer_table`).
    Raises `TrialDiverged` when the loss stops being finite.
    """
    config = resolve(config)
    env = env or TrialEnv()
    device = pick_device(config)
    if device.type == "cpu":
        torch.set_num_threads(config["threads"])
    generator = seed_everything(config["seed"])
    data = load_dataset(config, env.data_dir, env.cache_dir)
    data = DataBundle(data.train_x.to(device), data.train_y.to(device), data.val_x.to(device),
                      data.val_y.to(device), data.input_shape, data.num_classes, data.kind)
    model = build_model(config, data.input_shape, data.num_classes).to(device)
    optimizer = make_optimizer(model, config)
    energy_inputs = data.val_x[: config["energy.samples"]]
    params = sum(p.numel() for p in model.parameters())
    metrics: dict[str, Any] = {}
    for epoch in range(config["epochs"]):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, epoch)
        train_loss = train_epoch(model, data, optimizer, generator, device, config)
        if not math.isfinite(train_loss):
            raise TrialDiverged(f"training loss became {train_loss} in epoch {epoch + 1}")
        accuracy, val_loss = evaluate(model, data.val_x, data.val_y, device, config)
        energy = measure_energy(model, energy_inputs, config)
        metrics = {"epoch": epoch + 1, "accuracy": accuracy, "loss": train_loss, "val_loss": val_loss,
                   "lr": learning_rate(config, epoch), "params": params, **energy.metrics(),
                   "energy_layers": energy.layer_table()}
        report(metrics)
    return metrics
