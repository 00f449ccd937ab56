"""Start-up time of the fast commands, beside a bare `python -c pass` on the same interpreter.

Each command runs in a fresh process (`python -m spikesweep ...`) `--repeat` times against a throw-away home;
the median wall time is printed with the modules among torch/ray/mlflow/optuna that the command loaded (none is
the goal). Targets on a quiet machine: --help <= 0.3 s, validate of a built-in file <= 1 s, list/status <= 1.5 s.

    PYTHONPATH=. python benchmarks/bench_startup.py            # 5 runs each
    PYTHONPATH=. python benchmarks/bench_startup.py --repeat 9
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "ray", "mlflow", "optuna")
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "--help": ["-m", "spikesweep", "--help"],
    "--version": ["-m", "spikesweep", "--version"],
    "validate quickstart": ["-m", "spikesweep", "validate", str(ROOT / "search_spaces" / "quickstart.yaml")],
    "list": ["-m", "spikesweep", "list"],
    "status": ["-m", "spikesweep", "status"],
    "knobs": ["-m", "spikesweep", "knobs", "fsta"],
    "spaces": ["-m", "spikesweep", "spaces"],
    "schema": ["-m", "spikesweep", "schema"],
}
TARGETS = {"--help": 0.3, "validate quickstart": 1.0, "list": 1.5, "status": 1.5}
# prints the heavy modules a command loaded, at interpreter exit, on stderr
PROBE = (
    "import atexit, sys; atexit.register(lambda: print('HEAVY=' + ','.join(sorted({m.split('.')[0] for m in "
    f"sys.modules}} & set({HEAVY!r}))), file=sys.stderr))"
)


def run_once(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def heavy_modules(args: list[str], env: dict[str, str]) -> str:
    if args[0] != "-m":
        return "-"
    code = f"{PROBE}; import runpy; sys.argv = ['spikesweep', *{args[2:]!r}]; "
    code += "runpy.run_module('spikesweep', run_name='__main__')"
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True)
    lines = [line for line in done.stderr.splitlines() if line.startswith("HEAVY=")]
    return (lines[-1][6:] or "none") if lines else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (median printed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SPIKESWEEP_HOME": home, "PYTHONPATH": str(ROOT)}
        run_once(COMMANDS["list"], env)  # creates the stores once, outside the timing
        print(f"{'command':<22}{'median s':>10}{'min s':>8}{'target s':>10}  heavy modules loaded")
        for name, command in COMMANDS.items():
            times = [run_once(command, env) for _ in range(args.repeat)]
            target = f"{TARGETS[name]:.1f}" if name in TARGETS else ""
            print(
                f"{name:<22}{statistics.median(times):>10.3f}{min(times):>8.3f}{target:>10}  "
                f"{heavy_modules(command, env)}"
            )


if __name__ == "__main__":
    main()
