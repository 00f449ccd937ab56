"""`spikesweep ui [STUDY] [--port]`: the MLflow UI over this home's tracking store, bound to 127.0.0.1, with the
URL of the study's runs table (model-training mode: MLflow 3's UI opens experiments in its GenAI mode otherwise).

The store URI goes to `mlflow ui` through its environment (MLFLOW_BACKEND_STORE_URI), never its command line,
where `ps` would show a password. With an http(s) tracking URI there is nothing local to serve: the command
prints that server's address (credentials redacted) instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

# MLflow 3.17's UI picks GenAI or model-training views from this query parameter of the experiment page
RUNS_QUERY = "workflowType=machine_learning"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ui", help="open the MLflow UI over this home's store (127.0.0.1)")
    parser.add_argument("study", nargs="?", help="study whose runs URL to print (default: the latest study)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.set_defaults(func=run)


def ui_command(artifacts: str, port: int) -> list[str]:
    """The `mlflow ui` command line: local only (127.0.0.1), one server worker (MLflow's default of four took
    minutes to come up on a loaded 2-core machine and serves one user no better); the backend store comes from
    the environment."""
    return [
        sys.executable,
        "-m",
        "mlflow",
        "ui",
        "--default-artifact-root",
        artifacts,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--uvicorn-opts",
        "--log-level warning",  # no per-request lines on the user's terminal
    ]


def ui_environment(tracking_uri: str) -> dict[str, str]:
    """The environment of `mlflow ui`: the backend store URI, and no server-side job runner."""
    env = dict(os.environ)
    env["MLFLOW_BACKEND_STORE_URI"] = tracking_uri
    env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    return env


def runs_url(port: int, experiment_id: str) -> str:
    """The runs table of an experiment, in the UI's model-training mode."""
    return f"http://127.0.0.1:{port}/#/experiments/{experiment_id}/runs?{RUNS_QUERY}"


def pick_study(home: Any, name: str | None) -> Any:
    """The registry row of `name`, or of the latest study; None when the home has no study yet."""
    from ...errors import UserError

    if not home.registry_exists():
        if name:
            raise UserError(f"{name}: no such study in {home.root} (allowed: see `spikesweep list`)")
        return None
    from ...stores import open_registry

    with open_registry(home) as registry:
        if name:
            study = registry.get_study(name)
            if study is None:
                known = ", ".join(s.name for s in registry.studies()) or "none yet"
                raise UserError(f"{name}: no such study in {home.root} (allowed: {known})")
            return study
        studies = registry.studies()
        return studies[-1] if studies else None


def run(args: argparse.Namespace) -> int:
    from ...errors import UserError
    from ...stores.home import get_home
    from ...stores.uris import is_http, redact

    if not 0 < args.port < 65536:
        raise UserError(f"--port: {args.port} (allowed: 1 .. 65535)")
    home = get_home()
    if is_http(home.mlflow_uri):
        print(f"MLflow UI: the tracking server {redact(home.mlflow_uri)} (nothing local to serve: open it there)")
        return 0
    if not home.root.exists() and not os.environ.get("SPIKESWEEP_MLFLOW_URI"):
        raise UserError(f"{home.root}: no spikesweep home here yet (allowed: run `spikesweep submit FILE` first)")
    study = pick_study(home, args.study)
    command = ui_command(home.artifacts.as_uri(), args.port)
    print(f"MLflow UI on http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
    if study is not None and study.mlflow_experiment_id:
        print(f"study {study.name}, its runs: {runs_url(args.port, study.mlflow_experiment_id)}", flush=True)
    env = ui_environment(home.mlflow_uri)
    env.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # MLflow's start-up notes
    env.setdefault("PYTHONWARNINGS", "ignore")  # its dependencies' deprecation warnings
    os.execve(command[0], command, env)
    return 0  # not reached
