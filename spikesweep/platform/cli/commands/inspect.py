"""`spikesweep inspect`: build the model a knob configuration describes and show its parameters and layers."""

from __future__ import annotations

import argparse
import json
from typing import Any

import yaml

from ...errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="parameter count by module kind and layer structure of one configuration",
        description="Builds the network of a configuration (defaults overlaid with --set values) and prints its "
        "parameter count, the count per kind (conv, bn, linear, neuron, attention:<name>, other) and "
        "every layer with its per-sample output shape.",
    )
    parser.add_argument(
        "--set",
        dest="values",
        action="append",
        default=[],
        metavar="KNOB=VALUE",
        help="a knob value, parsed as YAML (repeatable), e.g. --set backbone=resnet20",
    )
    parser.add_argument("--input-shape", required=True, metavar="C,H,W", help="input shape, e.g. 3,32,32")
    parser.add_argument("--num-classes", required=True, type=int, metavar="N", help="number of classes")
    parser.add_argument(
        "--firing-rate",
        type=float,
        metavar="R",
        help="count ACs at this input firing rate in [0, 1] (default: rates measured on random input)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=run)


def parse_assignments(values: list[str]) -> dict[str, Any]:
    """`["a=1", "b=x"]` -> `{"a": 1, "b": "x"}`, each value parsed as YAML."""
    from ...study import yaml_rules

    knobs: dict[str, Any] = {}
    for item in values:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--set {item!r}: expected KNOB=VALUE")
        try:
            knobs[name.strip()] = yaml_rules.load(text)  # the study file's YAML 1.2 rules: `--set` means the same
        except yaml.YAMLError as error:
            raise UserError(f"--set {name}: value {text!r} is not valid YAML ({error})") from None
    return knobs


def parse_shape(text: str) -> tuple[int, int, int]:
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise UserError(f"--input-shape {text!r}: expected three positive integers C,H,W (e.g. 3,32,32)")
    return int(parts[0]), int(parts[1]), int(parts[2])


def run(args: argparse.Namespace) -> int:
    from ....workers import KnobError, build_model, inspect_energy, resolve, summarize, unused

    knobs = parse_assignments(args.values)
    input_shape = parse_shape(args.input_shape)
    if args.num_classes < 1:
        raise UserError(f"--num-classes {args.num_classes}: expected a positive integer")
    if args.firing_rate is not None and not 0.0 <= args.firing_rate <= 1.0:
        raise UserError(f"--firing-rate {args.firing_rate}: expected a number in [0, 1]")
    try:
        config = resolve(knobs)
        model = build_model(knobs, input_shape, args.num_classes)
    except KnobError as error:
        raise UserError("; ".join(f"{name}: {message}" for name, message in error.problems)) from None
    except (KeyError, ValueError) as error:  # a structural choice the schema cannot see (e.g. K > k^2)
        raise UserError(str(error).strip("'\"")) from None
    summary = summarize(model, input_shape)
    summary.update(inspect_energy(model, input_shape, config, firing_rate=args.firing_rate))
    ignored = unused(knobs, config)
    if args.json:
        print(
            json.dumps(
                {
                    "config": {k: config[k] for k in ("backbone", "attention", "neuron", "timesteps")},
                    "input_shape": list(input_shape),
                    "num_classes": args.num_classes,
                    "unused_knobs": ignored,
                    **summary,
                },
                indent=2,
            )
        )
        return 0
    print_summary(summary, config, input_shape, args.num_classes, ignored)
    return 0


def print_summary(
    summary: dict[str, Any], config: dict[str, Any], input_shape: tuple[int, ...], num_classes: int, ignored: list[str]
) -> None:
    params = summary["params"]
    print(
        f"{config['backbone']} + attention {config['attention']} + neuron {config['neuron']}, "
        f"T = {config['timesteps']}, input {'x'.join(map(str, input_shape))}, {num_classes} classes"
    )
    if ignored:
        print(f"note: not read by this configuration: {', '.join(ignored)}")
    print(f"parameters: {params['total']:,} ({params['total'] / 1e6:.2f}M)")
    for kind, count in params["by_kind"].items():
        print(f"  {kind:20} {count:>12,}")
    print()
    width = max(len(row["name"]) for row in summary["layers"])
    print(f"{'layer':{width}}  {'type':16} {'kind':16} {'params':>10}  output (per sample)")
    for row in summary["layers"]:
        shape = "x".join(map(str, row["out_shape"])) if row.get("out_shape") else "-"
        print(f"{row['name']:{width}}  {row['type']:16} {row['kind']:16} {row['params']:>10,}  {shape}")
    print("\nper image, summed over T:")
    for accounting, ops in summary["ops"].items():
        print(
            f"  {accounting:6} FLOPs {ops['flops'] / 1e6:12.3f}M  MACs {ops['macs'] / 1e6:12.3f}M  "
            f"ACs {ops['acs'] / 1e6:12.3f}M"
        )
    print(
        f"energy ({summary['accounting']} accounting): "
        + ", ".join(f"{preset} {mj:.6f} mJ" for preset, mj in summary["energy_mj"].items())
    )
