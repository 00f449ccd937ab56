"""`spikesweep report STUDY`: the ablation report of a study (mean ± std, paired deltas, Pareto marks)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Mapping

from ..report import DEFAULT_OBJECTIVES, build_report, render, write_report_artifacts
from ..report_render import FORMATS
from ..stats import PAIRED_TESTS

# The arm name the ablation design gives to the shared baseline trials.
BASELINE_ARM = "baseline"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="the ablation report of a study")
    parser.add_argument("study", help="study name")
    parser.add_argument("--format", choices=FORMATS, default="md", help="output format (default: md)")
    parser.add_argument("--out", type=Path, help="write the report to this file instead of the terminal")
    parser.add_argument("--baseline", help="arm to compare against (default: the study's ablation baseline)")
    parser.add_argument("--test", choices=PAIRED_TESTS, default="t",
                        help="paired test over seeds: t (paired t-test, default) or wilcoxon (signed-rank)")
    parser.add_argument("--artifacts", type=Path, metavar="DIR",
                        help="also write report.md/.csv/.json, pareto.png and pareto.html into DIR")
    parser.set_defaults(func=run)


def home() -> Path:
    """The spikesweep home (`--home` sets SPIKESWEEP_HOME; default ~/.spikesweep, as `cli --help` says)."""
    return Path(os.environ.get("SPIKESWEEP_HOME") or Path.home() / ".spikesweep")


def study_settings(resolved: Mapping[str, Any] | None, arms: set[str]) -> dict[str, Any]:
    """Baseline arm, reference section and objectives of a stored resolved study file.

    Without a stored study (None), an arm named "baseline" among the records is taken as the baseline.
    """
    resolved = resolved or {}
    design = resolved.get("design") or {}
    if resolved:
        baseline = BASELINE_ARM if design.get("kind") == "ablation" else None
    else:
        baseline = BASELINE_ARM if BASELINE_ARM in arms else None
    return {"baseline": baseline, "reference": resolved.get("reference") or {},
            "objectives": resolved.get("objectives") or DEFAULT_OBJECTIVES}


def load_resolved_study(home_dir: Path, study: str) -> Mapping[str, Any] | None:
    """The stored resolved study file (a dict) from the registry, or None where this build has no reader."""
    from ..store import load_resolved_study as read

    return read(home_dir, study)


def run(args: argparse.Namespace) -> int:
    from ..cli import EXIT_FAILURE, UserError

    try:
        from ..records import load_records
    except ImportError:
        print("error: report: this build cannot read the study stores (records.load_records is missing)",
              file=sys.stderr)
        return EXIT_FAILURE
    home_dir = home()
    try:
        records = list(load_records(home_dir, args.study))
    except LookupError as error:
        raise UserError(f"report: study {args.study!r} is unknown ({error})") from error
    if not records:
        raise UserError(f"report: study {args.study!r} has no trials yet")
    settings = study_settings(load_resolved_study(home_dir, args.study), {r.arm for r in records})
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
    else:
        print(text, end="")
    if args.artifacts:
        for path in write_report_artifacts(report, records, args.artifacts):
            print(f"wrote {path}", file=sys.stderr)
    return 0
