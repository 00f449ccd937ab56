"""`spikesweep submit FILE`: validate a study file, run every trial on Ray Tune, print the Pareto front."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from ..output import format_table
from .validate import add_override_arguments

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("submit", help="run a study (validate, train every trial, pick the Pareto front)")
    parser.add_argument("file", help="study file (YAML), or the name of a built-in study (see `spikesweep spaces`)")
    add_override_arguments(parser)
    parser.add_argument("--name", help="run under this study name instead of the file's `study:`")
    parser.add_argument("--address", help="Ray cluster address (default: $RAY_ADDRESS, else a local Ray)")
    parser.add_argument("--data-dir", help="folder holding real datasets (overrides the file's data_dir)")
    parser.add_argument(
        "--json", action="store_true", help="print the outcome as JSON on stdout (progress goes to stderr)"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="train every trial: neither reuse nor store cached results"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...errors import UserError
    from ...stores.home import get_home
    from ...study.validation import load_study
    from .spaces import study_file

    overrides = list(args.overrides)
    if args.name:
        check_study_name(args.name)
    with study_file(args.file) as path:
        loaded = load_study(path, overrides, args.data_dir, args.seeds, args.n_trials)
    if args.name:
        loaded.study.study = args.name
    if args.no_cache:
        loaded.study.cache = False
    for line in loaded.warnings:
        print(f"warning: {line}", file=sys.stderr)
    home = get_home()
    from ...run.preflight import preflight

    preflight(loaded, home, args.file, args.address)  # before anything is written: the name stays free
    name = loaded.study.study
    from ...stores.checks import check_stores, store_uris

    check_stores(store_uris(home))  # an unreachable store: one line, exit 1, nothing written
    if home.registry_exists():
        from ...stores import open_registry
        from ...stores.schema import init_stores

        init_stores({"registry": home.registry_uri})  # a fresh shared registry: its schema once, under a lock

        with open_registry(home) as registry:
            existing = registry.get_study(name)
            if existing is not None and existing.status == "completed" and not args.name:
                name = loaded.study.study = next_free_name(registry, name)
                print(
                    f"study {existing.name} already completed: running this one as {name} (--name NAME picks the name)",
                    file=sys.stderr,
                )
            elif existing is not None:
                raise UserError(already_exists(args.file, name, home.where(), existing.status))

    from ...run.driver import run_study
    from ...stores import StudyExists
    from ..live import progress_display

    terminal = sys.stderr if args.json else sys.stdout
    print(f"study {name}: {loaded.study.design.kind} design, home {home.root}", file=terminal, flush=True)
    try:
        with progress_display(terminal, name) as show:
            outcome = run_study(loaded, home, args.address, show)
    except StudyExists:  # another submit of the same name won the race
        raise UserError(already_exists(args.file, name, home.where(), "queued")) from None
    return print_outcome(args, loaded, home, outcome, terminal)


def print_outcome(args: argparse.Namespace, loaded: Any, home: Any, outcome: Any, terminal: Any) -> int:
    """The study's outcome, Pareto front, report and next commands (or JSON); the exit status."""
    name = loaded.study.study
    if args.json:
        run_report_hook(home, name, out=terminal)
        print(
            json.dumps(
                {
                    "study": name,
                    "status": outcome.status,
                    "counts": outcome.counts,
                    "hypervolume": outcome.hypervolume,
                    "pareto": outcome.pareto,
                },
                default=str,
            )
        )
        return 0 if outcome.status == "completed" else 1
    print(f"study {name} {outcome.status}: " + ", ".join(f"{n} {s}" for s, n in sorted(outcome.counts.items())))
    if outcome.pareto:
        columns = ["number", "arm", "seed", *loaded.study.objectives]
        columns += [c for c in ("accuracy", "energy_mj", "firing_rate", "params") if c not in columns]
        print(f"\nPareto front ({len(outcome.pareto)} trials, hypervolume {outcome.hypervolume:.4g}):")
        print(format_table(outcome.pareto, columns))
    run_report_hook(home, name)
    home_flag = f" --home {home.root}" if args.home else ""
    print(
        f"\nnext:\n  spikesweep{home_flag} ui\n  spikesweep{home_flag} export {name} --out {name}-pareto\n"
        f"  spikesweep{home_flag} report {name}\n  spikesweep{home_flag} status {name}"
    )
    return 0 if outcome.status == "completed" else 1


def check_study_name(name: str) -> None:
    """`--name` is a study name: letters, digits, - and _, at most MAX_STUDY_NAME characters."""
    import re

    from ...errors import UserError
    from ...study.file_model import MAX_STUDY_NAME, NAME_PATTERN, printable

    if len(name) > MAX_STUDY_NAME:
        raise UserError(f"--name: a name of {len(name)} characters (allowed: at most {MAX_STUDY_NAME})")
    if not re.match(NAME_PATTERN, name):
        raise UserError(
            f"--name: {printable(repr(name), 80)} is not a valid study name (allowed: letters, digits, - and _)"
        )


def next_free_name(registry: Any, name: str) -> str:
    """`name-2`, `name-3`, ...: the first that no study of the registry has."""
    taken = {study.name for study in registry.studies()}
    number = 2
    while f"{name}-{number}" in taken:
        number += 1
    return f"{name}-{number}"


def already_exists(file: str, name: str, where: object, status: str) -> str:
    if status in ("interrupted", "failed", "running", "queued"):
        return (
            f"{file}: study: {name!r} already exists in {where} and is unfinished (status {status}) "
            f"(allowed: continue it with `spikesweep resume {name}`, or a new name with --name NEW)"
        )
    return (
        f"{file}: study: {name!r} already exists in {where} (status {status}) "
        f"(allowed: a new name; use --name NEW or `spikesweep status {name}`)"
    )


def run_report_hook(home, name: str, out=None) -> None:
    """Print the ablation report and log it to the parent run; a report problem never fails the study."""
    from ...reporting.after_submit import after_submit as hook
    from ..output import print_markdown

    stream = out or sys.stdout
    try:
        hook(home, name, show=lambda text: print_markdown("\nablation report\n\n" + text, stream))
    except Exception as error:
        log.warning("the ablation report failed: %s", error)
        print(f"warning: the ablation report failed: {error}", file=sys.stderr)
