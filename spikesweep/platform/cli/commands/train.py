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
    parser.add_argument(
        "--weights", help="evaluate these trained weights (from `export --weights`) instead of training"
    )
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
    from ....workers import TrialEnv, evaluate_trial, run_trial
    from ...errors import UserError

    config = load_trial_file(args.file, args.overrides)
    env = TrialEnv(Path(args.data_dir) if args.data_dir else None)
    if args.weights:
        if not Path(args.weights).is_file():
            raise UserError(f"--weights: {args.weights} is not a file (allowed: a .weights.pt from `export --weights`)")
        try:
            evaluated = evaluate_trial(config, Path(args.weights), env)
        except (RuntimeError, OSError, ValueError) as error:  # not a state dict of this configuration's network
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise UserError(f"--weights: {args.weights} does not fit this trial's network ({first})") from None
        print(
            json.dumps(evaluated)
            if args.json
            else "evaluated: " + ", ".join(f"{k}={v!r}" for k, v in evaluated.items())
        )
        return 0

    def report(metrics: dict) -> None:
        if not args.json:
            print(
                f"epoch {metrics['epoch']}: accuracy {metrics['accuracy']:.4f} loss {metrics['loss']:.4f} "
                f"energy_mj {metrics['energy_mj']:.4g}",
                flush=True,
            )

    final = run_trial(config, report, env)
    final = {k: v for k, v in final.items() if k != "energy_layers"}
    if args.json:
        print(json.dumps(final))
    else:
        print("final: " + ", ".join(f"{k}={v!r}" for k, v in final.items()))
    return 0
