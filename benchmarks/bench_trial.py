"""Training images/s of one trial's step, six ways, in one run on one device (issue 12's table).

Variants (SGD step of forward + cross-entropy + backward, random data already on the device, `neuron: fsta`):
  papers_loop  the seed papers' code style, written out below as the reference: stateful single-step neurons and a
               Python loop over T through the whole network, fp32
  folded       what `workers/` does by default on the CPU: time folded into the batch, eager, fp32
  bf16         folded + bf16 autocast (`precision: bf16`, the CUDA default; n/a on the CPU unless --cpu-bf16)
  compiled     folded + `compile: default`  (precision auto: bf16 on CUDA, fp32 on CPU)
  fused_lif    folded + `lif_impl: fused`   (precision auto)
  all          compile + fused LIF + fused optimiser (+ bf16 on CUDA): `compile: auto` on CUDA plus `lif_impl: fused`
Cases: ResNet-19, T = 4, batch 64, 32x32, 10 classes; small_cnn on digits-shaped input (1x8x8), T = 4, batch 64.
Peak memory is CUDA's max_memory_allocated over the timed steps (n/a on the CPU). TFLOP/s count the FLOPs of one
folded fp32 training step (torch.utils.flop_counter, forward + backward) per image; the fraction is of the
device's bf16 dense peak (from its name, or --peak-tflops).

    PYTHONPATH=. python benchmarks/bench_trial.py --device cuda            # the issue's table, ~2 min on an H100
    PYTHONPATH=. python benchmarks/bench_trial.py --device cpu             # reduced CPU sizes, ~5 min
    PYTHONPATH=. python benchmarks/bench_trial.py --device cpu --full      # + ResNet-19 compiled, ~18 min
    PYTHONPATH=. python benchmarks/bench_trial.py --device cpu --quick     # CI smoke: tiny shapes, one step,
                                                                          # ResNet-19 not compiled (~2 min)
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spikesweep.workers import build_model, resolve
from spikesweep.workers.neurons.generic import LIF
from spikesweep.workers.trial import Trainer

PEAK_BF16_TFLOPS = {
    "H100 PCIe": 756.0,
    "H100": 989.0,
    "H200": 989.0,
    "GH200": 989.0,
    "B200": 2250.0,
    "A100": 312.0,
    "L40S": 362.0,
    "L4": 121.0,
    "A10": 125.0,
}  # dense, no sparsity
VARIANTS = ("papers_loop", "folded", "bf16", "compiled", "fused_lif", "all")


@dataclass(frozen=True)
class Case:
    name: str
    backbone: str
    input_shape: tuple[int, ...]
    timesteps: int
    batch: int
    compiles: bool = True  # False: the compiled variants are skipped (--quick: ResNet-19 compiles ~2 min on a CPU)


def cases(device: torch.device, quick: bool, full: bool, batch: int | None) -> list[Case]:
    """The issue's two cases; on the CPU ResNet-19 runs at a batch it can afford (the rates are per image) and is
    compiled only with --full (Inductor's C++ build of it takes 2-3 min there)."""
    if quick:
        return [
            Case("resnet19 T=2 16x16", "resnet19", (3, 16, 16), 2, batch or 2, compiles=False),
            Case("small_cnn digits T=2", "small_cnn", (1, 8, 8), 2, batch or 16),
        ]
    big = batch or (64 if device.type == "cuda" else 2)
    return [
        Case("resnet19 T=4 32x32", "resnet19", (3, 32, 32), 4, big, compiles=device.type == "cuda" or full),
        Case("small_cnn digits T=4", "small_cnn", (1, 8, 8), 4, batch or 64),
    ]


def variant_knobs(variant: str, device: torch.device) -> dict[str, Any]:
    base = {"precision": "fp32", "compile": "none", "lif_impl": "eager"}
    return {
        "papers_loop": base,
        "folded": base,
        "bf16": {**base, "precision": "bf16"},
        "compiled": {**base, "precision": "auto", "compile": "default"},
        "fused_lif": {**base, "precision": "auto", "lif_impl": "fused"},
        "all": {"precision": "auto", "compile": "default", "lif_impl": "fused"},
    }[variant]


# ---- the reference: the papers' loop (stateful single-step neurons, the network called once per time step)
class SingleStepLIF(nn.Module):
    """The same LIF as `neurons.generic.LIF`, one time step per call, its membrane kept between calls."""

    def __init__(self, lif: LIF) -> None:
        super().__init__()
        self.lif = lif
        self.membrane: torch.Tensor | None = None

    def forward(self, current: torch.Tensor) -> torch.Tensor:  # [1, B, ...]
        lif, x = self.lif, current[0]
        membrane = lif.decay * (self.membrane if self.membrane is not None else torch.zeros_like(x)) + x
        s = lif._spike.apply(membrane - lif.threshold, lif.width)
        self.membrane = membrane * (1 - s) if lif.reset == "hard" else membrane - s * lif.threshold
        return s.unsqueeze(0)


def to_single_step(module: nn.Module) -> list[SingleStepLIF]:
    """Replace every LIF of `module` by its single-step form; returns them (to reset between batches)."""
    replaced = []
    for name, child in list(module.named_children()):
        if isinstance(child, LIF):
            single = SingleStepLIF(child)
            setattr(module, name, single)
            replaced.append(single)
        else:
            replaced += to_single_step(child)
    return replaced


def papers_step(
    network: nn.Module, neurons: list[SingleStepLIF], optimizer: torch.optim.Optimizer, steps: int
) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    def step(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        for neuron in neurons:
            neuron.membrane = None
        logits = sum(network.backbone(x.unsqueeze(0))[0] for _ in range(steps)) / steps
        loss = nn.functional.cross_entropy(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.detach()

    return step


# ---- measurement
def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(case: Case, variant: str, device: torch.device, steps: int, warmup: int) -> dict[str, Any]:
    config = resolve(
        {
            "backbone": case.backbone,
            "neuron": "fsta",
            "timesteps": case.timesteps,
            "batch_size": case.batch,
            "optimizer": "sgd",
            "lr": 0.01,
            **variant_knobs(variant, device),
        }
    )
    torch.manual_seed(0)
    network = build_model(config, case.input_shape, 10).to(device)
    x = torch.rand(case.batch, *case.input_shape, device=device)
    y = torch.randint(0, 10, (case.batch,), device=device)
    compile_s = 0.0
    if variant == "papers_loop":
        neurons = to_single_step(network)
        step = papers_step(
            network, neurons, torch.optim.SGD(network.parameters(), lr=0.01, momentum=0.9), case.timesteps
        )
    else:
        trainer = Trainer.build(network, device, config)
        step = trainer.step
    network.train()
    for _ in range(warmup):
        step(x, y)
    if variant != "papers_loop":
        compile_s = trainer.compile_s
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    started = time.perf_counter()
    for _ in range(steps):
        loss = step(x, y)
    sync(device)
    elapsed = time.perf_counter() - started
    if not torch.isfinite(loss):
        raise RuntimeError(f"{case.name} / {variant}: the loss is {float(loss)}")
    peak_mib = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    del step, network
    gc.collect()
    torch._dynamo.reset()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return {"variant": variant, "img_per_s": case.batch * steps / elapsed, "peak_mib": peak_mib, "compile_s": compile_s}


def flops_per_image(case: Case, device: torch.device) -> float:
    """FLOPs of one folded fp32 training step (forward + backward), per image."""
    config = resolve({"backbone": case.backbone, "neuron": "fsta", "timesteps": case.timesteps})
    network = build_model(config, case.input_shape, 10).to(device).train()
    x = torch.rand(case.batch, *case.input_shape, device=device)
    y = torch.randint(0, 10, (case.batch,), device=device)
    with FlopCounterMode(display=False) as counter:
        nn.functional.cross_entropy(network(x), y).backward()
    return counter.get_total_flops() / case.batch


def device_peak(device: torch.device, given: float | None) -> tuple[str, float | None]:
    if device.type != "cuda":
        return "CPU", given
    name = torch.cuda.get_device_name(device)
    if given is not None:
        return name, given
    for key, peak in PEAK_BF16_TFLOPS.items():  # "H100 PCIe" is tried before "H100"
        if key in name:
            return name, peak
    return name, None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--quick", action="store_true", help="CI smoke: tiny shapes, one timed step")
    parser.add_argument("--full", action="store_true", help="on the CPU, compile ResNet-19 too (~6 more minutes)")
    parser.add_argument("--steps", type=int, help="timed steps (default 20 on CUDA, 3 on the CPU, 1 quick)")
    parser.add_argument("--warmup", type=int, help="untimed steps first, compilation included (default 3 / 1)")
    parser.add_argument("--batch", type=int, help="batch of both cases (default 64; ResNet-19 on the CPU: 4)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated subset")
    parser.add_argument("--peak-tflops", type=float, help="the device's bf16 dense peak, if not in the table")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (trials use 1)")
    parser.add_argument(
        "--cpu-bf16",
        action="store_true",
        help="also time bf16 autocast on the CPU (n/a by default: 3-8x slower without AMX)",
    )
    parser.add_argument("--json", action="store_true", help="also print the rows as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("CUDA is not visible", file=sys.stderr)
        return 1
    torch.set_num_threads(args.threads)
    steps = args.steps or (1 if args.quick else 20 if device.type == "cuda" else 3)
    warmup = args.warmup or (3 if device.type == "cuda" else 1)
    device_name, peak = device_peak(device, args.peak_tflops)
    variants = [v for v in args.variants.split(",") if v]
    print(
        f"device: {device_name} | torch {torch.__version__} | peak {peak or 'n/a'} TFLOP/s (bf16 dense) | "
        f"steps {steps} (+{warmup} warm-up) | threads {args.threads if device.type == 'cpu' else '-'}"
    )
    results = []
    for case in cases(device, args.quick, args.full, args.batch):
        flops = flops_per_image(case, device)
        chosen = [v for v in variants if case.compiles or variant_knobs(v, device)["compile"] == "none"]
        if len(chosen) < len(variants):
            print(f"\n{case.name}: compiled variants skipped on the CPU (--full runs them)")
        rows = [
            measure(case, variant, device, steps, warmup)
            if variant != "bf16" or device.type == "cuda" or args.cpu_bf16
            else {"variant": variant, "img_per_s": None}
            for variant in chosen
        ]
        reference = next((r["img_per_s"] for r in rows if r["variant"] == "papers_loop"), None)
        for row in rows:
            rate = row["img_per_s"]
            row["vs_papers_loop"] = rate / reference if reference and rate else None
            row["tflops"] = rate * flops / 1e12 if rate else None
            row["peak_fraction"] = row["tflops"] / peak if peak and rate else None
        print_table(case, flops, rows)
        results.append({"case": case.name, "batch": case.batch, "gflop_per_image": flops / 1e9, "rows": rows})
    if args.json:
        print(json.dumps({"device": device_name, "peak_tflops": peak, "steps": steps, "cases": results}, indent=2))
    return 0


def rate_text(rate: float) -> str:
    return f"{rate:.1f}" if rate >= 100 else f"{rate:.3g}"


def print_table(case: Case, flops: float, rows: list[dict[str, Any]]) -> None:
    print(f"\n{case.name}, batch {case.batch}, {flops / 1e9:.3g} GFLOP per image (fwd + bwd)")
    print(
        f"| {'variant':12} | {'img/s':>10} | {'vs papers':>9} | {'peak MiB':>9} | {'TFLOP/s':>8} | "
        f"{'% of peak':>9} | {'compile s':>9} |"
    )
    print(f"|{'-' * 14}|{'-' * 12}|{'-' * 11}|{'-' * 11}|{'-' * 10}|{'-' * 11}|{'-' * 11}|")
    for row in rows:
        if row["img_per_s"] is None:
            print(
                f"| {row['variant']:12} | {'n/a':>10} | {'n/a':>9} | {'n/a':>9} | {'n/a':>8} | {'n/a':>9} | "
                f"{'n/a':>9} |",
                flush=True,
            )
            continue
        ratio = f"{row['vs_papers_loop']:.2f}" if row["vs_papers_loop"] else "n/a"
        memory = f"{row['peak_mib']:.0f}" if row["peak_mib"] is not None else "n/a"
        share = f"{100 * row['peak_fraction']:.1f}" if row["peak_fraction"] is not None else "n/a"
        print(
            f"| {row['variant']:12} | {rate_text(row['img_per_s']):>10} | {ratio:>9} | {memory:>9} | "
            f"{row['tflops']:>8.4f} | {share:>9} | {row['compile_s']:>9.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
