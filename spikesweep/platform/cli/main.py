"""The `spikesweep` command line. Each sub-command is one module in `platform/cli/commands/` exposing
`register(subparsers)`, which adds its parser and sets `func(args) -> int` (the exit status)."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from typing import Any

from ..errors import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, Failure, UserError
from . import commands

DESCRIPTION = """ablation studies of spiking neural networks on Ray Tune, tracked in MLflow, with the
accuracy-vs-energy Pareto front picked by Optuna.

examples:
  spikesweep submit quickstart                   run the built-in quickstart study on a local Ray
  spikesweep --home /tmp/lab status quickstart   its trials, states, objectives and front
"""


def add_global_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """--home and -v, accepted before or after the sub-command (after it, they only override when given)."""
    suppress: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    parser.add_argument("--home", help="where the stores live (default: $SPIKESWEEP_HOME or ~/.spikesweep)", **suppress)
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output", **suppress)


def build_parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("spikesweep")
    except PackageNotFoundError:
        installed = "unknown (not installed)"
    parser = argparse.ArgumentParser(
        prog="spikesweep", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_global_options(parser, defaults=True)
    parser.add_argument("--version", action="version", version=f"spikesweep {installed}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{commands.__name__}.{info.name}").register(subparsers)
    for command in subparsers.choices.values():
        add_global_options(command, defaults=False)
    return parser


def home_path_problem(text: str) -> str | None:
    """What is wrong with `--home TEXT` as a home folder (a file, an odd path), or None; writability is checked
    by the commands that write."""
    from ..stores.paths import expand_path, home_folder_problem

    path, problem = expand_path(text)
    return problem if path is None else home_folder_problem(path)


def configure_logging(verbose: bool) -> None:
    """spikesweep's own warnings on stderr; a dependency's only when -v asks for debug output (then everything),
    or when it is an error. Python warnings go the same way."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if not verbose:
        handler.addFilter(lambda record: record.name.startswith("spikesweep") or record.levelno >= logging.ERROR)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, handlers=[handler], force=True)
    logging.captureWarnings(True)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    given = [
        (label, value)
        for label, value in (("--home", args.home), ("SPIKESWEEP_HOME", os.environ.get("SPIKESWEEP_HOME")))
        if value
    ]
    if given:
        label, value = given[0]
        problem = home_path_problem(value)
        if problem:
            print(f"{label}: {problem}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.home:
        os.environ["SPIKESWEEP_HOME"] = args.home
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.func(args) or EXIT_OK)
    except UserError as error:
        print(str(error), file=sys.stderr)  # already in the user's words, one line per problem
        return EXIT_BAD_INPUT
    except Failure as error:
        print(str(error), file=sys.stderr)  # one line per problem, credentials redacted
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK
