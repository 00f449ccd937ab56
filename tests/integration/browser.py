"""A headless Chromium driven over the DevTools protocol (aiohttp's websocket client, which MLflow brings along):
open a page, wait in the page until a condition holds (polled, never a fixed sleep), read its text, click.

Needs Debian's `chromium` (`make test` installs it when missing); tests skip with the reason when it is absent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None)


class BrowserError(AssertionError):
    """The page never got where the test waited for it to get."""


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, offline: bool = False) -> None:
        if CHROMIUM is None:
            raise RuntimeError("chromium is not installed (apt-get install chromium)")
        self._profile = tempfile.TemporaryDirectory(prefix="spikesweep-chromium-")
        flags = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--window-size=1400,900",
            "--remote-debugging-port=0",
            f"--user-data-dir={self._profile.name}",
        ]
        if offline:  # no name resolves: a page that needs the network cannot load what it needs
            flags.append("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
        self._process = subprocess.Popen(
            [CHROMIUM, *flags, "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._ids = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._session: Any = None
        self._socket: Any = None

    def __enter__(self) -> Browser:
        port = self._devtools_port()
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t["type"] == "page")
        self._loop.run_until_complete(self._connect(page["webSocketDebuggerUrl"]))
        self.call("Page.enable")
        self.call("Runtime.enable")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._session is not None:
                self._loop.run_until_complete(self._session.close())
        finally:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._loop.close()
            self._profile.cleanup()

    def _devtools_port(self, limit_s: float = 60) -> int:
        active = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if active.exists() and active.read_text().strip():
                return int(active.read_text().split()[0])
            if self._process.poll() is not None:
                raise RuntimeError(f"chromium exited with status {self._process.returncode}")
            time.sleep(0.2)
        raise RuntimeError("chromium did not open its DevTools port")

    async def _connect(self, url: str) -> None:
        import aiohttp

        self._session = aiohttp.ClientSession()
        self._socket = await self._session.ws_connect(url, max_msg_size=0)

    async def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        ident = next(self._ids)
        await self._socket.send_json({"id": ident, "method": method, "params": params})
        while True:
            message = await self._socket.receive_json()
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools protocol command and its result."""
        return self._loop.run_until_complete(self._call(method, params))

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        """Navigate the page to `url`."""
        self.call("Page.navigate", url=url)

    def wait_for(self, expression: str, limit_s: float = 120, what: str = "") -> Any:
        """Poll a JavaScript expression until it is truthy; its value. Fails with the page's text otherwise."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError:
                value = None  # the page is between documents
            if value:
                return value
            time.sleep(0.25)
        raise BrowserError(f"waited {limit_s:.0f} s for {what or expression}; the page shows: {self.text()[:2000]}")

    def text(self) -> str:
        """The visible text of the page."""
        return str(self.evaluate("document.body ? document.body.innerText : ''") or "")

    def wait_for_text(self, *needles: str, limit_s: float = 120) -> str:
        """Wait until the page's text holds every needle; the text."""
        checks = " && ".join(f"t.includes({json.dumps(n)})" for n in needles)
        self.wait_for(
            f"(() => {{ const t = document.body ? document.body.innerText : ''; return {checks}; }})()",
            limit_s,
            f"the text {list(needles)}",
        )
        return self.text()

    def screenshot(self, path: Path) -> Path:
        """A PNG of the page as it is now."""
        import base64

        data = self.call("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)
