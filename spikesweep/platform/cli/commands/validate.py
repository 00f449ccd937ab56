"""`spikesweep validate FILE [--set KNOB=VALUE ...]`: check a study file; write nothing."""

from __future__ import annotations

import argparse
import sys


def add_override_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KNOB=VALUE",
        help="override a knob of `base` (VALUE is read as YAML); repeatable",
    )
    parser.add_argument("--seeds", help="replace the file's seeds, e.g. --seeds 0 or --seeds 0,1,2")
    parser.add_argument("--n-trials", type=n_trials_value, help="replace a search design's n_trials")


def n_trials_value(text: str) -> int:
    """--n-trials: a whole number from 1 to 100000 (argparse reports anything else, exit 2)."""
    if not (text.strip().isdigit() and len(text.strip()) <= 6 and 1 <= int(text) <= 100_000):
        raise argparse.ArgumentTypeError(f"{text[:20]!r} (allowed: a whole number from 1 to 100000)")
    return int(text)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("validate", help="check a study file (one line per problem, exit 2 if bad)")
    parser.add_argument("file", help="study file (YAML), or the name of a built-in study")
    add_override_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...study.validation import load_study
    from .spaces import study_file

    with study_file(args.file) as path:
        loaded = load_study(path, args.overrides, seeds=args.seeds, n_trials=args.n_trials)
    for line in loaded.warnings:
        print(f"warning: {line}", file=sys.stderr)
    study = loaded.study
    trials = len(loaded.specs) if loaded.specs else getattr(study.design, "n_trials", 0)
    print(f"{args.file}: ok: study {study.study!r}, design {study.design.kind}, {trials} trials, seeds {study.seeds}")
    return 0
