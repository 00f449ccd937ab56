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
    from ...stores import get_home, open_registry
    from ...stores.heartbeat import driver_seen, status_text

    home = get_home()
    if not home.registry_exists():
        return []
    with open_registry(home, read_only=True) as registry:
        return [
            {
                "study": study.name,
                "status": study.status,
                "driver_alive": driver_seen(study).alive,
                "status_text": status_text(study),
                "design": study.resolved.get("design", {}).get("kind"),
                "created": study.created_at.isoformat(timespec="seconds"),
                "trials": registry.trial_counts(study.name),
            }
            for study in registry.studies()
        ]


def run(args: argparse.Namespace) -> int:
    from ..output import format_table

    summaries = study_summaries()
    if args.json:
        print(json.dumps(summaries))
        return 0
    if not summaries:
        print("no studies yet (run `spikesweep submit FILE`)")
        return 0
    rows = [
        {**s, "status": s["status_text"], "trials": ", ".join(f"{n} {k}" for k, n in sorted(s["trials"].items()))}
        for s in summaries
    ]
    print(format_table(rows, ["study", "status", "design", "created", "trials"]))
    return 0
