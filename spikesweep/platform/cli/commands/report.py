"""`spikesweep report STUDY`: the ablation report of a study (mean ± std, paired deltas, Pareto marks)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ...report_choices import FORMATS, PAIRED_TESTS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="the ablation report of a study")
    parser.add_argument("study", help="study name")
    parser.add_argument("--format", choices=FORMATS, default="md", help="output format (default: md)")
    parser.add_argument("--out", type=Path, help="write the report to this file instead of the terminal")
    parser.add_argument("--baseline", help="arm to compare against (default: the study's ablation baseline)")
    parser.add_argument(
        "--test",
        choices=PAIRED_TESTS,
        default="t",
        help="paired test over seeds: t (paired t-test, default) or wilcoxon (signed-rank)",
    )
    parser.add_argument(
        "--artifacts",
        type=Path,
        metavar="DIR",
        help="also write report.md/.csv/.json, pareto.png and pareto.html into DIR",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...errors import UserError
    from ...reporting import build_report, load_records, render, study_settings, write_report_artifacts
    from ...stores import get_home, load_resolved_study
    from ..output import print_markdown

    home = get_home()
    try:
        records = list(load_records(home, args.study))
    except LookupError as error:
        raise UserError(f"report: study {args.study!r} is unknown ({error})") from error
    if not records:
        raise UserError(f"report: study {args.study!r} has no trials yet")
    settings = study_settings(load_resolved_study(home, args.study), {r.arm for r in records})
    if args.baseline:
        if args.baseline not in {r.arm for r in records}:
            arms = ", ".join(sorted({r.arm for r in records}))
            raise UserError(f"report: --baseline {args.baseline!r} is not an arm of {args.study} (allowed: {arms})")
        settings["baseline"] = args.baseline
    report = build_report(records, study=args.study, test=args.test, **settings)
    text = render(report, args.format)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    elif args.format == "md":
        print_markdown(text, sys.stdout)
    else:
        print(text, end="")
    if args.artifacts:
        for path in write_report_artifacts(report, records, args.artifacts):
            print(f"wrote {path}", file=sys.stderr)
    return 0
