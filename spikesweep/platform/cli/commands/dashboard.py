"""`spikesweep dashboard [STUDY] [--port]`: optuna-dashboard over this home's Optuna storage, bound to 127.0.0.1
(the optional extra `spikesweep[dashboard]`)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

MISSING = (
    "dashboard: optuna-dashboard is not installed "
    "(allowed: pip install 'spikesweep[dashboard]', or pip install optuna-dashboard)"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dashboard", help="open optuna-dashboard over this home's Optuna studies (127.0.0.1)"
    )
    parser.add_argument("study", nargs="?", help="study whose page URL to print (default: the latest study)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.set_defaults(func=run)


def dashboard_command(storage_url: str, port: int) -> list[str]:
    """The optuna-dashboard command line for a storage, local only."""
    code = "import sys; from optuna_dashboard._cli import main; sys.exit(main())"
    return [sys.executable, "-c", code, storage_url, "--host", "127.0.0.1", "--port", str(port), "--quiet"]


def run(args: argparse.Namespace) -> int:
    from ...errors import UserError
    from ...stores.home import get_home
    from .ui import pick_study

    if not 0 < args.port < 65536:
        raise UserError(f"--port: {args.port} (allowed: 1 .. 65535)")
    if importlib.util.find_spec("optuna_dashboard") is None:
        raise UserError(MISSING)
    home = get_home()
    if not home.root.exists() and not os.environ.get("SPIKESWEEP_OPTUNA_URI"):
        raise UserError(f"{home.root}: no spikesweep home here yet (allowed: run `spikesweep submit FILE` first)")
    study = pick_study(home, args.study)
    print(f"optuna-dashboard on http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
    if study is not None and study.optuna_study_name:
        from ...stores.optuna_store import storage

        try:
            study_id = storage(home.optuna_uri).get_study_id_from_name(study.optuna_study_name)
        except KeyError:
            study_id = None
        if study_id is not None:
            print(f"study {study.name}: http://127.0.0.1:{args.port}/dashboard/studies/{study_id}", flush=True)
    command = dashboard_command(home.optuna_uri, args.port)
    os.execv(command[0], command)
    return 0  # not reached
