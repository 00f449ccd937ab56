"""The one trial entry point: `run_trial(config, report)` trains and evaluates one configuration.

It knows nothing of Ray, MLflow or Optuna: `report` is any callable taking a metrics dict, called once per epoch.
"""

from __future__ import annotations

import gc
import math
import os
import random
import socket
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from .checkpoint import is_checkpoint_epoch, load_checkpoint, load_weights, save_checkpoint
from .data import DataBundle, load_dataset
from .data.augment import batch_augmenter
from .energy import measure_energy
from .knobs import resolve
from .model import build_model

Report = Callable[[dict[str, Any]], None]
# called instead of `report` on checkpoint epochs, with a folder holding the checkpoint (deleted once it returns)
ReportCheckpoint = Callable[[dict[str, Any], Path], None]
EVAL_BATCH = 256
# Inductor writes its default into the environment on first use, so the user's own choice is read at import
USER_INDUCTOR_CACHE = os.environ.get("TORCHINDUCTOR_CACHE_DIR")


class TrialDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass(frozen=True)
class TrialEnv:
    """Where a trial finds things that are not knobs: the user's data directory, the home's cache and, when the
    control plane packs trials onto a GPU, the share of its memory this trial may use.

    `gpu_fraction` is enforced with `torch.cuda.set_per_process_memory_fraction` and reported as the metric
    `gpu_fraction`; with `retry_oom`, a trial that runs out of memory before its first report is run again once
    with twice the fraction, when the GPU has that much free.
    `report_checkpoint`, when given, receives the metrics of every checkpoint epoch (`checkpoint.every_epochs`,
    and the last) together with a folder holding the checkpoint (`checkpoint.py`), instead of `report`;
    `resume_from` is a checkpoint folder to continue from (the epochs it holds are not trained again).
    """

    data_dir: Path | None = None
    cache_dir: Path | None = None
    gpu_fraction: float | None = None
    retry_oom: bool = True
    report_checkpoint: ReportCheckpoint | None = None
    resume_from: Path | None = None


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
    """The configured optimiser; on CUDA its fused implementation (one kernel per step instead of one per tensor)."""
    params = list(model.parameters())
    fused = True if params and all(p.is_cuda for p in params) else None  # None: torch's own choice (CPU: for-loop)
    if config["optimizer"] == "sgd":
        return torch.optim.SGD(
            params, lr=config["lr"], momentum=config["momentum"], weight_decay=config["weight_decay"], fused=fused
        )
    optimizer_class = torch.optim.Adam if config["optimizer"] == "adam" else torch.optim.AdamW
    return optimizer_class(params, lr=config["lr"], weight_decay=config["weight_decay"], fused=fused)


def compile_mode(config: Mapping[str, Any], device: torch.device) -> str | None:
    """The `torch.compile` mode a trial trains with, or None for eager (`compile: auto` compiles on CUDA only)."""
    mode = config["compile"]
    if mode == "auto":
        mode = "default" if device.type == "cuda" else "none"
    return None if mode == "none" else mode


def drops_last_batch(config: Mapping[str, Any], device: torch.device) -> bool:
    """Whether the last partial batch is dropped (`last_batch: auto` drops it when compiled: no new shape)."""
    if config["last_batch"] == "auto":
        return compile_mode(config, device) is not None
    return config["last_batch"] == "drop"


def share_compile_cache(cache_dir: Path | None) -> None:
    """Point Inductor's on-disk caches at `<cache_dir>/inductor/<node>`, shared by every trial of this node.

    A directory per node, because compiled kernels are only valid for the node's GPU and toolchain; a cache
    directory the user set wins.
    """
    if cache_dir is None or USER_INDUCTOR_CACHE is not None:
        return
    node_dir = Path(cache_dir) / "inductor" / socket.gethostname()
    node_dir.mkdir(parents=True, exist_ok=True)
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(node_dir)


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
def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device, config: Mapping[str, Any]
) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) over a whole split, in eval mode."""
    model.eval()
    correct = torch.zeros((), device=device)
    loss_sum = torch.zeros((), device=device)
    for start in range(0, len(x), EVAL_BATCH):
        xb, yb = x[start : start + EVAL_BATCH], y[start : start + EVAL_BATCH]
        with autocast(device, config):
            logits = model(xb).float()
        loss_sum += nn.functional.cross_entropy(logits, yb, reduction="sum")
        correct += (logits.argmax(1) == yb).sum()
    return float(correct) / len(x), float(loss_sum) / len(x)


@dataclass
class Trainer:
    """The training side of a trial: the model as trained (compiled or not), its optimiser and the epoch rules.

    `network` is the plain module (evaluation and energy counting run it eagerly); `forward` is what training
    calls, `torch.compile(network)` when compiled. `compile_s` is the wall time of the first training step of a
    compiled model (tracing and code generation, plus one step), 0 when eager.
    """

    network: nn.Module
    forward: Callable[[torch.Tensor], torch.Tensor]
    optimizer: torch.optim.Optimizer
    device: torch.device
    config: Mapping[str, Any]
    drop_last: bool = False
    compile_s: float = 0.0
    _compiled: bool = False

    @classmethod
    def build(cls, network: nn.Module, device: torch.device, config: Mapping[str, Any]) -> Trainer:
        if config["channels_last"]:
            network = network.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        mode = compile_mode(config, device)
        forward = network if mode is None else torch.compile(network, mode=mode, dynamic=False)
        return cls(
            network,
            forward,
            make_optimizer(network, config),
            device,
            config,
            drops_last_batch(config, device),
            _compiled=mode is not None,
        )

    def step(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        """One optimiser step on a batch; returns the loss (a device tensor: no host sync)."""
        first = self._compiled and self.compile_s == 0.0
        started = time.perf_counter() if first else 0.0
        if self.config["channels_last"] and xb.dim() == 4:
            xb = xb.contiguous(memory_format=torch.channels_last)
        with autocast(self.device, self.config):
            logits = self.forward(xb).float()
        loss = nn.functional.cross_entropy(logits, yb, label_smoothing=self.config["label_smoothing"])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        if first:  # the one host sync of a compiled trial, to time its compilation
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            self.compile_s = time.perf_counter() - started
        return loss.detach()


def train_epoch(trainer: Trainer, data: DataBundle, generator: torch.Generator) -> float:
    """One pass over the resident training tensors in a seeded order, augmented on the device; returns the mean
    training loss. No host sync inside the epoch."""
    device, config = trainer.device, trainer.config
    trainer.network.train()
    order = torch.randperm(len(data.train_x), generator=generator).to(device)
    augment = batch_augmenter(config, data, device, generator)
    loss_sum = torch.zeros((), device=device)
    batch_size = config["batch_size"]
    end = len(order) - len(order) % batch_size if trainer.drop_last and len(order) >= batch_size else len(order)
    for start in range(0, end, batch_size):
        idx = order[start : start + batch_size]
        xb, yb = data.train_x[idx], data.train_y[idx]
        if augment is not None:
            xb, yb = augment(xb, yb)
        loss_sum += trainer.step(xb, yb) * len(idx)
    return float(loss_sum) / end


def run_trial(config: Mapping[str, Any], report: Report, env: TrialEnv | None = None) -> dict[str, Any]:
    """Train one configuration, calling `report(metrics)` after every epoch; returns the last metrics.

    Metrics: epoch, accuracy (validation), loss (training), val_loss, lr, params, compile_s (seconds spent
    compiling, 0 when eager), gpu_fraction (only under a GPU memory cap, see `TrialEnv`), firing_rate(_weighted),
    energy_mj (and energy_paper_mj / energy_full_mj), the op counts of both accountings (`ops_paper_acs`, ...,
    `ops_full_elementwise`) and `energy_layers`, the per-layer table (a list of dicts, for an artifact; see
    `EnergyReport.layer_table`).
    Raises `TrialDiverged` when the loss stops being finite.
    """
    config = resolve(config)
    env = env or TrialEnv()
    device = pick_device(config)
    fraction = env.gpu_fraction if device.type == "cuda" else None
    reported = False

    def counted(metrics: dict[str, Any], folder: Path | None = None) -> None:
        nonlocal reported
        reported = True
        if folder is not None and env.report_checkpoint is not None:
            env.report_checkpoint(metrics, folder)
        else:
            report(metrics)

    for attempt in (1, 2):
        if fraction is not None:
            torch.cuda.set_per_process_memory_fraction(min(fraction, 1.0), device)
        try:
            return _train(config, counted, env, device, fraction)
        except torch.cuda.OutOfMemoryError:
            if attempt == 2 or reported or not env.retry_oom or fraction is None or not _fits(2 * fraction, device):
                raise
        fraction *= 2  # the failed attempt's tensors are freed once its exception is gone
        gc.collect()
        torch.cuda.empty_cache()
    raise AssertionError("unreachable")


def _fits(fraction: float, device: torch.device) -> bool:
    """Whether `fraction` of the GPU's memory is at most 1 and free now (this process's cache emptied first)."""
    if fraction > 1.0 + 1e-9:
        return False
    gc.collect()
    torch.cuda.empty_cache()
    free, total = torch.cuda.mem_get_info(device)
    return fraction * total <= free + torch.cuda.memory_reserved(device)


def _train(
    config: dict[str, Any],
    report: Callable[[dict[str, Any], Path | None], None],
    env: TrialEnv,
    device: torch.device,
    gpu_fraction: float | None,
) -> dict[str, Any]:
    if compile_mode(config, device) is not None:
        share_compile_cache(env.cache_dir)
    if device.type == "cpu":
        torch.set_num_threads(config["threads"])
    generator = seed_everything(config["seed"])
    data = load_dataset(config, env.data_dir, env.cache_dir)
    data = DataBundle(
        data.train_x.to(device),
        data.train_y.to(device),
        data.val_x.to(device),
        data.val_y.to(device),
        data.input_shape,
        data.num_classes,
        data.kind,
    )
    model = build_model(config, data.input_shape, data.num_classes).to(device)
    trainer = Trainer.build(model, device, config)  # trains `model` itself (compiled or not)
    energy_inputs = data.val_x[: config["energy.samples"]]
    params = sum(p.numel() for p in model.parameters())
    metrics: dict[str, Any] = {}
    start = 0
    if env.resume_from is not None:
        start, metrics = load_checkpoint(env.resume_from, model, trainer.optimizer, generator, device)
        if start >= config["epochs"]:  # it had finished: its last report may not have reached anyone
            report(metrics, None)
    for epoch in range(start, config["epochs"]):
        for group in trainer.optimizer.param_groups:
            group["lr"] = learning_rate(config, epoch)
        train_loss = train_epoch(trainer, data, generator)
        if not math.isfinite(train_loss):
            raise TrialDiverged(f"training loss became {train_loss} in epoch {epoch + 1}")
        accuracy, val_loss = evaluate(model, data.val_x, data.val_y, device, config)
        energy = measure_energy(model, energy_inputs, config)
        metrics = {
            "epoch": epoch + 1,
            "accuracy": accuracy,
            "loss": train_loss,
            "val_loss": val_loss,
            "lr": learning_rate(config, epoch),
            "params": params,
            "compile_s": trainer.compile_s,
            **({"gpu_fraction": gpu_fraction} if gpu_fraction is not None else {}),
            **energy.metrics(),
            "energy_layers": energy.layer_table(),
        }
        if env.report_checkpoint is not None and is_checkpoint_epoch(config, epoch + 1):
            with tempfile.TemporaryDirectory(prefix="spikesweep-ckpt-") as folder:
                save_checkpoint(Path(folder), model, trainer.optimizer, generator, device, epoch + 1, metrics)
                report(metrics, Path(folder))
        else:
            report(metrics, None)
    return metrics


def evaluate_trial(config: Mapping[str, Any], weights: Path, env: TrialEnv | None = None) -> dict[str, Any]:
    """Evaluate trained `weights` (a `weights.pt`, e.g. from `export --weights`) of a configuration without
    training: validation accuracy and loss, params and the energy metrics, as `run_trial` reports them."""
    config = resolve(config)
    env = env or TrialEnv()
    device = pick_device(config)
    if device.type == "cpu":
        torch.set_num_threads(config["threads"])
    seed_everything(config["seed"])
    data = load_dataset(config, env.data_dir, env.cache_dir)
    val_x, val_y = data.val_x.to(device), data.val_y.to(device)
    model = build_model(config, data.input_shape, data.num_classes).to(device)
    load_weights(weights, model, device)
    accuracy, val_loss = evaluate(model, val_x, val_y, device, config)
    energy = measure_energy(model, val_x[: config["energy.samples"]], config)
    params = sum(p.numel() for p in model.parameters())
    return {"accuracy": accuracy, "val_loss": val_loss, "params": params, **energy.metrics()}
