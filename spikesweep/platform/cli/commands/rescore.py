"""`spikesweep rescore STUDY --preset NAME [--accounting paper|full]`: energy from stored counts, no retraining."""

from __future__ import annotations

import argparse
import io

from ...errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rescore", help="recompute every trial's energy under another preset/accounting")
    parser.add_argument("study", help="study name")
    parser.add_argument("--preset", required=True, help="energy preset (see `spikesweep knobs energy.preset`)")
    parser.add_argument("--accounting", default="paper", help="paper (syops rules) or full (every op)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ....workers import ENERGY_PRESETS
    from ...run.rescoring import rescore_study
    from ...stores.home import get_home
    from .submit import run_report_hook

    if args.preset not in ENERGY_PRESETS:
        raise UserError(f"--preset {args.preset!r} is unknown (allowed: {', '.join(ENERGY_PRESETS.names())})")
    if args.accounting not in ("paper", "full"):
        raise UserError(f"--accounting {args.accounting!r} is unknown (allowed: paper, full)")
    home = get_home()
    if not home.registry_exists():
        raise UserError(f"study {args.study!r} is unknown: {home.root} has no registry")
    try:
        result = rescore_study(home, args.study, args.preset, args.accounting)
    except LookupError as error:
        raise UserError(str(error)) from None
    run_report_hook(home, args.study, out=io.StringIO())  # the parent run's report and Pareto plot, rebuilt
    rebuilt = "; Optuna study rebuilt from the registry" if result.rebuilt_optuna else ""
    print(
        f"{args.study}: re-scored {result.rescored} of {result.trials} trials with {args.preset} "
        f"({args.accounting} accounting); Pareto front now has {result.front_size} trials{rebuilt}"
    )
    return 0
