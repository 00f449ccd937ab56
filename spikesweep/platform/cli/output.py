"""Terminal output shared by the commands: plain tables and the one-line progress display."""

from __future__ import annotations

from typing import Any


def format_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A plain text table (numbers to 4 significant digits)."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        return "" if value is None else str(value)

    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def progress_line(progress: Any) -> str:
    """One line of study progress: trials done / running / failed / stopped early, best accuracy, front size."""
    best = f"{progress.best_accuracy:.4f}" if progress.best_accuracy is not None else "-"
    return (
        f"[{progress.done}/{progress.total} done, {progress.running} running, {progress.failed} failed, "
        f"{progress.pruned} stopped early] best accuracy {best}, front {len(progress.front)}"
    )
