"""Trials per hour of a 16-trial digits-scale study on one device: one trial at a time vs k packed per device.

Each packing level k runs the same 16 `run_trial` calls (small_cnn on digits, T cycling over 1, 2, 4, seeds 0-15)
in k worker processes on the one device, each capped at 1/k of the GPU's memory with
`torch.cuda.set_per_process_memory_fraction` (what a Ray trial at `resources.gpu = 1/k` does inside the trial;
Ray's fractions limit nothing by themselves). Workers start and import before the clock starts, as Ray's reused
trial actors would; the trials' own data loading and model building are timed. Without Ray: this measures the
device, not the scheduler.

Level `auto` is `resources.gpu: auto`: one probe of the study's model (`workers.probe_trial`, in a worker
process), each trial's fraction from `platform/run/packing.py` (T-aware), and trials started while the fractions
of those running sum to at most 1, each enforcing its own fraction (`TrialEnv.gpu_fraction`). CUDA only.

    PYTHONPATH=. python benchmarks/bench_packing.py --device cuda                 # levels 1, 2, 4, 8, 16, auto
    PYTHONPATH=. python benchmarks/bench_packing.py --device cpu --levels 1,2     # tiny trials, CPU figures
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TIMESTEPS = (1, 2, 4)


def study(trials: int, epochs: int, device: str) -> list[dict[str, Any]]:
    """The study's trial configurations: small_cnn on digits, T cycling over 1, 2, 4, one seed each."""
    return [
        {
            "dataset": "digits",
            "backbone": "small_cnn",
            "neuron": "fsta",
            "timesteps": TIMESTEPS[i % 3],
            "seed": i,
            "epochs": epochs,
            "batch_size": 64,
            "optimizer": "adam",
            "lr": 0.01,
            "device": device,
            "energy.samples": 32,
        }
        for i in range(trials)
    ]


def _start_worker(fraction: float, device: str, threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    if device == "cuda":
        torch.cuda.init()
        torch.cuda.set_per_process_memory_fraction(fraction)
    import spikesweep.workers  # noqa: F401  (the import cost is paid before the clock starts)


def _run_one(config: dict[str, Any]) -> dict[str, Any]:
    from spikesweep.workers import run_trial

    started = time.perf_counter()
    final = run_trial(config, lambda metrics: None)
    return {"accuracy": final["accuracy"], "seconds": time.perf_counter() - started, "pid": os.getpid()}


def _run_capped(config: dict[str, Any], fraction: float) -> dict[str, Any]:
    from spikesweep.workers import TrialEnv, run_trial

    started = time.perf_counter()
    final = run_trial(config, lambda metrics: None, TrialEnv(gpu_fraction=fraction))
    return {"accuracy": final["accuracy"], "seconds": time.perf_counter() - started, "fraction": fraction}


def _probe(config: dict[str, Any]) -> dict[str, Any]:
    from spikesweep.workers import probe_trial

    return probe_trial(config)


def auto_fractions(configs: list[dict[str, Any]], device: str, threads: int) -> list[float]:
    """Each trial's GPU fraction under `resources.gpu: auto`: one probe per probe key, then the packing math."""
    from spikesweep.platform.run.packing import GpuPlan, ProbeFit, probe_key
    from spikesweep.workers import resolve

    resolved = [resolve(config) for config in configs]
    keys = {probe_key(config): config for config in resolved}
    with mp.get_context("spawn").Pool(1, initializer=_start_worker, initargs=(1.0, device, threads)) as pool:
        fits = {key: ProbeFit.from_probe(pool.apply(_probe, (config,))) for key, config in keys.items()}
    plan = GpuPlan(fits)
    return [plan.fraction(config) for config in resolved]


def run_auto(configs: list[dict[str, Any]], device: str, threads: int) -> dict[str, Any]:
    """Trials started in order while the fractions of the running ones sum to at most 1 (Ray's bin packing of one
    GPU), each capped at its own fraction."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    fractions = auto_fractions(configs, device, threads)
    workers = round(1 / min(fractions))
    context = mp.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(1.0, device, threads)
    ) as pool:
        list(pool.map(_ready, range(workers * 4)))
        started = time.perf_counter()
        queue, running, results, used = list(zip(configs, fractions)), {}, [], 0.0
        while queue or running:
            while queue and used + queue[0][1] <= 1.0 + 1e-9:
                config, fraction = queue.pop(0)
                running[pool.submit(_run_capped, config, fraction)] = fraction
                used += fraction
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                used -= running.pop(future)
                results.append(future.result())
        wall = time.perf_counter() - started
    shares = sorted(set(fractions))
    return {
        "packed": "auto",
        "fraction": " ".join(f"{f:.3g}" for f in shares),
        "wall_s": wall,
        "trials_per_hour": len(configs) * 3600 / wall,
        "mean_trial_s": sum(r["seconds"] for r in results) / len(results),
        "mean_accuracy": sum(r["accuracy"] for r in results) / len(results),
    }


def _ready(_: int) -> int:
    time.sleep(0.05)  # long enough that every worker takes some: all of them have started and imported
    return os.getpid()


def run_level(configs: list[dict[str, Any]], packed: int, device: str, threads: int) -> dict[str, Any]:
    """All trials through `packed` processes sharing the device; wall time and trials/hour."""
    context = mp.get_context("spawn")  # CUDA needs spawned workers
    with context.Pool(packed, initializer=_start_worker, initargs=(1.0 / packed, device, threads)) as pool:
        pool.map(_ready, range(packed * 4))  # every worker started and imported
        started = time.perf_counter()
        results = pool.map(_run_one, configs, chunksize=1)
        wall = time.perf_counter() - started
    return {
        "packed": packed,
        "fraction": 1.0 / packed,
        "wall_s": wall,
        "trials_per_hour": len(configs) * 3600 / wall,
        "mean_trial_s": sum(r["seconds"] for r in results) / len(results),
        "mean_accuracy": sum(r["accuracy"] for r in results) / len(results),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument(
        "--levels",
        help="trials per device to try, comma-separated, `auto` for resources.gpu: auto "
        "(CUDA 1,2,4,8,16,auto; CPU 1,2)",
    )
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--epochs", type=int, help="epochs per trial (CUDA 5, CPU 1)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per trial process")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        print("CUDA is not visible", file=sys.stderr)
        return 1
    levels = (args.levels or ("1,2,4,8,16,auto" if cuda else "1,2")).split(",")
    if "auto" in levels and not cuda:
        print("level auto needs CUDA (the probe measures GPU memory): left out", file=sys.stderr)
        levels.remove("auto")
    epochs = args.epochs or (5 if cuda else 1)
    name = torch.cuda.get_device_name() if cuda else f"CPU ({os.cpu_count()} cores; the figures are CPU figures)"
    print(f"device: {name} | {args.trials} trials of small_cnn on digits, T in {TIMESTEPS}, {epochs} epoch(s) each")
    configs = study(args.trials, epochs, args.device)
    rows = []
    print(
        f"| {'per device':>10} | {'fraction':>8} | {'wall s':>8} | {'trials/hour':>11} | {'vs 1':>5} | "
        f"{'trial s':>7} | {'accuracy':>8} |"
    )
    print(f"|{'-' * 12}|{'-' * 10}|{'-' * 10}|{'-' * 13}|{'-' * 7}|{'-' * 9}|{'-' * 10}|")
    for level in levels:
        auto = level == "auto"
        row = (
            run_auto(configs, args.device, args.threads)
            if auto
            else run_level(configs, int(level), args.device, args.threads)
        )
        row["vs_one"] = row["trials_per_hour"] / rows[0]["trials_per_hour"] if rows else 1.0
        rows.append(row)
        fraction = row["fraction"] if auto else f"{row['fraction']:.3f}"
        print(
            f"| {level:>10} | {fraction:>8} | {row['wall_s']:>8.1f} | {row['trials_per_hour']:>11.0f} | "
            f"{row['vs_one']:>5.2f} | {row['mean_trial_s']:>7.2f} | {row['mean_accuracy']:>8.3f} |",
            flush=True,
        )
    if args.json:
        print(json.dumps({"device": name, "epochs": epochs, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
