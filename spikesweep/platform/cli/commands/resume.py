"""`spikesweep resume STUDY`: continue a study that was interrupted, failed outside its trials or lost its driver."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "resume", help="continue an interrupted study (or one whose driver died): nothing finished runs again"
    )
    parser.add_argument("study", help="study name (see `spikesweep list`)")
    parser.add_argument("--file", help="the study file, checked against the one submitted (default: the stored one)")
    parser.add_argument(
        "--force", action="store_true", help="with --file: accept a changed file for the trials not yet finished"
    )
    parser.add_argument("--address", help="Ray cluster address (default: $RAY_ADDRESS, else a local Ray)")
    parser.add_argument(
        "--json", action="store_true", help="print the outcome as JSON on stdout (progress goes to stderr)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...errors import UserError
    from ...run.driver import run_study
    from ...run.resume import describe, plan_resume
    from ...stores import get_home
    from ..live import progress_display
    from .submit import print_outcome

    if args.force and not args.file:
        raise UserError("--force: applies with --file only (allowed: --file FILE --force)")
    home = get_home()
    from ...stores.checks import check_stores, store_uris

    check_stores(store_uris(home))  # an unreachable store: one line, exit 1, nothing written
    loaded, plan = plan_resume(home, args.study, args.file, args.force)
    terminal = sys.stderr if args.json else sys.stdout
    print(f"study {args.study}: resuming, {describe(plan, loaded)}; home {home.root}", file=terminal, flush=True)
    with progress_display(terminal, args.study) as show:
        outcome = run_study(loaded, home, args.address, show, plan=plan)
    return print_outcome(args, loaded, home, outcome, terminal)
