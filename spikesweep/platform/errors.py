"""Errors the command line maps to exit statuses: bad input (2) and runtime failures (1)."""

from __future__ import annotations

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class Failure(Exception):
    """A runtime failure the user can act on (a store that cannot be reached, a cluster that cannot run the trials):
    its message is one line per problem, already redacted; exit status 1."""


class UserError(Exception):
    """Bad input from the user (a study file, a knob value, a path): exit status 2, nothing written."""
