"""Parameter count and training throughput of every backbone x attention module.

Training images/s = forward + cross-entropy + backward + SGD step, timed over a few batches after warm-up, on the
CPU (fp32, fixed thread count) and, when visible, on CUDA with bf16 autocast. Example (small and quick):

    python benchmarks/bench_models.py --backbones small_cnn,resnet20 --input-shape 3,16,16 --batch 4
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spikesweep.workers import ATTENTIONS, BACKBONES, KnobError, build_model


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", default=",".join(BACKBONES.names()), help="comma-separated (default: all)")
    parser.add_argument("--attentions", default="none,fsta", help="comma-separated (default: none,fsta)")
    parser.add_argument(
        "--device", default="all", choices=("all", "cpu", "cuda"), help="all = the CPU, plus CUDA when visible"
    )
    parser.add_argument("--batch", type=int, default=8, help="training batch size")
    parser.add_argument("--timesteps", type=int, default=4, help="time steps T")
    parser.add_argument("--input-shape", default="3,32,32", help="C,H,W of the static input")
    parser.add_argument("--num-classes", type=int, default=10)
    parser.add_argument("--neuron", default="fsta", help="neuron preset (default: fsta)")
    parser.add_argument("--steps", type=int, default=3, help="timed training steps")
    parser.add_argument("--warmup", type=int, default=1, help="untimed training steps first")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    return parser.parse_args(argv)


def images_per_second(
    model: torch.nn.Module,
    device: torch.device,
    batch: int,
    input_shape: tuple[int, ...],
    num_classes: int,
    steps: int,
    warmup: int,
) -> float:
    """Training throughput: forward + loss + backward + SGD step on random data already on the device."""
    model.to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, *input_shape, device=device)
    y = torch.randint(0, num_classes, (batch,), device=device)
    use_bf16 = device.type == "cuda"

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    input_shape = tuple(int(v) for v in args.input_shape.split(","))
    devices = [torch.device("cpu")] if args.device in ("all", "cpu") else []
    if args.device in ("all", "cuda") and torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    if not devices:
        print("no device to run on (CUDA is not visible)", file=sys.stderr)
        return 1
    rows = []
    for backbone in args.backbones.split(","):
        for attention in args.attentions.split(","):
            if attention not in ATTENTIONS or backbone not in BACKBONES:
                print(f"skip {backbone} x {attention}: not registered", file=sys.stderr)
                continue
            knobs = {"backbone": backbone, "attention": attention, "neuron": args.neuron, "timesteps": args.timesteps}
            try:
                model = build_model(knobs, input_shape, args.num_classes)
            except (KnobError, ValueError) as error:
                print(f"skip {backbone} x {attention}: {error}", file=sys.stderr)
                continue
            row = {"backbone": backbone, "attention": attention, "params": sum(p.numel() for p in model.parameters())}
            for device in devices:
                torch.manual_seed(0)
                row[f"{device.type}_img_per_s"] = images_per_second(
                    model, device, args.batch, input_shape, args.num_classes, args.steps, args.warmup
                )
            rows.append(row)
            print_row(row, devices, header=len(rows) == 1, quiet=args.json)
    if args.json:
        print(
            json.dumps(
                {
                    "batch": args.batch,
                    "timesteps": args.timesteps,
                    "input_shape": list(input_shape),
                    "threads": args.threads,
                    "rows": rows,
                },
                indent=2,
            )
        )
    return 0


def print_row(row: dict, devices: list[torch.device], header: bool, quiet: bool) -> None:
    if quiet:
        return
    columns = [f"{d.type} img/s" + (" (bf16)" if d.type == "cuda" else "") for d in devices]
    if header:
        print(f"{'backbone':14} {'attention':10} {'params':>12}  " + "  ".join(f"{c:>16}" for c in columns))
    rates = "  ".join(f"{row[f'{d.type}_img_per_s']:>16.1f}" for d in devices)
    print(f"{row['backbone']:14} {row['attention']:10} {row['params']:>12,}  {rates}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
