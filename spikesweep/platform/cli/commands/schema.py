"""`spikesweep schema`: the JSON Schema of the study file (for editors: yaml-language-server, VS Code)."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the JSON Schema of the study file (every knob's type, domain, default and description)",
        description="Print the JSON Schema of the study file. Save it beside your study files and start each with "
        "`# yaml-language-server: $schema=./study.schema.json` for completion and checking in your editor.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...study.json_schema import study_schema

    print(json.dumps(study_schema(), indent=2, ensure_ascii=False))
    return 0
