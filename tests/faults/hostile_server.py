"""A provider gone wrong, on a real 127.0.0.1 socket: ``http://127.0.0.1:PORT/<mode>`` as
``VIDEOTHEQUE_TMDB_URL`` answers every request in that mode.

Modes: ``html`` (an HTML page with 200), ``huge-json`` (a valid 10 MB search answer),
``huge-garbage`` (10 MB that is not JSON), ``endless`` (a body that never ends, sent
fast), ``trickle`` (a body sent one byte every 0.2 s: no read ever times out),
``redirect-loop`` (302 to itself), ``redirect-out`` (302 to another host), ``empty``
(200 with no body), ``wrong-json`` (valid JSON of the wrong shape: a list, a string,
nested nulls). ``hits`` counts requests per mode.
"""

from __future__ import annotations

import collections
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TEN_MB = 10 * 1024 * 1024


def _huge_search() -> bytes:
    results = []
    i = 0
    while True:
        results.append({"id": 1_000_000 + i, "title": f"Film {i} " + "x" * 200,
                        "original_title": f"Film {i}", "release_date": "1999-01-01",
                        "popularity": 1.0, "overview": "y" * 500})  # fmt: skip
        i += 1
        if i % 1000 == 0 and len(json.dumps(results)) > TEN_MB:
            break
    return json.dumps({"page": 1, "results": results, "total_results": i}).encode()


class HostileServer:
    def __init__(self) -> None:
        self.hits: collections.Counter[str] = collections.Counter()
        self._huge = _huge_search()
        handler = type("Handler", (_Handler,), {"owner": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, mode: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{mode}"


class _Handler(BaseHTTPRequestHandler):
    owner: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            self.close_connection = True

    def do_GET(self) -> None:
        mode = self.path.split("/")[1]
        self.owner.hits[mode] += 1
        try:
            self._answer(mode)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _head(self, status: int, ctype: str, length: int | None, **extra: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for k, v in extra.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()

    def _answer(self, mode: str) -> None:
        if mode == "html":
            body = b"<!DOCTYPE html><html><body><h1>Bad gateway</h1></body></html>"
            self._head(200, "text/html", len(body))
            self.wfile.write(body)
        elif mode == "huge-json":
            self._head(200, "application/json", len(self.owner._huge))
            self.wfile.write(self.owner._huge)
        elif mode == "huge-garbage":
            self._head(200, "application/json", TEN_MB)
            for _ in range(TEN_MB // 65536):
                self.wfile.write(b"x" * 65536)
        elif mode == "endless":
            self._head(200, "application/json", None, Transfer_Encoding="chunked")
            chunk = b'{"results": [' + b'"spam", ' * 8000
            while True:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        elif mode == "trickle":
            self._head(200, "application/json", 1_000_000)
            for _ in range(1_000_000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        elif mode in ("redirect-loop", "redirect-out"):
            where = self.path if mode == "redirect-loop" else "http://192.0.2.1/steal"
            self._head(302, "text/html", 0, Location=where)
        elif mode == "empty":
            self._head(200, "application/json", 0)
        elif mode == "wrong-json":
            body = b'{"page": 1, "results": [null, 3, "x", {"id": null, "title": 5}], "x": []}'
            if "/movie/" in self.path or "/tv/" in self.path:
                body = b'["not", "an", "object"]'
            self._head(200, "application/json", len(body))
            self.wfile.write(body)
        else:
            self._head(404, "text/plain", 0)
