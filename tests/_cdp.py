"""Minimal headless-Chromium driver over the DevTools protocol (for tests/test_browser.py).

Starts Debian's ``chromium`` with no network (every host name except loopback
resolves to nothing), a fresh profile, and ``--remote-debugging-port=0``; talks
CDP over a websocket (PyPI ``websocket-client``). Collects JavaScript
exceptions, console errors and failed network requests while a page loads.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Path of a Chromium executable, or None."""
    env = os.environ.get("CHROMIUM")
    if env and Path(env).exists():
        return env
    for name in CHROMIUM_NAMES:
        p = shutil.which(name)
        if p:
            return p
    return None


class Browser:
    """One headless Chromium process with one page, driven over CDP."""

    def __init__(self, exe: str, *, width: int = 1280, height: int = 860, timeout: float = 60.0) -> None:
        import websocket

        self.timeout = timeout
        self.profile = Path(tempfile.mkdtemp(prefix="corridor-chromium-"))
        args = [
            exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
            "--disable-dev-shm-usage", "--mute-audio", "--hide-scrollbars",
            # no network at all: every name but loopback fails to resolve
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
            f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
            "--remote-allow-origins=*", f"--window-size={width},{height}", "about:blank",
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace")[-2000:] if self.proc.stderr else ""
                self.close()
                raise RuntimeError(f"chromium did not start: {err}")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            targets = json.loads(resp.read())
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=timeout,
                                              suppress_origin=True)
        self._id = 0
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    # ------------------------------------------------------------ protocol
    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._id += 1
        my_id = self._id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))
            if "method" in msg:
                self.events.append(msg)

    def _pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        self.ws.settimeout(0.1)
        try:
            while time.monotonic() < end:
                try:
                    msg = json.loads(self.ws.recv())
                except Exception:  # websocket timeout: nothing arrived
                    continue
                if "method" in msg:
                    self.events.append(msg)
        finally:
            self.ws.settimeout(self.timeout)

    def on_new_document(self, source: str) -> None:
        """Run ``source`` in every frame before its own scripts (e.g. to trap ``alert``)."""
        self.send("Page.addScriptToEvaluateOnNewDocument", {"source": source})

    def eval(self, expression: str) -> Any:
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True})
        if "exceptionDetails" in res:
            raise RuntimeError(f"evaluate failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    # ------------------------------------------------------------ pages
    def open(self, url: str, *, ready: str = "true", settle: float = 1.0) -> None:
        """Navigate, wait for the load event and until ``ready`` (JS) is true, then settle."""
        self.events.clear()
        self.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + self.timeout
        while not any(e["method"] == "Page.loadEventFired" for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not finish loading")
            self._pump(0.2)
        while not self.eval(f"Boolean({ready})"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url}: condition {ready} never became true")
            self._pump(0.2)
        self._pump(settle)

    def js_errors(self) -> list[str]:
        """Uncaught exceptions, console.error/assert calls and non-network error log entries."""
        out = []
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append(f"exception: {d.get('text')} {d.get('exception', {}).get('description', '')}")
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.error: " + " ".join(str(a.get("value", a.get("description")))
                                                        for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error" \
                    and p["entry"].get("source") != "network":
                out.append(f"log: {p['entry'].get('text')}")
        return out

    def failed_requests(self) -> list[str]:
        """URLs of requests that failed (e.g. tiles with no network)."""
        urls = {e["params"]["requestId"]: e["params"]["request"]["url"]
                for e in self.events if e["method"] == "Network.requestWillBeSent"}
        return [urls.get(e["params"]["requestId"], "?") for e in self.events
                if e["method"] == "Network.loadingFailed"]

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def screenshot(self, path: str | Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)
