"""`spikesweep spaces`: the built-in study files shipped inside the package (spikesweep/search_spaces/*.yaml)."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

PACKAGE, FOLDER = "spikesweep", "search_spaces"
SENTENCE_END = re.compile(r"(?<=[^.]\.)\s+(?=[A-Z])")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("spaces", help="list the built-in study files, or show one")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    actions = parser.add_subparsers(dest="spaces_action", metavar="ACTION")
    show = actions.add_parser("show", help="print one built-in study file")
    show.add_argument("name", help="its name (see `spikesweep spaces`)")
    parser.set_defaults(func=run)


def builtin_names() -> list[str]:
    """Names of the built-in study files (file stem), sorted."""
    folder = resources.files(PACKAGE).joinpath(FOLDER)
    if not folder.is_dir():
        return []
    return sorted(entry.name[:-5] for entry in folder.iterdir() if entry.name.endswith(".yaml"))


@contextmanager
def study_file(argument: str) -> Iterator[str]:
    """A study file path for `argument`: the path itself when it exists, else the built-in study of that name
    (`submit quickstart` after a pip install, where no search_spaces/ folder is at hand)."""
    from ...errors import UserError

    name = argument[:-5] if argument.endswith(".yaml") else argument
    if Path(argument).exists() or "/" in argument:
        yield argument
        return
    if name not in builtin_names():
        raise UserError(
            f"{argument}: no such study file or built-in study "
            f"(allowed: a path to a YAML file, or one of {', '.join(builtin_names())})"
        )
    with resources.as_file(resources.files(PACKAGE).joinpath(FOLDER, f"{name}.yaml")) as path:
        yield str(path)


def builtin_text(name: str) -> str:
    """The YAML text of built-in study file `name`; raises UserError naming the allowed names."""
    from ...errors import UserError

    names = builtin_names()
    if name.endswith(".yaml"):
        name = name[:-5]
    if name not in names:
        raise UserError(f"spaces: no built-in study file {name!r} (allowed: {', '.join(names) or 'none installed'})")
    return resources.files(PACKAGE).joinpath(FOLDER, f"{name}.yaml").read_text(encoding="utf-8")


def first_sentence(text: str) -> str:
    """Up to the first full stop that ends a sentence ("..." and decimals do not)."""
    return SENTENCE_END.split(" ".join(text.split()), maxsplit=1)[0]


def describe(name: str) -> dict[str, Any]:
    """Name, study, design kind, first line of the description and the paper source of one built-in file."""
    from ...study import yaml_rules

    data = yaml_rules.load(builtin_text(name)) or {}
    description = str(data.get("description") or "").strip()
    reference = data.get("reference") or {}
    return {
        "name": name,
        "study": data.get("study"),
        "design": (data.get("design") or {}).get("kind"),
        "summary": first_sentence(description),
        "description": description,
        "source": reference.get("source"),
    }


def run(args: argparse.Namespace) -> int:
    if args.spaces_action == "show":
        text = builtin_text(args.name)
        from ...study import yaml_rules

        print(json.dumps(yaml_rules.load(text), indent=2) if args.json else text, end="" if not args.json else "\n")
        return 0
    spaces = [describe(name) for name in builtin_names()]
    if args.json:
        print(json.dumps(spaces, indent=2))
        return 0
    width = max((len(s["name"]) for s in spaces), default=0)
    for space in spaces:
        print(f"{space['name']:{width}}  {'[' + str(space['design']) + ']':10}  {space['summary']}")
    print(
        "\nshow one: spikesweep spaces show NAME; run one: spikesweep spaces show NAME > NAME.yaml && "
        "spikesweep submit NAME.yaml"
    )
    return 0
