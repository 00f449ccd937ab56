"""`spikesweep ui [--port]`: the MLflow UI over this home's tracking store, bound to 127.0.0.1.

The store URI goes to `mlflow ui` through its environment (MLFLOW_BACKEND_STORE_URI), never its command line,
where `ps` would show a password. With an http(s) tracking URI there is nothing local to serve: the command
prints that server's address (credentials redacted) instead.
"""

from __future__ import annotations

import argparse
import os
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ui", help="open the MLflow UI over this home's store (127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.set_defaults(func=run)


def ui_command(artifacts: str, port: int) -> list[str]:
    """The `mlflow ui` command line (local only: 127.0.0.1); the backend store comes from the environment."""
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
    ]


def ui_environment(tracking_uri: str) -> dict[str, str]:
    """The environment of `mlflow ui`: the backend store URI, and no server-side job runner."""
    env = dict(os.environ)
    env["MLFLOW_BACKEND_STORE_URI"] = tracking_uri
    env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    return env


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
    command = ui_command(home.artifacts.as_uri(), args.port)
    print(f"MLflow UI on http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
    os.execve(command[0], command, ui_environment(home.mlflow_uri))
    return 0  # not reached
