"""Media servers follow the catalog: Jellyfin, Emby, Plex and Kodi told which folders changed.

Servers are configured in config.toml, one ``[[notify]]`` table each::

    [[notify]]
    name = "living-room"        # default: the kind; names the server in events and reports
    kind = "jellyfin"           # jellyfin | emby | plex | kodi
    url = "http://127.0.0.1:8096"
    token_env = "JELLYFIN_TOKEN"  # the NAME of the variable holding the token (Kodi: password)
    user = "kodi"               # Kodi only: the web server's user name (basic auth)
    from = "/mnt/media/video"   # the video root (or a folder above it) as seen here ...
    to = "/data/video"          # ... and as the server sees it
    timeout = 10                # seconds per request

What each kind is sent (from the servers' API documentation):

- Jellyfin / Emby: ``POST /Library/Media/Updated`` with ``{"Updates": [{"Path": ...,
  "UpdateType": "Created" | "Modified" | "Deleted"}]}``; the token in
  ``Authorization: MediaBrowser Token="..."`` (Jellyfin) or ``X-Emby-Token`` (Emby).
  The answer is 204 No Content.
- Plex: ``GET /library/sections`` (XML) finds the section whose ``Location`` holds the
  folder, then ``GET /library/sections/{id}/refresh?path=<folder>`` scans only it; the token
  travels in the ``X-Plex-Token`` header (not in the URL, which servers log).
- Kodi: JSON-RPC ``POST /jsonrpc`` ``{"jsonrpc": "2.0", "method": "VideoLibrary.Scan",
  "params": {"directory": "<folder>/", "showdialogs": false}, "id": 1}`` with basic auth;
  ``{"result": "OK"}`` is a yes, an ``error`` member a no. A ``Season NN`` folder is
  scanned as its show's folder (Kodi recognises a show by its own folder).

A deleted folder is sent as such to Jellyfin and Emby; Plex and Kodi scan its parent.
Nothing here raises for a server that is down: each attempt comes back as a
:class:`Delivery` (ok, or why not), and the caller records it.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import defusedxml.ElementTree as DET
import httpx

from videotheque.commands.config import ServerConfig

_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")  # what a token sent in an HTTP header may hold
_SEASON = re.compile(r"^(season|saison|staffel|temporada|stagione)\s*\d+$|^specials$", re.I)


def server_path(server: ServerConfig, video_root: str, folder: str) -> str:
    """The folder (relative to the video root) as the server sees it."""
    here = posixpath.normpath(posixpath.join(video_root, folder)) if folder else video_root
    if server.map_from is None or server.map_to is None:
        return here
    base = server.map_from or "/"
    if here == base or here.startswith(base.rstrip("/") + "/"):
        rest = here[len(base.rstrip("/")) :].lstrip("/")
        return posixpath.join(server.map_to or "/", rest) if rest else (server.map_to or "/")
    return here


@dataclass
class Delivery:
    """How one server took one batch of updates."""

    ok: bool
    told: list[dict[str, Any]] = field(default_factory=list)
    status: int | None = None
    reason: str | None = None
    auth: bool = False  # refused the credentials (or none set): a person must act
    dropped: list[dict[str, Any]] = field(default_factory=list)  # folders no section holds


def deliver(
    server: ServerConfig,
    video_root: str,
    updates: list[dict[str, Any]],
    env: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Delivery:
    """Tell ``server`` about ``updates``; never raises for the network or the server."""
    env = os.environ if env is None else env
    # A secrets file edited on Windows or a token pasted with its newline: the blanks around
    # a token are never part of it.
    token = (env.get(server.token_env) or "").strip() if server.token_env else None
    if server.token_env and not token:
        return Delivery(
            ok=False, reason=f"the environment variable {server.token_env} is not set",
            auth=True,
        )  # fmt: skip
    if token and server.kind != "kodi" and not _HEADER_SAFE.fullmatch(token):
        # httpx would refuse the header with a message quoting it: the token must never
        # reach a message or an event.
        return Delivery(
            ok=False, auth=True,
            reason=f"the environment variable {server.token_env} holds a character no "
            "token has (a control character or a non-ASCII one)",
        )  # fmt: skip
    delivery = _deliver(server, video_root, updates, token, transport)
    if token and delivery.reason and token in delivery.reason:  # never shown, never stored
        delivery.reason = delivery.reason.replace(token, "***")
    return delivery


def _deliver(
    server: ServerConfig,
    video_root: str,
    updates: list[dict[str, Any]],
    token: str | None,
    transport: httpx.BaseTransport | None,
) -> Delivery:
    told = [
        {"folder": u["folder"], "type": u["type"],
         "path": server_path(server, video_root, u["folder"])}
        for u in updates
    ]  # fmt: skip
    try:
        with httpx.Client(
            timeout=server.timeout, follow_redirects=False, transport=transport
        ) as client:
            if server.kind in ("jellyfin", "emby"):
                return _jellyfin(client, server, token, told)
            if server.kind == "plex":
                return _plex(client, server, token, told)
            return _kodi(client, server, token, told)
    except httpx.TimeoutException:
        return Delivery(ok=False, told=told, reason=f"no answer within {server.timeout:g} s")
    except httpx.ConnectError as exc:
        return Delivery(ok=False, told=told, reason=f"unreachable ({_short(exc)})")
    except httpx.HTTPError as exc:
        return Delivery(ok=False, told=told, reason=f"{type(exc).__name__}: {_short(exc)}")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _refused(response: httpx.Response, told: list[dict[str, Any]]) -> Delivery:
    status = response.status_code
    if status in (401, 403):
        return Delivery(ok=False, told=told, status=status, auth=True,
                        reason=f"refused the credentials ({status})")  # fmt: skip
    if response.is_redirect:
        # Not followed (a token is not sent where config.toml did not say): a person sets
        # the url to where the server lives now (http -> https, another port).
        target = urlsplit(response.headers.get("Location", ""))
        moved = f"{target.scheme}://{target.netloc}" if target.netloc else "another address"
        why = f"answered {status}, a redirect to {moved}: set its url to that"
        return Delivery(ok=False, told=told, status=status, auth=True, reason=why)
    return Delivery(ok=False, told=told, status=status, reason=f"answered {status}")


def _jellyfin(
    client: httpx.Client, server: ServerConfig, token: str | None, told: list[dict[str, Any]]
) -> Delivery:
    headers = {"Content-Type": "application/json"}
    if token:
        if server.kind == "emby":
            headers["X-Emby-Token"] = token
        else:
            headers["Authorization"] = f'MediaBrowser Token="{token}"'
    body = {"Updates": [{"Path": t["path"], "UpdateType": t["type"]} for t in told]}
    response = client.post(f"{server.url}/Library/Media/Updated", json=body, headers=headers)
    if response.is_success:
        return Delivery(ok=True, told=told, status=response.status_code)
    return _refused(response, told)


def _scan_folder(t: dict[str, Any]) -> str:
    """Plex and Kodi scan a folder that exists: a deleted one's parent."""
    path = str(t["path"])
    return posixpath.dirname(path) if t["type"] == "Deleted" else path


def _plex(
    client: httpx.Client, server: ServerConfig, token: str | None, told: list[dict[str, Any]]
) -> Delivery:
    headers = {"Accept": "application/xml"}
    if token:
        headers["X-Plex-Token"] = token
    response = client.get(f"{server.url}/library/sections", headers=headers)
    if not response.is_success:
        return _refused(response, told)
    try:
        root = DET.fromstring(response.content)
    except Exception:
        return Delivery(ok=False, told=told, status=response.status_code,
                        reason="/library/sections did not answer XML")  # fmt: skip
    sections: list[tuple[str, str]] = []
    for directory in root.iter("Directory"):
        key = directory.get("key")
        for location in directory.iter("Location"):
            path = location.get("path")
            if key and path:
                sections.append((key, path.rstrip("/") or "/"))
    sent: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []
    done: set[tuple[str, str]] = set()
    for t in told:
        folder = _scan_folder(t)
        holders = [
            (key, loc) for key, loc in sections
            if folder == loc or folder.startswith(loc.rstrip("/") + "/")
        ]  # fmt: skip
        if not holders:
            dropped.append(t)
            continue
        key, _ = max(holders, key=lambda h: len(h[1]))
        if (key, folder) not in done:
            answer = client.get(
                f"{server.url}/library/sections/{key}/refresh",
                params={"path": folder},
                headers=headers,
            )
            if not answer.is_success:
                failed = _refused(answer, told)
                failed.told = told
                return failed
            done.add((key, folder))
        sent.append({**t, "section": key})
    reason = (
        f"no Plex section holds {', '.join(str(d['path']) for d in dropped)}" if dropped else None
    )
    return Delivery(ok=True, told=sent, status=200, reason=reason, dropped=dropped)


def _kodi(
    client: httpx.Client, server: ServerConfig, token: str | None, told: list[dict[str, Any]]
) -> Delivery:
    auth = httpx.BasicAuth(server.user or "kodi", token) if token else None
    done: set[str] = set()
    status: int | None = None
    for t in told:
        # Kodi finds a show from its own folder: a season folder is scanned as its show's.
        folder = _scan_folder(t).rstrip("/")
        if _SEASON.match(posixpath.basename(folder)):
            folder = posixpath.dirname(folder)
        directory = folder + "/"
        if directory in done:
            continue
        body = {
            "jsonrpc": "2.0",
            "method": "VideoLibrary.Scan",
            "params": {"directory": directory, "showdialogs": False},
            "id": 1,
        }
        response = (
            client.post(f"{server.url}/jsonrpc", json=body, auth=auth)
            if auth is not None
            else client.post(f"{server.url}/jsonrpc", json=body)
        )
        status = response.status_code
        if not response.is_success:
            return _refused(response, told)
        try:
            answer = response.json()
        except ValueError:
            return Delivery(ok=False, told=told, status=status, reason="answer is not JSON-RPC")
        if not isinstance(answer, dict) or "error" in answer or answer.get("result") != "OK":
            error = answer.get("error") if isinstance(answer, dict) else None
            message = error.get("message") if isinstance(error, dict) else None
            return Delivery(ok=False, told=told, status=status,
                            reason=f"JSON-RPC error: {message or answer!r}"[:200])  # fmt: skip
        done.add(directory)
    return Delivery(ok=True, told=told, status=status)


def changed_folders(*reports: Any) -> list[dict[str, Any]]:
    """The folders of the video tree (relative to its root) a pass changed, with the kind
    of change: a folder that got a new link is ``Created``, one whose links were
    retargeted, repaired or moved away ``Modified``. Reports of organize, repair-links and
    the NFO writer; a dry run's count as nothing."""
    kinds: dict[str, str] = {}

    def mark(link: str, kind: str) -> None:
        folder = posixpath.dirname(link)
        if kinds.get(folder) != "Created":
            kinds[folder] = kind

    for report in reports:
        if report is None or getattr(report, "dry_run", False):
            continue
        for item in getattr(report, "created", []):
            mark(item["link"], "Created")
        for attr in ("retargeted", "repaired", "quarantined", "written"):
            for item in getattr(report, attr, []):
                mark(item.get("link") or item.get("path", ""), "Modified")
    return [{"folder": f, "type": kinds[f]} for f in sorted(kinds)]


def with_deletions(video_root: str, updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A folder gone from the disk by now is sent as ``Deleted``."""
    out = []
    for u in updates:
        gone = not os.path.isdir(posixpath.join(video_root, u["folder"]))
        out.append({**u, "type": "Deleted"} if gone else dict(u))
    return out
