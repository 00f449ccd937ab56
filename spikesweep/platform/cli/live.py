"""The progress display of `submit`: a live rich bar on a terminal, plain lines anywhere else (pipes, CI logs)."""

from __future__ import annotations

from types import TracebackType
from typing import Any, TextIO

from .output import format_duration, progress_line


def progress_fields(progress: Any) -> str:
    """The counts, times, best accuracy and front size beside the bar."""
    best = f"{progress.best_accuracy:.4f}" if progress.best_accuracy is not None else "-"
    eta = progress.eta()
    return (
        f"{progress.done}/{progress.total} done · {progress.running} running · {progress.failed} failed · "
        f"{progress.pruned} stopped early · {format_duration(progress.elapsed())} elapsed · "
        f"ETA {format_duration(eta) if eta is not None else '-'} · best accuracy {best} · "
        f"front {len(progress.front)}"
    )


class LiveBar:
    """A rich live display redrawn on every update (and twice a second, so elapsed time moves)."""

    def __init__(self, stream: TextIO, title: str) -> None:
        from rich.console import Console
        from rich.live import Live

        self._title = title
        self._progress: Any = None
        self._live = Live(
            self._render(), console=Console(file=stream), refresh_per_second=2, transient=False, auto_refresh=True
        )
        self._live.get_renderable = self._render  # type: ignore[method-assign]  # redraw reads the latest counts

    def _render(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 1))
        progress = self._progress
        if progress is None:
            grid.add_row(Text(f"{self._title}: starting Ray ...", style="dim"))
            return grid
        grid.add_row(
            Text(self._title, style="bold"),
            ProgressBar(total=max(progress.total, 1), completed=progress.done, width=30),
            Text(progress_fields(progress)),
        )
        return grid

    def __call__(self, progress: Any) -> None:
        self._progress = progress
        self._live.refresh()

    def __enter__(self) -> LiveBar:
        self._live.__enter__()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._live.__exit__(kind, error, trace)


class PlainLines:
    """One line per change of the counts (not per epoch), for logs and pipes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._last = ""

    def __call__(self, progress: Any) -> None:
        line = progress_line(progress)
        if line != self._last:
            eta = progress.eta()
            times = f" ({format_duration(progress.elapsed())} elapsed, ETA {format_duration(eta) if eta else '-'})"
            print(line + times, file=self._stream, flush=True)
            self._last = line

    def __enter__(self) -> PlainLines:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def progress_display(stream: TextIO, title: str) -> LiveBar | PlainLines:
    """A live bar when `stream` is a terminal, plain lines otherwise; used as a context manager and a callback."""
    return LiveBar(stream, title) if stream.isatty() else PlainLines(stream)
