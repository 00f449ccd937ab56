"""Terminal output shared by the commands: plain tables and the one-line progress display."""

from __future__ import annotations

from typing import Any, TextIO


def format_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A plain text table (numbers to 4 significant digits; an energy column in the unit that suits it, named in
    its header: `energy (µJ)`)."""
    from ..units import ENERGY_METRICS, energy_unit

    scales = {
        c: energy_unit(row.get(c) for row in rows if isinstance(row.get(c), (int, float))) for c in ENERGY_METRICS
    }

    def cell(column: str, value: Any) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and column in scales:
            return f"{value * scales[column][1]:.4g}"
        if isinstance(value, float):
            return f"{value:.4g}"
        return "" if value is None else str(value)

    titles = [f"energy ({scales[c][0]})" if c in scales else c for c in columns]
    cells = [[cell(c, row.get(c)) for c in columns] for row in rows]
    widths = [max([len(t)] + [len(r[i]) for r in cells]) for i, t in enumerate(titles)]
    lines = ["  ".join(t.ljust(w) for t, w in zip(titles, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def format_duration(seconds: float) -> str:
    """`42s`, `3:07`, `1:02:03`: a duration as a clock reads it."""
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole}s"
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def progress_line(progress: Any) -> str:
    """One line of study progress: trials done / running / failed / stopped early, best accuracy, front size."""
    best = f"{progress.best_accuracy:.4f}" if progress.best_accuracy is not None else "-"
    return (
        f"[{progress.done}/{progress.total} done, {progress.running} running, {progress.failed} failed, "
        f"{progress.pruned} stopped early] best accuracy {best}, front {len(progress.front)}"
    )


def print_markdown(text: str, stream: TextIO) -> None:
    """Markdown as rendered text (headings, tables, lists) on a terminal; the Markdown itself anywhere else."""
    if not stream.isatty():
        print(text, end="" if text.endswith("\n") else "\n", file=stream)
        return
    from rich.console import Console
    from rich.markdown import Markdown

    Console(file=stream, soft_wrap=False).print(Markdown(text))
