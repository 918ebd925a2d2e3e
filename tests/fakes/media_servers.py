"""Fake Jellyfin / Emby, Plex and Kodi servers on real 127.0.0.1 sockets.

Each answers the few requests videotheque sends as the real one documents them:

- Jellyfin / Emby: ``POST /Library/Media/Updated`` -> 204 No Content; a body that is not
  ``application/json`` -> 415; a missing or wrong token -> 401. Jellyfin reads the token
  from ``Authorization: MediaBrowser Token="..."`` only (10.12 and later switch the legacy
  ``X-Emby-Token`` off by default); Emby from ``X-Emby-Token``.
- Plex: ``GET /library/sections`` -> the XML ``MediaContainer`` of ``Directory`` elements,
  each with its ``Location`` paths; ``GET /library/sections/{key}/refresh?path=...`` -> 200
  (an unknown section 404); a wrong ``X-Plex-Token`` -> 401 with Plex's HTML page.
- Kodi: ``POST /jsonrpc`` (``Content-Type: application/json``, else 415) ->
  ``{"id", "jsonrpc": "2.0", "result": "OK"}`` for ``VideoLibrary.Scan``, a JSON-RPC error
  object for an unknown method or a ``directory`` that is not a string; wrong basic auth
  -> 401.

``delay`` makes every answer late (a slow server); ``status`` forces an answer (503);
``redirect`` answers 308 to another base URL (Jellyfin set to require HTTPS).
``requests`` records ``(method, path, query, headers, body)`` of every request.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PLEX_401 = (
    b"<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
)


@dataclass
class FakeMediaServer:
    kind: str  # jellyfin | emby | plex | kodi
    token: str = "secret-token"
    user: str = "kodi"
    sections: dict[str, list[str]] = field(default_factory=dict)  # plex: key -> locations
    delay: float = 0.0
    status: int | None = None
    redirect: str | None = None  # answer 308 to this base URL (a server forcing https)
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int = 0) -> FakeMediaServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- answers ----------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.requests.append({"method": method, "path": parts.path, "query": query,
                              "headers": dict(h.headers.items()), "body": body})  # fmt: skip
        if self.delay:
            time.sleep(self.delay)
        if self.redirect is not None:
            try:
                h.send_response(308)
                h.send_header("Location", self.redirect + h.path)
                h.send_header("Content-Length", "0")
                h.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if self.status is not None:
            return _send(h, self.status, b"", "text/plain")
        if self.kind in ("jellyfin", "emby"):
            return self._jellyfin(h, method, parts.path, body)
        if self.kind == "plex":
            return self._plex(h, method, parts.path, query)
        return self._kodi(h, method, parts.path, body)

    def _jellyfin(self, h: BaseHTTPRequestHandler, method: str, path: str, body: bytes) -> None:
        if self.kind == "emby":
            token = h.headers.get("X-Emby-Token")
        else:
            auth = re.match(
                r'MediaBrowser\s.*Token="?([^",]+)"?', h.headers.get("Authorization", "")
            )
            token = auth.group(1) if auth else None
        if token != self.token:
            return _send(h, 401, b"", "text/plain")
        if method != "POST" or path != "/Library/Media/Updated":
            return _send(h, 404, b"", "text/plain")
        if not (h.headers.get("Content-Type") or "").startswith("application/json"):
            return _send(h, 415, b'{"title":"Unsupported Media Type"}', "application/json")
        try:
            data = json.loads(body)
            assert isinstance(data["Updates"], list)
        except Exception:
            return _send(h, 400, b'{"title":"Bad Request"}', "application/json")
        return _send(h, 204, b"", None)

    def _plex(
        self, h: BaseHTTPRequestHandler, method: str, path: str, query: dict[str, str]
    ) -> None:
        token = h.headers.get("X-Plex-Token") or query.get("X-Plex-Token")
        if token != self.token:
            return _send(h, 401, PLEX_401, "text/html")
        if method == "GET" and path == "/library/sections":
            dirs = "".join(
                f'<Directory allowSync="1" key="{key}" type="movie" title="Section {key}" '
                f'agent="tv.plex.agents.movie" scanner="Plex Movie" language="en-US">'
                + "".join(f'<Location id="{i}" path="{p}" />' for i, p in enumerate(locs, 1))
                + "</Directory>"
                for key, locs in self.sections.items()
            )
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<MediaContainer size="{len(self.sections)}" allowSync="0" '
                f'title1="Plex Library">{dirs}</MediaContainer>'
            )
            return _send(h, 200, xml.encode(), "text/xml;charset=utf-8")
        if method == "GET" and path.startswith("/library/sections/") and path.endswith("/refresh"):
            key = path.split("/")[3]
            if key not in self.sections:
                return _send(h, 404, b"", "text/html")
            return _send(h, 200, b"", "text/html")
        return _send(h, 404, b"", "text/html")

    def _kodi(self, h: BaseHTTPRequestHandler, method: str, path: str, body: bytes) -> None:
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        if h.headers.get("Authorization") != expected:
            return _send(h, 401, b"401 Unauthorized", "text/plain")
        if method != "POST" or path != "/jsonrpc":
            return _send(h, 404, b"", "text/plain")
        if not (h.headers.get("Content-Type") or "").startswith("application/json"):
            return _send(h, 415, b"", "text/plain")
        try:
            call = json.loads(body)
        except ValueError:
            answer = {"error": {"code": -32700, "message": "Parse error."}, "id": None,
                      "jsonrpc": "2.0"}  # fmt: skip
            return _send(h, 200, json.dumps(answer).encode(), "application/json")
        if call.get("method") != "VideoLibrary.Scan":
            answer = {"error": {"code": -32601, "message": "Method not found."},
                      "id": call.get("id"), "jsonrpc": "2.0"}  # fmt: skip
        elif not isinstance((call.get("params") or {}).get("directory", ""), str):
            answer = {"error": {"code": -32602, "message": "Invalid params."},
                      "id": call.get("id"), "jsonrpc": "2.0"}  # fmt: skip
        else:
            answer = {"id": call.get("id"), "jsonrpc": "2.0", "result": "OK"}
        return _send(h, 200, json.dumps(answer).encode(), "application/json")

    # -- what was asked ---------------------------------------------------------------------

    def jellyfin_updates(self) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        for r in self.requests:
            if r["path"] == "/Library/Media/Updated":
                out += json.loads(r["body"])["Updates"]
        return out

    def plex_refreshes(self) -> list[tuple[str, str]]:
        return [
            (r["path"].split("/")[3], r["query"].get("path", ""))
            for r in self.requests if r["path"].endswith("/refresh")
        ]  # fmt: skip

    def kodi_scans(self) -> list[str]:
        return [
            json.loads(r["body"])["params"]["directory"]
            for r in self.requests if r["path"] == "/jsonrpc"
        ]  # fmt: skip


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str | None) -> None:
    try:
        h.send_response(status)
        if ctype:
            h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if body:
            h.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up (a timeout test)


def free_port() -> int:
    """A port nothing listens on (a server that is down)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(kind: str, **kwargs: Any) -> Iterator[FakeMediaServer]:
    port = kwargs.pop("port", 0)
    fake = FakeMediaServer(kind, **kwargs).start(port)
    try:
        yield fake
    finally:
        fake.stop()
