"""`spikesweep knobs`: the knob schema (name, type, domain, default, where it is read)."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("knobs", help="list every knob with its domain and default")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("prefix", nargs="?", default="", help="only knobs whose name starts with this")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import difflib

    from ....workers import KNOBS
    from ...errors import UserError

    knobs = [k for name, k in sorted(KNOBS.items()) if name.startswith(args.prefix)]
    if not knobs:
        close = difflib.get_close_matches(args.prefix, list(KNOBS), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UserError(
            f"knobs: no knob starts with {args.prefix!r} (allowed: a prefix of a knob name, "
            f"e.g. fsta., staa., neuron.){hint}"
        )
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": k.name,
                        "type": k.type.__name__,
                        "default": k.default,
                        "allowed": k.allowed(),
                        "when": {key: list(v) for key, v in (k.when or {}).items()},
                        "owner": k.owner,
                        "help": k.help,
                    }
                    for k in knobs
                ],
                indent=2,
            )
        )
        return 0
    for k in knobs:
        when = " when " + ", ".join(f"{key} in {list(v)}" for key, v in k.when.items()) if k.when else ""
        print(f"{k.name:28} {k.type.__name__:5} default={k.default!r:<14} allowed: {k.allowed()}{when}")
        print(f"{'':28} {k.help}")
    return 0
