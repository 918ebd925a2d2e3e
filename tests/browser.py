"""Headless Chromium driven over the DevTools protocol on a pipe (standard library only).

``open_page(path)`` loads a local file in Debian's ``chromium`` with a phone or desktop
viewport and gives back what the page logged (console errors, uncaught exceptions, failed
loads), lets the test evaluate expressions in the page, and takes screenshots. The pipe
(``--remote-debugging-pipe``: NUL-separated JSON on file descriptors 3 and 4) needs no
WebSocket client and no open port.

Run as a script to take a screenshot: ``python -m tests.browser REPORT.html OUT.png [WIDTH]``.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]
PHONE = {"width": 375, "height": 812, "deviceScaleFactor": 2, "mobile": True}
DESKTOP = {"width": 1100, "height": 900, "deviceScaleFactor": 1, "mobile": False}


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def require_chromium() -> str:
    """The browser, or a skip that says why; in CI (VIDEOTHEQUE_REQUIRE_CHROMIUM, set by
    .ci/run, which installs Debian's chromium) a failure instead, never a silent skip."""
    import os

    import pytest

    found = chromium()
    if found is not None:
        return found
    why = "Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("VIDEOTHEQUE_REQUIRE_CHROMIUM"):
        pytest.fail(f"{why}, and VIDEOTHEQUE_REQUIRE_CHROMIUM is set")
    pytest.skip(why)


class BrowserError(RuntimeError):
    pass


@dataclass
class Page:
    """One page of a running browser; ``errors`` collects what it logged as errors."""

    _proc: subprocess.Popen[bytes]
    _to: Any
    _from: Any
    session: str = ""
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    _next: int = 0
    _buffer: bytes = b""

    # -- protocol ---------------------------------------------------------------------

    def send(self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False,
             timeout: float = 30.0) -> dict[str, Any]:  # fmt: skip
        self._next += 1
        mine = self._next
        message: dict[str, Any] = {"id": mine, "method": method, "params": params or {}}
        if not browser and self.session:
            message["sessionId"] = self.session
        self._to.write(json.dumps(message).encode() + b"\0")
        self._to.flush()
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == mine:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self._event(reply)

    def _post(self, method: str, params: dict[str, Any]) -> None:
        """Send without waiting for the reply (which ``send`` will skip over)."""
        self._next += 1
        message = {"id": self._next, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        self._to.write(json.dumps(message).encode() + b"\0")
        self._to.flush()

    def wait_for(self, event: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self._read(deadline)
            self._event(message)
            if message.get("method") == event:
                params: dict[str, Any] = message.get("params", {})
                return params

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise BrowserError("chromium did not answer in time")
            chunk = os.read(self._from.fileno(), 65536)
            if not chunk:
                raise BrowserError("chromium closed the pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        value: dict[str, Any] = json.loads(raw)
        return value

    def _event(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.console.append(f"{params['type']}: {text}")
            if params["type"] in ("error", "assert"):
                self.errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(f"exception: {details.get('text')} {details.get('exception')}")
        elif method == "Log.entryAdded":
            entry = params["entry"]
            if entry.get("level") == "error":
                self.errors.append(f"log: {entry.get('text')} {entry.get('url', '')}")
        elif method == "Network.loadingFailed":
            self.errors.append(f"network: {params.get('errorText')}")
        elif method == "Page.javascriptDialogOpening":
            # A report never opens one; a name injected as script would. Dismiss it at
            # once (without waiting for the answer: we may be inside ``send``).
            self.errors.append(f"dialog: {params.get('type')} {params.get('message')}")
            self._post("Page.handleJavaScriptDialog", {"accept": False})
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file:", "data:", "about:")):
                self.errors.append(f"external request: {url}")

    # -- conveniences -----------------------------------------------------------------

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = True) -> None:
        params: dict[str, Any] = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"],
                              "height": size["height"], "scale": 1}  # fmt: skip
        data = self.send("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))

    def print_pdf(self) -> bytes:
        data = self.send("Page.printToPDF", {"printBackground": False})["data"]
        return base64.b64decode(data)


@contextmanager
def open_page(path: Path, viewport: dict[str, Any] | None = None) -> Iterator[Page]:
    """Load ``path`` (a local file) in headless Chromium and yield the page once loaded."""
    exe = chromium()
    if exe is None:
        raise BrowserError("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="vtq-chromium-") as profile:
        to_r, to_w = os.pipe()  # we write, chromium reads on its fd 3
        from_r, from_w = os.pipe()  # chromium writes on its fd 4, we read

        def child_fds() -> None:
            # Copies first, so that neither end is clobbered if it already is fd 3 or 4;
            # dup2 makes 3 and 4 inheritable, the pipes' own fds are not (PEP 446).
            read_end, write_end = os.dup(to_r), os.dup(from_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=child_fds,
        )
        os.close(to_r)
        os.close(from_w)
        to = os.fdopen(to_w, "wb")
        frm = os.fdopen(from_r, "rb")
        page = Page(proc, to, frm)
        try:
            target = page.send("Target.createTarget", {"url": "about:blank"}, browser=True)
            attached = page.send(
                "Target.attachToTarget",
                {"targetId": target["targetId"], "flatten": True},
                browser=True,
            )
            page.session = attached["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                page.send(f"{domain}.enable")
            page.send("Emulation.setDeviceMetricsOverride", viewport or DESKTOP)
            page.send("Page.navigate", {"url": path.absolute().as_uri()})
            page.wait_for("Page.loadEventFired")
            yield page
        finally:
            try:
                page.send("Browser.close", browser=True, timeout=5)
            except (BrowserError, OSError):
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            to.close()
            frm.close()


if __name__ == "__main__":  # pragma: no cover - a tool for people
    report, out = Path(sys.argv[1]), Path(sys.argv[2])
    width = int(sys.argv[3]) if len(sys.argv) > 3 else DESKTOP["width"]
    view = PHONE if width < 600 else {**DESKTOP, "width": width}
    with open_page(report, view) as page:
        page.screenshot(out)
        print(f"{out}: errors={page.errors}")
