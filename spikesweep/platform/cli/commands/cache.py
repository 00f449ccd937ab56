"""`spikesweep cache ls [--json]` and `spikesweep cache clear [--study S]`: the home's result cache."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("cache", help="list or clear the results shared by the studies of this home")
    actions = parser.add_subparsers(dest="action", metavar="{ls,clear}", required=True)
    ls = actions.add_parser(
        "ls", help="list the cached results (origin study and trial, epochs, objectives, whether a checkpoint is kept)"
    )
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=run_ls)
    clear = actions.add_parser("clear", help="drop cached results (every one, or those a study trained)")
    clear.add_argument("--study", help="only the results trained by this study")
    clear.set_defaults(func=run_clear)


def checkpoint_state(path: str | None) -> str:
    """`kept` (a longer trial continues from it), `gone` (recorded, since deleted) or `none` (never recorded)."""
    from ...run.cache_key import checkpoint_reachable

    if path is None:
        return "none"
    return "kept" if checkpoint_reachable(path) else "gone"


def _rows() -> list[dict]:
    from ...stores import get_home, open_registry
    from ...stores.result_cache import ResultCache

    home = get_home()
    if not home.registry_exists():
        return []
    with open_registry(home, read_only=True) as registry:
        entries = ResultCache(registry).entries().values()
    return [
        {
            "key": e.key[:12],
            "study": e.study,
            "trial": e.ray_trial_id,
            "epochs": e.epochs,
            "seed": e.config.get("seed"),
            "accuracy": e.metrics.get("accuracy"),
            "energy_mj": e.metrics.get("energy_mj"),
            "checkpoint": checkpoint_state(e.checkpoint),
            "checkpoint_path": e.checkpoint,
        }
        for e in sorted(entries, key=lambda e: (e.study, e.ray_trial_id))
    ]


def run_ls(args: argparse.Namespace) -> int:
    from ..output import format_table

    rows = _rows()
    if args.json:
        print(json.dumps(rows))
    elif not rows:
        print("the result cache is empty")
    else:
        print(format_table(rows, ["key", "study", "trial", "epochs", "seed", "accuracy", "energy_mj", "checkpoint"]))
    return 0


def run_clear(args: argparse.Namespace) -> int:
    from ...errors import UserError
    from ...stores import get_home, open_registry
    from ...stores.result_cache import ResultCache

    home = get_home()
    if not home.registry_exists():
        print("the result cache is empty")
        return 0
    with open_registry(home) as registry:
        if args.study and registry.get_study(args.study) is None:
            raise UserError(f"--study: no study {args.study!r} in this home (allowed: see `spikesweep list`)")
        dropped = ResultCache(registry).clear(args.study)
    print(f"dropped {dropped} cached result(s)" + (f" of study {args.study}" if args.study else ""))
    return 0
