"""The `spikesweep` command line: the entry point (`main`) and one module per sub-command in `commands/`."""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
