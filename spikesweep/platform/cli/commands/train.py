"""`spikesweep train FILE [--json]`: re-run one exported trial file without Ray and print its final metrics."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="re-run one trial file (from `export`) without Ray")
    parser.add_argument("file", help="trial file (YAML with a `config:` mapping)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KNOB=VALUE",
        help="override a knob of the trial file; repeatable",
    )
    parser.add_argument("--data-dir", help="folder holding real datasets")
    parser.add_argument("--json", action="store_true", help="print the final metrics as JSON")
    parser.set_defaults(func=run)


def load_trial_file(path: str, overrides: list[str]) -> dict:
    """The validated full configuration of a trial file (one line per problem, as for study files)."""
    from ....workers import KnobError, resolve
    from ...errors import UserError
    from ...study.file_model import Problems, apply_overrides, parse_yaml

    problems = Problems(path)
    try:
        raw = parse_yaml(Path(path).read_text(), problems)
    except OSError as error:
        raise UserError(f"{path}: cannot read the trial file ({error.strerror or error})") from None
    if not problems.errors and (not isinstance(raw, dict) or not isinstance(raw.get("config"), dict)):
        problems.error("config", "missing mapping of knob values (allowed: a file written by `spikesweep export`)")
    if problems.errors:
        raise UserError("\n".join(problems.errors))
    values = dict(raw["config"])
    holder = {"base": values}
    apply_overrides(holder, overrides, problems)
    try:
        config = resolve(values)
    except KnobError as error:
        for name, message in error.problems:
            problems.error(f"config.{name}", message)
    if problems.errors:
        raise UserError("\n".join(problems.errors))
    return config


def run(args: argparse.Namespace) -> int:
    from ....workers import TrialEnv, run_trial

    config = load_trial_file(args.file, args.overrides)

    def report(metrics: dict) -> None:
        if not args.json:
            print(
                f"epoch {metrics['epoch']}: accuracy {metrics['accuracy']:.4f} loss {metrics['loss']:.4f} "
                f"energy_mj {metrics['energy_mj']:.4g}",
                flush=True,
            )

    final = run_trial(config, report, TrialEnv(Path(args.data_dir) if args.data_dir else None))
    final = {k: v for k, v in final.items() if k != "energy_layers"}
    if args.json:
        print(json.dumps(final))
    else:
        print("final: " + ", ".join(f"{k}={v!r}" for k, v in final.items()))
    return 0
