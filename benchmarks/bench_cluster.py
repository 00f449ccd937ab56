"""The quickstart on the SQLite default vs on PostgreSQL + the MLflow tracking server + two Ray nodes (this
machine, same run), and N studies submitted at once against fresh PostgreSQL stores (each study: the quickstart).

    PYTHONPATH=. python benchmarks/bench_cluster.py [--concurrent 4] [--epochs 3]

The stack is started with the deployment's entry points (docker/entrypoints/*.sh), as in
tests/integration/test_cluster.py. Prints wall times and per-store trial counts.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "spikesweep" / "search_spaces" / "quickstart.yaml"


def load_test_module():
    spec = importlib.util.spec_from_file_location("cluster_test", ROOT / "tests" / "integration" / "test_cluster.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def run(env: dict[str, str], home: Path, name: str, epochs: int, cwd: Path) -> tuple[subprocess.Popen, float]:
    command = [sys.executable, "-m", "spikesweep", "--home", str(home), "submit", str(QUICKSTART), "--json"]
    command += ["--name", name, "--set", f"epochs={epochs}"]
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, time.monotonic()


def finish(process: subprocess.Popen, started: float) -> tuple[float, dict]:
    out, err = process.communicate(timeout=3600)
    wall = time.monotonic() - started
    if process.returncode != 0:
        raise SystemExit(f"submit failed ({process.returncode}): {err[-3000:]}")
    return wall, json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrent", type=int, default=4, help="studies submitted at once on PostgreSQL")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per trial (the quickstart's is 3)")
    args = parser.parse_args()
    cluster = load_test_module()
    pg_bin = cluster.postgres_bin()
    if pg_bin is None:
        raise SystemExit("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    work = Path(tempfile.mkdtemp(prefix="spikesweep-bench-"))
    import os

    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "SPIKESWEEP_", "MLFLOW_"))}
    base_env.update({"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    with cluster.cluster_stack(pg_bin) as stack:
        shared = {
            **base_env,
            "RAY_ADDRESS": stack["address"],
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": stack["token"],
            "SPIKESWEEP_MLFLOW_URI": stack["mlflow"],
            "SPIKESWEEP_OPTUNA_URI": f"{stack['pg']}/optuna",
            "SPIKESWEEP_REGISTRY_URI": f"{stack['pg']}/registry",
        }
        # 1. N studies at once against the fresh PostgreSQL databases and the tracking server
        started = [run(shared, work / f"c{i}", f"conc-{i}", args.epochs, work) for i in range(args.concurrent)]
        t0 = time.monotonic()
        results = [finish(process, start) for process, start in started]
        wall = time.monotonic() - t0
        counts = [r[1]["counts"] for r in results]
        print(f"{args.concurrent} studies at once on fresh PostgreSQL + tracking server + 2 Ray nodes: {wall:.1f} s")
        print(f"  trial counts per study: {counts}")
        from mlflow.tracking import MlflowClient
        from optuna.trial import TrialState

        from spikesweep.platform.stores import Registry
        from spikesweep.platform.stores.optuna_store import load_study
        from spikesweep.platform.stores.uris import normalize

        client = MlflowClient(tracking_uri=stack["mlflow"])
        with Registry(normalize(shared["SPIKESWEEP_REGISTRY_URI"]), read_only=True) as registry:
            for i in range(args.concurrent):
                name = f"conc-{i}"
                row = registry.require_study(name)
                trials = registry.trials(name)
                runs = client.search_runs(
                    [row.mlflow_experiment_id], f"tags.`mlflow.parentRunId` = '{row.mlflow_parent_run_id}'"
                )
                told = load_study(normalize(shared["SPIKESWEEP_OPTUNA_URI"]), name)
                complete = len(told.get_trials(states=(TrialState.COMPLETE,))) if told else 0
                nodes = len({t.node for t in trials})
                print(
                    f"  {name}: {row.status}, registry {len(trials)} trials on {nodes} nodes, "
                    f"MLflow {len(runs)} child runs, Optuna {complete} COMPLETE"
                )
        # 2. the quickstart alone: cluster, then the SQLite default with its private local Ray
        wall_cluster, outcome = finish(*run(shared, work / "q-cluster", "quickstart", args.epochs, work))
        print(f"quickstart on PostgreSQL + tracking server + 2 Ray nodes: {wall_cluster:.1f} s {outcome['counts']}")
    local = {**base_env, "RAY_AUTH_MODE": "disabled"}
    wall_local, outcome = finish(*run(local, work / "q-sqlite", "quickstart", args.epochs, work))
    print(f"quickstart on the SQLite default (private local Ray): {wall_local:.1f} s {outcome['counts']}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
