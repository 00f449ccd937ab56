"""Seconds to validate (parse, check, expand) grid studies of 10^2, 10^3 and 10^4 trials, and to refuse one of
10^6 trials (the trial limit is checked before anything is expanded). In-process `load_study`, after imports,
best of --repeat runs; peak Python memory from tracemalloc.

    PYTHONPATH=$PWD python benchmarks/bench_validate.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

from spikesweep.platform.errors import UserError
from spikesweep.platform.study.validation import load_study

# (trials, timesteps values, batch_size values, lr values, seeds)
GRIDS = [(10**2, 5, 5, 2, 2), (10**3, 10, 10, 5, 2), (10**4, 10, 10, 10, 10), (10**6, 50, 100, 20, 10)]


def grid_file(folder: Path, timesteps: int, batches: int, lrs: int, seeds: int) -> Path:
    path = folder / f"grid-{timesteps}x{batches}x{lrs}x{seeds}.yaml"
    path.write_text(
        "study: bench\nbase: {dataset: digits, backbone: small_cnn, attention: none, epochs: 1}\n"
        "design:\n  kind: grid\n  factors:\n"
        f"    timesteps: [{', '.join(str(t) for t in range(1, timesteps + 1))}]\n"
        f"    batch_size: [{', '.join(str(8 * b) for b in range(1, batches + 1))}]\n"
        f"    lr: [{', '.join(str(round(0.001 * (i + 1), 4)) for i in range(lrs))}]\n"
        f"seeds: [{', '.join(str(s) for s in range(seeds))}]\n"
    )
    return path


def validate(path: Path) -> str:
    try:
        return f"ok, {len(load_study(str(path)).specs)} trials"
    except UserError as error:
        return "refused: " + str(error).split(": ", 2)[-1][:60]


def measure(path: Path, repeat: int) -> tuple[float, int, str]:
    """(best seconds of `repeat` runs, peak bytes of one traced run, outcome) of load_study."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        outcome = validate(path)
        times.append(time.perf_counter() - start)
    tracemalloc.start()  # a separate run: tracing slows Python down several times
    validate(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return min(times), peak, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        load_study(str(grid_file(Path(tmp), 1, 1, 1, 1)))  # warm-up: plugin and knob registries load once
        print(f"{'trials':>8}  {'seconds':>8}  {'peak MB':>8}  outcome")
        for trials, *sizes in GRIDS:
            path = grid_file(Path(tmp), *sizes)
            seconds, peak, outcome = measure(path, args.repeat)
            print(f"{trials:>8}  {seconds:8.3f}  {peak / 2**20:8.1f}  {outcome}")


if __name__ == "__main__":
    main()
