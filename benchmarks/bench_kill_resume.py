"""Kill the driver of a real study with SIGKILL at a kill point (plus a random delay), `resume` it, count the damage.

For each kill point x N runs: a 4-trial digits grid (timesteps 1,2 x seeds 0,1, 3 epochs, a checkpoint every
epoch) is submitted in a fresh home, its driver's whole process group (its local Ray too, as a crash would) is
SIGKILLed, and `spikesweep resume` runs it to the end. Printed per kill point (sums over the runs):
  lost            trials without a COMPLETE row at the end (should be 0)
  continued       trials that ran again after the kill (registry attempts > 1)
  epochs again    epochs trained twice (steps logged twice in MLflow: lost since the last checkpoint)
  finished again  trials that had finished before the kill and ran again (should be 0)
  zombies kill    RUNNING left after the kill (registry + MLflow + Optuna), what resume has to close
  zombies end     RUNNING left anywhere after resume (should be 0)
  missed          kills that came after the study had completed (tried again, not counted; the final summary
                  lasts well under a second)

    PYTHONPATH=. python benchmarks/bench_kill_resume.py --runs 2
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

STUDY = {
    "study": "bench",
    "base": {"epochs": 3, "energy.samples": 16, "batch_size": 128, "checkpoint.every_epochs": 1},
    "design": {"kind": "grid", "factors": {"timesteps": [1, 2]}},
    "seeds": [0, 1],
    "resources": {"cpu": 1, "gpu": 0},
}
TRIALS = 4


def query(path: Path, sql: str) -> list[tuple]:
    if not path.exists():
        return []
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as connection:
            return connection.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []


def count(home: Path, state: str) -> int:
    found = query(home / "registry.db", f"SELECT count(*) FROM ss_trials WHERE state = '{state}'")
    return found[0][0] if found else 0


def study_status(home: Path) -> str | None:
    found = query(home / "registry.db", "SELECT status FROM ss_studies")
    return found[0][0] if found else None


KILL_POINTS: dict[str, Callable[[Path, int], bool]] = {
    "before first end": lambda home, k: count(home, "RUNNING") >= 1 and count(home, "COMPLETE") == 0,
    "mid-study": lambda home, k: count(home, "COMPLETE") >= k,
    "one trial left": lambda home, k: count(home, "COMPLETE") >= TRIALS - 1,
    "final summary": lambda home, k: count(home, "COMPLETE") == TRIALS and study_status(home) == "running",
}


def spikesweep(home: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "SPIKESWEEP_HOME": str(home), "SPIKESWEEP_HEARTBEAT_S": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "spikesweep", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env=env,
    )


def zombies(home: Path) -> int:
    registry = count(home, "RUNNING")
    mlflow = query(home / "mlflow.db", "SELECT count(*) FROM runs WHERE status = 'RUNNING'")
    optuna = query(home / "optuna.db", "SELECT count(*) FROM trials WHERE state = 'RUNNING'")
    return registry + (mlflow[0][0] if mlflow else 0) + (optuna[0][0] if optuna else 0)


def retrained_epochs(home: Path) -> int:
    found = query(
        home / "mlflow.db",
        "SELECT count(*) - count(DISTINCT run_uuid || ':' || step) FROM metrics WHERE key = 'accuracy'",
    )
    return found[0][0] if found else 0


def one_run(point: str, rng: random.Random, study_file: Path, root: Path) -> dict[str, float] | None:
    """One kill and resume; None when the kill came after the study completed (nothing to resume)."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=root))
    submit = spikesweep(home, "submit", str(study_file))
    threshold = rng.randint(1, TRIALS - 2)
    condition = KILL_POINTS[point]
    deadline = time.monotonic() + 600
    while not condition(home, threshold):
        if submit.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{point}: the study ended or stalled before the kill point")
        time.sleep(0.05)
    time.sleep(rng.uniform(0, 0.05 if point == "final summary" else 0.5))  # a random moment inside the window
    os.killpg(submit.pid, signal.SIGKILL)
    submit.wait()
    if study_status(home) == "completed":
        return None
    finished = set(
        query(home / "registry.db", "SELECT ray_trial_id, finished_at FROM ss_trials WHERE state = 'COMPLETE'")
    )
    left = zombies(home)
    started = time.perf_counter()
    resume = spikesweep(home, "resume", "bench")
    output, _ = resume.communicate(timeout=900)
    elapsed = time.perf_counter() - started
    if resume.returncode != 0:
        raise RuntimeError(f"resume failed: {output}")
    complete = set(
        query(home / "registry.db", "SELECT ray_trial_id, finished_at FROM ss_trials WHERE state = 'COMPLETE'")
    )
    arms = query(home / "registry.db", "SELECT count(DISTINCT arm || seed) FROM ss_trials WHERE state = 'COMPLETE'")
    continued = query(home / "registry.db", "SELECT count(*) FROM ss_trials WHERE attempts > 1")
    return {
        "lost": TRIALS - arms[0][0],
        "continued": continued[0][0],
        "epochs again": retrained_epochs(home),
        "finished again": len(finished - complete),
        "zombies kill": left,
        "zombies end": zombies(home),
        "resume s": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="random kill moments per kill point")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--points", nargs="*", default=list(KILL_POINTS), choices=list(KILL_POINTS))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-kill-") as folder:
        root = Path(folder)
        study_file = root / "bench.yaml"
        study_file.write_text(yaml.safe_dump(STUDY))
        columns = ["lost", "continued", "epochs again", "finished again", "zombies kill", "zombies end", "resume s"]
        print(f"| kill point | runs | {' | '.join(columns)} | missed |")
        print("|" + "---|" * (len(columns) + 3))
        for point in args.points:
            results: list[dict[str, float]] = []
            missed = 0
            while len(results) < args.runs and missed < 3 * args.runs:
                result = one_run(point, rng, study_file, root)
                if result is None:
                    missed += 1
                else:
                    results.append(result)
            sums = {c: sum(r[c] for r in results) for c in columns}
            sums["resume s"] = sums["resume s"] / max(1, len(results))  # the mean, not the sum
            cells = [f"{sums[c]:.1f}" if c == "resume s" else str(int(sums[c])) for c in columns]
            print(f"| {point} | {len(results)} | {' | '.join(cells)} | {missed} |", flush=True)


if __name__ == "__main__":
    main()
