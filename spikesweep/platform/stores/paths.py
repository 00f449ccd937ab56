"""Paths and names from the user (data_dir, --home, study and arm names) checked as paths, in the user's words.

`path_problem` / `expand_path` never raise on odd input (NUL bytes, unknown `~user`, names too long for the
file system); each returns the problem as text (`what is wrong (allowed: ...)`), or None.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

MAX_PATH_CHARS = 1024
MAX_PART_CHARS = 255
MAX_NAME_CHARS = 100


def _control(text: str) -> str | None:
    for char in text:
        if ord(char) < 32 or 127 <= ord(char) < 160:
            return f"U+{ord(char):04X}"
    return None


def path_problem(text: str) -> str | None:
    """What is wrong with `text` as a path (before it touches the file system), or None."""
    if not text:
        return "an empty path (allowed: a folder path)"
    if len(text) > MAX_PATH_CHARS:
        return f"a path of {len(text)} characters (allowed: at most {MAX_PATH_CHARS})"
    control = _control(text)
    if control:
        return f"the path contains the control character {control} (allowed: printable characters)"
    long_part = next((part for part in text.split(os.sep) if len(part.encode()) > MAX_PART_CHARS), None)
    if long_part is not None:
        return f"a path part of {len(long_part.encode())} bytes (allowed: at most {MAX_PART_CHARS} per folder name)"
    if text.startswith("~"):
        user = text[1:].split(os.sep, 1)[0]
        try:
            Path(text).expanduser()
        except RuntimeError:
            return f"~{user}: no such user on this machine (allowed: ~/..., ~USER/... of a known user, or a full path)"
    return None


def expand_path(text: str) -> tuple[Path | None, str | None]:
    """(the absolute path, None), or (None, the problem) when `text` is not a usable path."""
    problem = path_problem(text)
    if problem:
        return None, problem
    try:
        return Path(text).expanduser().resolve(), None
    except (OSError, RuntimeError) as error:
        return None, f"{getattr(error, 'strerror', None) or error} (allowed: a folder path)"


def folder_problem(path: Path) -> str | None:
    """Whether `path` is an existing folder, without raising for names the file system refuses."""
    try:
        return None if path.is_dir() else f"{path} is not a directory (allowed: an existing folder)"
    except OSError as error:
        return f"{path}: {error.strerror or error} (allowed: an existing folder)"


def _existing_ancestor(path: Path) -> tuple[Path, str | None]:
    """The nearest existing folder at or above `path`, or the problem (a file or a broken link on the way)."""
    probe = path
    while not probe.exists():
        if probe.is_symlink():
            return probe, f"{probe} is a broken link (allowed: a folder, or a path where one can be made)"
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        return probe, f"{probe} is a file, not a folder (allowed: a folder, or a path where one can be made)"
    return probe, None


def home_folder_problem(path: Path) -> str | None:
    """Whether `path` can be a spikesweep home folder as far as reading goes (no file in the way)."""
    return _existing_ancestor(path)[1]


def writable_home_problem(path: Path) -> str | None:
    """Whether a spikesweep home can live at `path`: a writable folder, or a place where one can be made."""
    probe, problem = _existing_ancestor(path)
    if problem:
        return problem
    try:  # os.access is not enough: root passes it, and read-only mounts are found only by trying
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as error:
        return f"{probe} is not writable ({error.strerror or error}) (allowed: a folder you can write to)"
    return None


def name_problem(name: str, what: str) -> str | None:
    """Whether `name` can name a study or arm and be used as a file name: printable, no separators, not `.`/`..`."""
    if not name or not name.strip():
        return f"empty {what} (allowed: a non-empty name)"
    if len(name) > MAX_NAME_CHARS:
        return f"{what} of {len(name)} characters (allowed: at most {MAX_NAME_CHARS})"
    control = _control(name)
    if control:
        return f"the {what} contains the control character {control} (allowed: printable characters)"
    if "/" in name or "\\" in name or name in (".", ".."):
        return f"{name!r} looks like a path (allowed: {what}s without / or \\, not . or ..)"
    return None


__all__ = [
    "MAX_NAME_CHARS",
    "expand_path",
    "folder_problem",
    "home_folder_problem",
    "name_problem",
    "path_problem",
    "writable_home_problem",
]
