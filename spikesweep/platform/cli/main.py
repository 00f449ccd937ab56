"""The `spikesweep` command line. Each sub-command is one module in `platform/cli/commands/` exposing
`register(subparsers)`, which adds its parser and sets `func(args) -> int` (the exit status)."""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys

from ..errors import EXIT_BAD_INPUT, EXIT_OK, UserError
from . import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spikesweep", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--home", help="where the stores live (default: $SPIKESWEEP_HOME or ~/.spikesweep)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{commands.__name__}.{info.name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
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
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK
