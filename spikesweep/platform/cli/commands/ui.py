"""`spikesweep ui [--port]`: the MLflow UI over this home's tracking store, bound to 127.0.0.1."""

from __future__ import annotations

import argparse
import os
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ui", help="open the MLflow UI over this home's store (127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.set_defaults(func=run)


def ui_command(tracking_uri: str, artifacts: str, port: int) -> list[str]:
    """The `mlflow ui` command line for a store (local only: 127.0.0.1)."""
    return [
        sys.executable,
        "-m",
        "mlflow",
        "ui",
        "--backend-store-uri",
        tracking_uri,
        "--default-artifact-root",
        artifacts,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def run(args: argparse.Namespace) -> int:
    from ...errors import UserError
    from ...stores.home import get_home

    if not 0 < args.port < 65536:
        raise UserError(f"--port: {args.port} (allowed: 1 .. 65535)")
    home = get_home()
    if not home.root.exists() and not os.environ.get("SPIKESWEEP_MLFLOW_URI"):
        raise UserError(f"{home.root}: no spikesweep home here yet (allowed: run `spikesweep submit FILE` first)")
    command = ui_command(home.mlflow_uri, home.artifacts.as_uri(), args.port)
    print(f"MLflow UI on http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
    os.environ.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    os.execv(command[0], command)
    return 0  # not reached
