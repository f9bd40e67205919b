"""A scriptable HTTP server on 127.0.0.1 for download tests (no internet, ever).

Each path has a queue of :class:`Reply` objects; every request pops the next one
(the last one repeats). Replies can misbehave on purpose: stall, truncate the
body, close the connection, send ``Retry-After``, honour ``Range``.

Usage::

    def test_x(http_server):
        http_server.add("/a.pbf", Reply(status=503), Reply(body=b"data"))
        url = http_server.url("/a.pbf")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    """One scripted response."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0  # seconds to sleep before sending anything
    stall_after: int | None = None  # send this many body bytes, then sleep `stall_mid`
    stall_mid: float = 0.0
    truncate_at: int | None = None  # announce full length, send only this many bytes, close
    honour_range: bool = True
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None  # full control


class _Handler(BaseHTTPRequestHandler):
    server: _Server  # type: ignore[assignment]

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _serve(self) -> None:
        srv = self.server
        length = int(self.headers.get("Content-Length") or 0)
        req_body = self.rfile.read(length) if length else b""
        with srv.lock:
            srv.requests.append((self.command, self.path, dict(self.headers), req_body))
            path = self.path.split("?")[0]
            queue = srv.routes.get(path)
            if not queue:
                reply = Reply(status=404, body=b"not found")
            else:
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if reply.handler is not None:
            reply.handler(self)
            return
        if reply.stall:
            time.sleep(reply.stall)
        body = reply.body
        status = reply.status
        headers = dict(reply.headers)
        rng = self.headers.get("Range")
        if rng and reply.honour_range and status == 200 and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= len(body):
                status, body = 416, b""
                headers["Content-Range"] = f"bytes */{len(reply.body)}"
            else:
                headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(reply.body)}"
                body = body[start:]
                status = 206
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command == "HEAD":
                return
            if reply.truncate_at is not None:
                self.wfile.write(body[: reply.truncate_at])
                self.wfile.flush()
                self.close_connection = True
                return
            if reply.stall_after is not None:
                self.wfile.write(body[: reply.stall_after])
                self.wfile.flush()
                time.sleep(reply.stall_mid)
                self.wfile.write(body[reply.stall_after:])
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = _serve  # noqa: N815 (http.server naming)
    do_POST = _serve  # noqa: N815
    do_HEAD = _serve  # noqa: N815


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()


class LoopbackServer:
    """Start/stop wrapper with helpers to script replies."""

    def __init__(self) -> None:
        self._srv = _Server()
        self._thread = threading.Thread(target=self._srv.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._srv.shutdown()
        self._srv.server_close()

    @property
    def base(self) -> str:
        host, port = self._srv.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, *replies: Reply) -> None:
        with self._srv.lock:
            self._srv.routes[path] = list(replies)

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str], bytes]]:
        return list(self._srv.requests)

    def hits(self, path: str) -> int:
        return sum(1 for r in self._srv.requests if r[1].split("?")[0] == path)
