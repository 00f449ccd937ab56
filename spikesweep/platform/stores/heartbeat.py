"""Is a study's driver alive? Decided from the registry's heartbeat (and, on the driver's own host, its pid).

The driver beats every `heartbeat_interval()` seconds (SPIKESWEEP_HEARTBEAT_S, default 30). A driver counts as
gone when its process no longer exists on this host, or when it has not beaten for STALE_BEATS intervals
(another host, a hung process or a reused pid).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

from .registry import Study
from .registry_models import now

DEFAULT_HEARTBEAT_S = 30.0
STALE_BEATS = 3
UNFINISHED = ("queued", "running")


def heartbeat_interval() -> float:
    """Seconds between two beats of a driver (SPIKESWEEP_HEARTBEAT_S, default 30)."""
    try:
        return max(0.1, float(os.environ.get("SPIKESWEEP_HEARTBEAT_S", DEFAULT_HEARTBEAT_S)))
    except ValueError:
        return DEFAULT_HEARTBEAT_S


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (zombies count as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


@dataclass(frozen=True)
class DriverSeen:
    """Whether an unfinished study's driver is alive, and how long ago it last beat (seconds)."""

    alive: bool
    seen_s: float | None


def driver_seen(study: Study, at: dt.datetime | None = None) -> DriverSeen:
    """The liveness of `study`'s driver (alive=True for studies that are not queued or running)."""
    last = study.heartbeat_at or study.created_at
    seen = ((at or now()) - last).total_seconds() if last else None
    if study.status not in UNFINISHED:
        return DriverSeen(True, seen)
    if study.driver_pid and study.driver_host == socket.gethostname() and not pid_alive(study.driver_pid):
        return DriverSeen(False, seen)
    return DriverSeen(seen is None or seen <= STALE_BEATS * heartbeat_interval(), seen)


def ago(seconds: float | None) -> str:
    """`42 s`, `14 min`, `3.5 h`: a duration in the unit that reads best."""
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{max(0, round(seconds))} s"
    if seconds < 7200:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def status_text(study: Study, at: dt.datetime | None = None) -> str:
    """The study's status as `status`/`list` show it: a running study whose driver is gone says so and how to go on."""
    if study.status not in UNFINISHED:
        return study.status
    seen = driver_seen(study, at)
    if seen.alive:
        return study.status
    return f"{study.status}, driver last seen {ago(seen.seen_s)} ago; `spikesweep resume {study.name}`"
