"""The driver's durability helpers: a heartbeat thread, and SIGTERM/SIGHUP handled like Ctrl-C."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType

from ..stores.heartbeat import heartbeat_interval
from ..stores.registry import Registry

log = logging.getLogger(__name__)
TERMINATION_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Heartbeat:
    """Beats the study's row in the registry every `heartbeat_interval()` seconds from a daemon thread."""

    def __init__(self, registry: Registry, name: str) -> None:
        self.registry, self.name = registry, name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{name}", daemon=True)

    def start(self) -> Heartbeat:
        """Beat now (recording this process and host), then every interval until `stop`."""
        self.registry.beat(self.name, os.getpid(), socket.gethostname())
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(heartbeat_interval()):
            try:
                self.registry.beat(self.name)
            except Exception as error:  # a busy database must not end the study; the next beat tries again
                log.warning("heartbeat of %s failed: %s", self.name, error)


def terminate_like_ctrl_c() -> Callable[[], None]:
    """Route SIGTERM and SIGHUP to SIGINT's handler (Tune's graceful stop, else KeyboardInterrupt); returns a
    function that puts the previous handlers back. Call it after `ray.init`, which installs its own SIGTERM
    handler (a `sys.exit` that would leave the stores open). Only possible in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def as_ctrl_c(number: int, frame: FrameType | None) -> None:
        log.warning("signal %s received: stopping the study as for Ctrl-C", signal.Signals(number).name)
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):  # Tune's graceful stop while it runs, else Python's KeyboardInterrupt
            handler(signal.SIGINT, frame)
        else:  # SIGINT ignored (e.g. a background job of a script): still end like Ctrl-C
            raise KeyboardInterrupt

    previous = {number: signal.signal(number, as_ctrl_c) for number in TERMINATION_SIGNALS}

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    return restore
