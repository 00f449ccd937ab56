"""`spikesweep status [STUDY] [--json]`: a study's trials with state and objectives (all studies without STUDY)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("status", help="show a study's trials (or every study) with state and objectives")
    parser.add_argument("study", nargs="?", help="study name (default: summary of every study)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.study:
        from .list import run as list_run

        return list_run(args)
    from ...errors import UserError
    from ...reporting import DEFAULT_OBJECTIVES, front_summary, load_study_records
    from ...stores import get_home
    from ...stores.heartbeat import driver_seen, status_text
    from ..output import format_table

    home = get_home()
    try:
        study, records = load_study_records(home, args.study)
    except LookupError as error:
        raise UserError(f"{args.study}: {error.args[0]} (allowed: see `spikesweep list`)") from None
    objectives = dict(study.resolved.get("objectives") or DEFAULT_OBJECTIVES)
    front, hypervolume = front_summary(records, objectives)
    if args.json:
        print(
            json.dumps(
                {
                    "study": study.name,
                    "status": study.status,
                    "driver_alive": driver_seen(study).alive,
                    "objectives": objectives,
                    "pareto": front,
                    "hypervolume": hypervolume,
                    "trials": [asdict(r) for r in records],
                },
                default=str,
            )
        )
        return 0
    counts: dict[str, int] = {}
    for record in records:
        counts[record.state] = counts.get(record.state, 0) + 1
    print(f"study {study.name}: {status_text(study)}; " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    if hypervolume is not None:
        print(f"Pareto front: {len(front)} trial(s), hypervolume {hypervolume:.4g}")
    rows = [
        {
            "number": r.number,
            "arm": r.arm,
            "seed": r.seed,
            "state": r.state,
            **{k: r.metrics.get(k) for k in objectives},
            "pareto": "*" if r.pareto else "",
            "error": r.error or "",
            "cached": f"from {r.cached_from}" if r.cached_from else "",
        }
        for r in records
    ]
    if rows:
        columns = ["number", "arm", "seed", "state", *objectives, "pareto", "error"]
        print(format_table(rows, columns + (["cached"] if any(r.cached_from for r in records) else [])))
    return 0
