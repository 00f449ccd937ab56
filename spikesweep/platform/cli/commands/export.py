"""`spikesweep export STUDY --out DIR`: one runnable trial file per Pareto-optimal trial, and DIR/pareto.csv."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

TRIAL_FILE_HEADER = (
    "# spikesweep trial file: the full configuration of one trial (seed included).\n"
    "# Re-run it with: spikesweep train {file}\n"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("export", help="write the Pareto-optimal trials as runnable trial files")
    parser.add_argument("study", help="study name")
    parser.add_argument("--out", required=True, help="folder to write (created if missing)")
    parser.add_argument(
        "--weights", action="store_true", help="also write each trial's trained weights beside its file (.weights.pt)"
    )
    parser.set_defaults(func=run)


def trial_document(record: Any, study: str) -> dict[str, Any]:
    """The content of a trial file: config, what was measured, where it came from."""
    return {
        "config": dict(record.config),
        "measured": {k: record.metrics[k] for k in sorted(record.metrics)},
        "source": {"study": study, "trial": record.number, "arm": record.arm, "mlflow_run_id": record.mlflow_run_id},
    }


def export_weights(record: Any, target: Path) -> str:
    """Write the trained weights kept in the trial's MLflow run to `target`; its file name, or "" if none."""
    import shutil
    import tempfile

    from ...stores.home import get_home
    from ...stores.tracking import Tracker

    home = get_home()
    if not record.mlflow_run_id:
        return ""
    with tempfile.TemporaryDirectory(prefix="spikesweep-weights-") as folder:
        downloaded = Tracker(home.mlflow_uri, home.artifacts).download_weights(record.mlflow_run_id, Path(folder))
        if downloaded is None:
            return ""
        shutil.copyfile(downloaded, target)
    return target.name


def run(args: argparse.Namespace) -> int:
    import yaml

    from ...errors import UserError
    from ...reporting.records import load_records
    from ...stores.home import get_home
    from ..output import format_table

    try:
        records = load_records(get_home(), args.study)
    except LookupError as error:
        raise UserError(f"{args.study}: {error.args[0]} (allowed: see `spikesweep list`)") from None
    pareto = [r for r in records if r.pareto]
    if not pareto:
        raise UserError(f"{args.study}: no Pareto-optimal trial yet (no trial completed)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for record in pareto:
        path = out / f"{args.study}-trial{record.number:04d}.yaml"
        document = yaml.safe_dump(trial_document(record, args.study), sort_keys=False)
        path.write_text(TRIAL_FILE_HEADER.format(file=path.name) + document)
        row = {"number": record.number, "arm": record.arm, "seed": record.seed, **record.metrics, "file": path.name}
        if args.weights:
            row["weights"] = export_weights(record, path.with_suffix(".weights.pt"))
        rows.append(row)
    columns = ["number", "arm", "seed"] + sorted({k for r in rows for k in r} - {"number", "arm", "seed", "file"})
    columns = [c for c in columns if c != "weights"]
    with open(out / "pareto.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns + ["file"] + (["weights"] if args.weights else []))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} trial files and pareto.csv (energy_mj in mJ) to {out}")
    print(format_table(rows, ["file", "arm", "seed", "accuracy", "energy_mj"]))
    if args.weights:
        missing = [str(row["file"]) for row in rows if not row["weights"]]
        print(
            f"  weights: {len(rows) - len(missing)} written"
            + (f"; none kept for {', '.join(missing)}" if missing else "")
        )
    return 0
