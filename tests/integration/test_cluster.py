"""Beyond one machine, tested here with the deployment's own entry points (docker/entrypoints/*.sh):
PostgreSQL with three databases, the MLflow tracking server on it serving artifacts, and a two-node Ray cluster
with token authentication, all on this machine. A study runs with every store on PostgreSQL/HTTP; then four
studies (plus a duplicate name) start at once on one fresh SQLite home through the same cluster.

Skipped only where the PostgreSQL server binaries are absent (`.ci/run` installs them).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ROOT / "docker" / "entrypoints"
USER = "lab"
CLUSTER_STUDY = """\
study: cluster
description: two nodes, event frames built per node
base:
  dataset: neuro_digits
  neuro_digits.upscale: 1
  backbone: small_cnn
  attention: none
  neuron: generic
  timesteps: 2
  epochs: 1
  lr: 0.05
  batch_size: 128
design:
  kind: grid
  factors:
    neuron.threshold: [0.5, 1.0]
    lr: [0.05, 0.1]
seeds: [0]
objectives: {accuracy: max, energy_mj: min}
resources: {cpu: 1, gpu: 0}
scheduler: {kind: none}
"""
SMALL_STUDY = CLUSTER_STUDY.replace("neuro_digits", "digits").replace("  digits.upscale: 1\n", "")
SMALL_STUDY = SMALL_STUDY.replace("    lr: [0.05, 0.1]\n", "")


def postgres_bin() -> str | None:
    if shutil.which("initdb") and shutil.which("postgres"):
        return str(Path(shutil.which("initdb") or "").parent)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return str(Path(found[-1]).parent) if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, ready, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Poll `ready()` until it is true; fail with the log's tail if the process died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited {process.returncode}: {log.read_text()[-3000:]}")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{what} not ready after {timeout} s: {log.read_text()[-3000:]}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Stack:
    """The processes this test started (each in its own session, stopped by process group at the end)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self, name: str, script: str, env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
        log = self.base / f"{name}.log"
        with open(log, "w") as out:
            process = subprocess.Popen(
                [str(ENTRY / script)], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        self.logs.append(log)
        return process, log

    def stop(self) -> None:
        for process in reversed(self.processes):
            with_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in reversed(self.processes):
            try:
                process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with_group(process.pid, signal.SIGKILL)
        for process in self.processes:  # workers that outlived their parent in the same group
            with_group(process.pid, signal.SIGKILL)
        for cmdline in glob.glob("/proc/[0-9]*/cmdline"):  # and any process of ours that left the group
            try:
                if str(self.base).encode() in Path(cmdline).read_bytes():
                    os.kill(int(Path(cmdline).parent.name), signal.SIGKILL)
            except (OSError, ValueError):
                pass


def with_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    pg_bin = postgres_bin()
    if pg_bin is None:
        pytest.skip("PostgreSQL server binaries (initdb, postgres) are not installed: apt-get install postgresql")
    with cluster_stack(pg_bin) as started:
        yield started


@contextmanager
def cluster_stack(pg_bin: str) -> Iterator[dict[str, Any]]:
    """PostgreSQL, the MLflow server and a two-node Ray, started through docker/entrypoints/ (also used by
    benchmarks/bench_cluster.py); everything is stopped and removed at the end."""
    base = Path(tempfile.mkdtemp(prefix="spikesweep-cluster-"))
    os.chmod(base, 0o755)  # the postgres user reaches its data folder inside
    stack = Stack(base)
    password = "pw-" + secrets.token_hex(8)
    token = secrets.token_hex(32)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RAY_", "SPIKESWEEP_", "MLFLOW_"))}
    try:
        pg_port = free_port()
        postgres, pg_log = stack.start(
            "postgres",
            "postgres.sh",
            {
                **clean,
                "POSTGRES_USER": USER,
                "POSTGRES_PASSWORD": password,
                "PGDATA": str(base / "pgdata"),
                "PGPORT": str(pg_port),
                "PG_BIN": pg_bin,
            },
        )
        uri = f"postgresql://{USER}:{password}@127.0.0.1:{pg_port}"

        def pg_ready() -> bool:
            import psycopg2

            try:
                psycopg2.connect(f"{uri}/mlflow", connect_timeout=2).close()
                return True
            except psycopg2.OperationalError:
                return False

        wait_for("postgres", pg_ready, postgres, pg_log)
        ml_port = free_port()
        mlflow, ml_log = stack.start(
            "mlflow",
            "mlflow.sh",
            {
                **clean,
                "MLFLOW_BACKEND_STORE_URI": f"postgresql+psycopg2://{USER}:{password}@127.0.0.1:{pg_port}/mlflow",
                "MLFLOW_ARTIFACTS_DESTINATION": str(base / "mlartifacts"),
                "MLFLOW_PORT": str(ml_port),
                "PYTHON": sys.executable,
            },
        )
        ray_env = {
            **clean,
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": token,
            "RAY_NUM_CPUS": "1",
            "RAY_NUM_GPUS": "0",
            "RAY_OBJECT_STORE_BYTES": str(80 * 2**20),
            "RAY": str(Path(sys.executable).parent / "ray"),
            "OMP_NUM_THREADS": "1",
        }
        ray_port = free_port()
        head, head_log = stack.start(
            "ray-head",
            "ray-head.sh",
            {
                **ray_env,
                "RAY_PORT": str(ray_port),
                "RAY_TEMP_DIR": str(base / "ray-head"),
                "SPIKESWEEP_CACHE_DIR": str(base / "cache-head"),
                "PYTHONPATH": str(ROOT),
            },
        )
        wait_for("ray head", lambda: "Ray runtime started" in head_log.read_text(), head, head_log)
        from ray._private.services import get_node_ip_address

        address = f"{get_node_ip_address()}:{ray_port}"
        shadow = base / "shadow" / "spikesweep"  # this node has no usable spikesweep: the driver must ship it
        shadow.mkdir(parents=True)
        (shadow / "__init__.py").write_text('raise ImportError("spikesweep is not installed on this node")\n')
        worker, worker_log = stack.start(
            "ray-worker",
            "ray-worker.sh",
            {
                **ray_env,
                "RAY_HEAD_ADDRESS": address,
                "RAY_RESOURCES": '{"node2": 1}',
                "RAY_TEMP_DIR": str(base / "ray-worker"),
                "SPIKESWEEP_CACHE_DIR": str(base / "cache-worker"),
                "PYTHONPATH": str(shadow.parent),
            },
        )
        wait_for("mlflow server", lambda: port_open(ml_port), mlflow, ml_log)
        wait_for("ray worker", lambda: "Ray runtime started" in worker_log.read_text(), worker, worker_log)
        yield {
            "base": base,
            "stack": stack,
            "password": password,
            "token": token,
            "address": address,
            "pg": uri,
            "mlflow": f"http://127.0.0.1:{ml_port}",
            "clean": clean,
        }
    finally:
        stack.stop()
        shutil.rmtree(base, ignore_errors=True)


def submit(stack: dict[str, Any], home: Path, study: Path, stores: dict[str, str], *extra: str) -> subprocess.Popen:
    env = {
        **stack["clean"],
        **stores,
        "RAY_ADDRESS": stack["address"],
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": stack["token"],
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
    }
    return subprocess.Popen(  # not from the checkout: Ray hands the driver's folder to every worker's sys.path
        [sys.executable, "-m", "spikesweep", "--home", str(home), "submit", str(study), "--json", *extra],
        env=env,
        cwd=study.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def watch_process_list(secret: str, stop: threading.Event, seen: list[str]) -> None:
    """Sample every process's command line while the study runs; keep any that shows the secret."""
    while not stop.is_set():
        for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
            try:
                text = Path(cmdline).read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if secret in text:
                seen.append(text)
        stop.wait(0.5)


def files_holding(folder: Path, secret: str) -> list[str]:
    hits = []
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink() and secret.encode() in path.read_bytes():
                hits.append(str(path))
        except OSError:
            pass
    return hits


def test_a_study_on_postgres_the_tracking_server_and_two_ray_nodes(stack, tmp_path):
    from mlflow.tracking import MlflowClient
    from optuna.trial import TrialState

    from spikesweep.platform.stores import Registry
    from spikesweep.platform.stores.optuna_store import load_study
    from spikesweep.platform.stores.uris import normalize

    password, base = stack["password"], stack["base"]
    study = tmp_path / "cluster.yaml"
    study.write_text(CLUSTER_STUDY)
    home = tmp_path / "home"
    stores = {
        "SPIKESWEEP_MLFLOW_URI": stack["mlflow"],
        "SPIKESWEEP_OPTUNA_URI": f"{stack['pg']}/optuna",
        "SPIKESWEEP_REGISTRY_URI": f"{stack['pg']}/registry",
    }
    stop, seen = threading.Event(), []
    watcher = threading.Thread(target=watch_process_list, args=(password, stop, seen), daemon=True)
    watcher.start()
    started = time.monotonic()
    process = submit(stack, home, study, stores)
    out, err = process.communicate(timeout=600)
    stop.set()
    watcher.join()
    print(f"\ncluster study (PostgreSQL + tracking server + 2 Ray nodes): {time.monotonic() - started:.1f} s")
    assert process.returncode == 0, err[-4000:]
    outcome = json.loads(out.strip().splitlines()[-1])
    assert outcome["status"] == "completed" and outcome["counts"] == {"COMPLETE": 4}
    assert "shipping it (py_modules)" in err  # the worker node had no spikesweep

    # registry on PostgreSQL: every trial, each with its node; trials ran on both nodes
    with Registry(normalize(stores["SPIKESWEEP_REGISTRY_URI"]), read_only=True) as registry:
        row = registry.require_study("cluster")
        trials = registry.trials("cluster")
    assert row.status == "completed" and len(trials) == 4
    assert all(t.state == "COMPLETE" and t.node for t in trials)
    assert len({t.node for t in trials}) == 2, [t.node for t in trials]

    # MLflow through the tracking server: the node tag of every child run, artifacts proxied by the server
    client = MlflowClient(tracking_uri=stack["mlflow"])
    experiment = client.get_experiment(row.mlflow_experiment_id)
    assert experiment.artifact_location.startswith("mlflow-artifacts:")
    children = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{row.mlflow_parent_run_id}'"
    )
    assert {run.info.run_id: run.data.tags["spikesweep.node"] for run in children} == {
        t.mlflow_run_id: t.node for t in trials
    }
    assert all(run.info.status == "FINISHED" and "accuracy" in run.data.metrics for run in children)
    config = client.download_artifacts(children[0].info.run_id, "config.yaml", str(tmp_path))
    assert "neuro_digits" in Path(config).read_text()
    assert list((base / "mlartifacts").rglob("config.yaml"))  # stored on the server's side

    # Optuna on PostgreSQL: the same four trials, told COMPLETE with their values
    optuna_study = load_study(normalize(stores["SPIKESWEEP_OPTUNA_URI"]), "cluster")
    told = optuna_study.get_trials(states=(TrialState.COMPLETE,))
    assert sorted(t.number for t in told) == sorted(t.optuna_trial_number for t in trials)

    # event frames were built where they were read: the driver's cache and one per node
    for cache in (home / "cache", base / "cache-head", base / "cache-worker"):
        assert [p.name.split("-")[0] for p in (cache / "frames").iterdir()] == ["neuro_digits"], cache

    # nothing in the local home's SQLite files; the password nowhere
    assert not list(home.glob("*.db"))
    assert password not in out + err
    assert not seen, seen[:1]
    for folder in (home, base / "ray-head", base / "ray-worker", base / "mlartifacts"):
        assert not files_holding(folder, password), folder
    assert all(password not in log.read_text(errors="replace") for log in stack["stack"].logs)
    stored = [str(row)] + [str(t) for t in trials]
    stored += [str(run.data.params) + str(run.data.tags) for run in children]
    stored += [str(t.user_attrs) + str(t.system_attrs) for t in told]
    assert not [text for text in stored if password in text]


def test_four_studies_at_once_on_a_fresh_sqlite_home_through_the_cluster(stack, tmp_path):
    from spikesweep.platform.stores import Registry

    study = tmp_path / "small.yaml"
    study.write_text(SMALL_STUDY)
    home = tmp_path / "home"
    names = [f"conc-{i}" for i in range(4)]
    started = time.monotonic()
    processes = [submit(stack, home, study, {}, "--name", name) for name in [*names, names[0]]]
    outputs = [p.communicate(timeout=600) for p in processes]
    results = [(p.returncode, out, err) for p, (out, err) in zip(processes, outputs)]
    print(f"\n4 studies x 2 trials at once (+1 duplicate name), fresh SQLite home: {time.monotonic() - started:.1f} s")
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 0, 0, 0, 2], [err[-2000:] for _, _, err in results]
    duplicate = next(err for code, _, err in results if code == 2)
    assert "already exists" in duplicate and "Traceback" not in duplicate
    for code, _, err in results:
        assert ("Traceback" not in err and "already exists" not in err) or code == 2, err[-2000:]
    from mlflow.tracking import MlflowClient

    from spikesweep.platform.stores.optuna_store import load_study

    client = MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    with Registry(f"sqlite:///{home / 'registry.db'}", read_only=True) as registry:
        for name in names:
            row = registry.require_study(name)
            trials = registry.trials(name)
            assert row.status == "completed" and [t.state for t in trials] == ["COMPLETE", "COMPLETE"], name
            runs = client.search_runs(
                [row.mlflow_experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{row.mlflow_parent_run_id}'"
            )
            assert sorted(r.info.run_id for r in runs) == sorted(t.mlflow_run_id for t in trials)
            optuna_study = load_study(f"sqlite:///{home / 'optuna.db'}", name)
            assert optuna_study is not None and len(optuna_study.trials) == 2


@pytest.mark.parametrize(
    ("store", "uri", "reason"),
    [
        ("registry", "postgresql://{user}:wrong-{password}@{host}/registry", "password authentication failed"),
        ("optuna", "postgresql://{user}:{password}@{host}/no_such_db", 'database "no_such_db" does not exist'),
    ],
)
def test_a_wrong_password_or_a_missing_database_is_one_line_and_nothing_written(
    stack, tmp_path, monkeypatch, capsys, store, uri, reason
):
    from spikesweep.platform.cli import main

    host = stack["pg"].rsplit("@", 1)[1]
    variable = f"SPIKESWEEP_{store.upper()}_URI"
    monkeypatch.setenv(variable, uri.format(user=USER, password=stack["password"], host=host))
    study = tmp_path / "s.yaml"
    study.write_text(SMALL_STUDY)
    assert main(["--home", str(tmp_path / "home"), "submit", str(study)]) == 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{store} store postgresql+psycopg2://{USER}:***@"), err
    assert reason in lines[0] and stack["password"] not in out + err
    assert not (tmp_path / "home").exists()
