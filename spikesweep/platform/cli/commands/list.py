"""`spikesweep list [--json]`: every study in this home with its status and trial counts."""
from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("list", help="list the studies in this home")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def study_summaries() -> list[dict]:
    """Name, status, design, created time and trial counts per state of every study in the home."""
    from ...stores.home import get_home
    from ...stores.registry import Registry

    home = get_home()
    if not home.registry_exists():
        return []
    registry = Registry(home.registry_uri)
    try:
        summaries = []
        for study in registry.studies():
            counts: dict[str, int] = {}
            for trial in registry.trials(study.name):
                counts[trial.state] = counts.get(trial.state, 0) + 1
            summaries.append({"study": study.name, "status": study.status,
                              "design": study.resolved.get("design", {}).get("kind"),
                              "created": study.created_at.isoformat(timespec="seconds"), "trials": counts})
        return summaries
    finally:
        registry.close()


def run(args: argparse.Namespace) -> int:
    from ..output import format_table

    summaries = study_summaries()
    if args.json:
        print(json.dumps(summaries))
        return 0
    if not summaries:
        print("no studies yet (run `spikesweep submit FILE`)")
        return 0
    rows = [{**s, "trials": ", ".join(f"{n} {state}" for state, n in sorted(s["trials"].items()))}
            for s in summaries]
    print(format_table(rows, ["study", "status", "design", "created", "trials"]))
    return 0
