"""Open an HTML report in headless Chromium: take a screenshot and collect console errors.

How: Chromium is started with ``--remote-debugging-pipe`` and driven through the DevTools
protocol over two plain pipes (file descriptors 3 and 4 of the browser, NUL-terminated JSON
messages).  No port is opened and no websocket library is needed.  We attach to one page,
enable the ``Runtime`` and ``Log`` domains *before* navigating, load the file, wait for the
load event plus a short settling time, and take the screenshot with ``Page.captureScreenshot``.

Why not ``--screenshot`` with ``--enable-logging=stderr``: the stderr log format changes
between Chromium versions and headless modes, uncaught exceptions are not always logged
there, and the browser may exit before late errors appear.  DevTools events are structured
and stable.  Console errors counted:

* ``Runtime.exceptionThrown``: uncaught exceptions and promise rejections;
* ``Runtime.consoleAPICalled`` of type ``error`` or ``assert``: ``console.error(...)``;
* ``Log.entryAdded`` with level ``error``: failed resource loads, blocked content.

The browser runs in its own process group with a throw-away profile and is always stopped.
"""
from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hubcase.errors import RenderError

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
WINDOW = (1280, 2000)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


@dataclass(frozen=True)
class BrowserResult:
    """Console errors seen while the page loaded, and where the screenshot was written."""

    console_errors: list[str]
    screenshot: Path


def find_chromium() -> Path | None:
    """Path of a Chromium/Chrome binary, or ``None`` if none is installed."""
    for candidate in CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return Path(found)
    return None


def check_page(
    html_path: Path | str,
    screenshot_path: Path | str,
    *,
    timeout: float = 30.0,
    settle: float = 0.5,
    chromium: Path | None = None,
) -> BrowserResult:
    """Load ``html_path`` at 1280x2000, write a PNG screenshot and return the console errors.

    ``settle`` seconds are waited after the load event so timers and late scripts can fail.
    Raises ``RenderError`` if Chromium is missing, does not answer or the page cannot load.
    """
    html_path, screenshot_path = Path(html_path).resolve(), Path(screenshot_path)
    if not html_path.is_file():
        raise RenderError(f"{html_path}: no such HTML file to open in the browser.")
    binary = chromium or find_chromium()
    if binary is None:
        raise RenderError("Chromium not found; hint: apt-get install -y chromium.")
    with (
        tempfile.TemporaryDirectory(prefix="hubcase-chromium-") as profile,
        _DevTools(binary, Path(profile), timeout=timeout) as devtools,
    ):
        errors, png = _visit(devtools, html_path.as_uri(), settle=settle)
    screenshot_path.parent.mkdir(parents=True, exist_ok=True)
    screenshot_path.write_bytes(png)
    return BrowserResult(console_errors=errors, screenshot=screenshot_path)


def _visit(devtools: _DevTools, url: str, *, settle: float) -> tuple[list[str], bytes]:
    """Navigate a fresh page to ``url``; return its console errors and a PNG screenshot."""
    target = devtools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = devtools.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for method in ("Runtime.enable", "Log.enable", "Page.enable"):
        devtools.call(method, {}, session=session)
    width, height = WINDOW
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    devtools.call("Emulation.setDeviceMetricsOverride", metrics, session=session)
    navigation = devtools.call("Page.navigate", {"url": url}, session=session)
    if navigation.get("errorText"):
        raise RenderError(f"{url}: the browser could not load the page: {navigation['errorText']}")
    devtools.wait_for("Page.loadEventFired", session=session)
    devtools.drain(settle)
    shot = devtools.call("Page.captureScreenshot", {"format": "png"}, session=session)
    errors = [e for e in (_console_error(event) for event in devtools.events) if e]
    return errors, base64.b64decode(shot["data"])


def _console_error(event: dict[str, Any]) -> str | None:
    """A one-line description of an error event, or ``None`` for other events."""
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        description = details.get("exception", {}).get("description") or details.get("text", "")
        line = details.get("lineNumber", 0) + 1
        where = f" ({details['url']}:{line})" if details.get("url") else ""
        return f"uncaught: {description.splitlines()[0] if description else 'exception'}{where}"
    if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        parts = [str(a.get("value", a.get("description", ""))) for a in params.get("args", [])]
        return f"console.{params['type']}: {' '.join(parts)}"
    if method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        entry = params["entry"]
        return f"{entry.get('source', 'log')}: {entry.get('text', '')} {entry.get('url', '')}".strip()
    return None


class _DevTools:
    """A Chromium process and its DevTools pipe; use as a context manager."""

    def __init__(self, binary: Path, profile: Path, *, timeout: float) -> None:
        self.binary, self.profile, self.timeout = binary, profile, timeout
        self.events: list[dict[str, Any]] = []
        self._buffer = b""
        self._next_id = 0

    def __enter__(self) -> _DevTools:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        args = [str(self.binary), *FLAGS, f"--user-data-dir={self.profile}",
                f"--window-size={WINDOW[0]},{WINDOW[1]}", "about:blank"]
        try:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(3, 4),
                preexec_fn=lambda: _install_pipe_fds(to_browser_r, from_browser_w),
                start_new_session=True,
            )
        except OSError as err:
            os.close(self._to_browser)
            os.close(self._from_browser)
            raise RenderError(f"{self.binary}: could not start the browser: {err}") from err
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self._send("Browser.close", {})
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        finally:
            self._stop_group()
            for fd in (self._to_browser, self._from_browser):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _stop_group(self, grace: float = 2.0) -> None:
        """Wait for the browser's own process group (its helpers too) to end, then force it."""
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _group_alive(self.proc.pid):
            time.sleep(0.05)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not _group_alive(self.proc.pid):
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)

    def _send(self, method: str, params: dict[str, Any], session: str | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def call(self, method: str, params: dict[str, Any], *, session: str | None = None) -> dict[str, Any]:
        """Send a command and return its result; events received meanwhile are kept."""
        wanted = self._send(method, params, session)
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._receive(deadline, what=method)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RenderError(f"browser: {method} failed: {message['error'].get('message')}")
                return message.get("result", {})
            self._keep(message)

    def wait_for(self, event: str, *, session: str) -> None:
        """Wait until ``event`` arrives for ``session``."""
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._receive(deadline, what=event)
            self._keep(message)
            if message.get("method") == event and message.get("sessionId") == session:
                return

    def drain(self, seconds: float) -> None:
        """Keep collecting events for ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self._receive(deadline, what="events", quiet=True)
            if message:
                self._keep(message)

    def _keep(self, message: dict[str, Any]) -> None:
        if "method" in message:
            self.events.append(message)

    def _receive(self, deadline: float, *, what: str, quiet: bool = False) -> dict[str, Any]:
        """Next NUL-terminated message; ``{}`` if ``quiet`` and time is up, else ``RenderError``."""
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            ready = select.select([self._from_browser], [], [], max(remaining, 0))[0] if remaining > 0 else []
            if not ready:
                if quiet:
                    return {}
                raise RenderError(f"browser: no answer to {what} within {self.timeout:.0f} s.")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RenderError(f"browser: Chromium exited while waiting for {what}.")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group ``pgid`` still exists."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _install_pipe_fds(to_browser: int, from_browser: int) -> None:
    """In the child: put the DevTools pipe ends on fds 3 (commands) and 4 (replies)."""
    commands = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10)
    replies = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
    os.dup2(commands, 3)
    os.dup2(replies, 4)
