"""The media servers' side of the audit trail, and the reads ``maintain`` needs.

``notifications``: one row per attempt to tell a media server what changed (``Notified``
or ``NotificationFailed`` of a ``MediaServer``), with the folders and the paths the server
was sent. ``nfo_sidecars``: every NFO file videotheque wrote, with its content hash (a
file at that path with another hash was written or edited by someone else).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from videotheque.projections.base import json_text
from videotheque.projections.events import StoredEvent


class MaintenanceProjection:
    name = "maintenance"
    schema = "maintenance.sql"
    tables: tuple[str, ...] = ("media_servers", "notifications", "nfo_sidecars")

    def apply(self, con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None:
        for e in events:
            if e.aggregate == "MediaServer" and e.type in ("Notified", "NotificationFailed"):
                d = e.data
                con.execute(
                    "INSERT INTO notifications (position, server_id, told_at, run_id, ok,"
                    " status, reason, updates, told) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        e.position,
                        e.originator_id,
                        d.get("at") or e.timestamp,
                        d.get("run_id"),
                        e.type == "Notified",
                        d.get("status"),
                        d.get("reason"),
                        json_text(d.get("updates") or []),
                        json_text(d.get("told") or []),
                    ],
                )
            elif e.aggregate == "MediaServer" and e.type == "Registered":
                d = e.data
                con.execute(
                    "INSERT OR REPLACE INTO media_servers (server_id, name, kind, since)"
                    " VALUES (?, ?, ?, ?)",
                    [e.originator_id, d.get("name"), d.get("kind"), e.timestamp],
                )
            elif e.aggregate == "Sidecar" and e.type in ("Written", "Rewritten"):
                d = e.data
                con.execute(
                    "INSERT OR REPLACE INTO nfo_sidecars (path, file_id, kind, content_hash,"
                    " written_at, run_id) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        d.get("path"),
                        d.get("file_id"),
                        d.get("kind"),
                        d.get("content_hash"),
                        e.timestamp,
                        d.get("run_id"),
                    ],
                )


def pending_count(con: duckdb.DuckDBPyConnection) -> int:
    """Present files waiting in the validation queue."""
    row = con.execute(
        "SELECT count(*) FROM pending p JOIN catalog_files f ON f.id = p.file_id"
        " WHERE f.status = 'present'"
    ).fetchone()
    return int(row[0]) if row else 0


def notifications(
    con: duckdb.DuckDBPyConnection, run_ids: Sequence[str] | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """What each media server was told and when (newest first), optionally of some runs."""
    sql = (
        "SELECT timezone('UTC', n.told_at), s.name, s.kind, n.ok, n.status, n.reason,"
        " n.updates, n.told, n.run_id FROM notifications n"
        " LEFT JOIN media_servers s ON s.server_id = n.server_id"
    )
    params: list[Any] = []
    if run_ids is not None:
        sql += " WHERE n.run_id IN (SELECT unnest(?::VARCHAR[]))"
        params.append(list(run_ids))
    sql += " ORDER BY n.position DESC LIMIT ?"
    params.append(limit)
    import json

    return [
        {
            "at": at,
            "server": name,
            "kind": kind,
            "ok": ok,
            "status": status,
            "reason": reason,
            "updates": json.loads(updates) if updates else [],
            "told": json.loads(told) if told else [],
            "run_id": run_id,
        }
        for at, name, kind, ok, status, reason, updates, told, run_id in con.execute(
            sql, params
        ).fetchall()
    ]


def server_notices(con: duckdb.DuckDBPyConnection, window: Any, limit: int) -> dict[str, Any]:
    """For the report: what each media server was told (or not) in the window, newest
    first. ``window`` is a ``queries_report.Window``."""
    import json

    where, params = window.where()
    cond = (
        f"e.aggregate = 'MediaServer' AND e.type IN ('Notified', 'NotificationFailed') AND {where}"
    )
    total = con.execute(f"SELECT count(*) FROM events e WHERE {cond}", params).fetchone()
    rows = con.execute(
        "SELECT e.timestamp, s.name, s.kind, e.type, e.payload, e.run_id FROM events e"
        f" LEFT JOIN media_servers s ON s.server_id = e.originator_id WHERE {cond}"
        " ORDER BY e.position DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    out = []
    for ts, name, kind, type_, payload, run_id in rows:
        d = json.loads(payload) if payload else {}
        told = d.get("told") or d.get("updates") or []
        out.append(
            {
                "timestamp": ts,
                "server": f"{name} ({kind})" if name else "?",
                "ok": type_ == "Notified",
                "status": d.get("status"),
                "reason": d.get("reason") or "",
                "folders": [f"{t.get('type')} {t.get('path') or t.get('folder')}" for t in told],
                "run_id": run_id,
            }
        )
    return {"total": int(total[0]) if total else 0, "rows": out}


def nfo_written(con: duckdb.DuckDBPyConnection, window: Any, limit: int) -> dict[str, Any]:
    """For the report: the NFO sidecars videotheque wrote in the window, newest first."""
    where, params = window.where()
    cond = f"e.aggregate = 'Sidecar' AND e.type IN ('Written', 'Rewritten') AND {where}"
    total = con.execute(f"SELECT count(*) FROM events e WHERE {cond}", params).fetchone()
    rows = con.execute(
        "SELECT e.timestamp, e.type, e.path, json_extract_string(e.payload, '$.kind'),"
        " json_extract_string(e.payload, '$.content_hash'), e.run_id FROM events e"
        f" WHERE {cond} ORDER BY e.position DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    return {
        "total": int(total[0]) if total else 0,
        "rows": [
            {"timestamp": ts, "type": type_, "path": path, "kind": kind,
             "hash": (digest or "")[:19], "run_id": run_id}
            for ts, type_, path, kind, digest, run_id in rows
        ],
    }  # fmt: skip


def nfo_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every NFO path (relative to the video root) videotheque wrote, and its last hash."""
    return {p: h for p, h in con.execute("SELECT path, content_hash FROM nfo_sidecars").fetchall()}


def nfo_targets(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The links the tool made (``linked``) to present files with a match (enriched or
    validated): what an NFO sidecar can say the catalog knows."""
    rows = con.execute(
        "SELECT l.raw_link, CAST(l.file_id AS VARCHAR), f.kind,"
        " coalesce(f.canonical_title, f.title), coalesce(f.canonical_year, f.year),"
        " f.season, f.episode, f.episodes, f.provider, f.provider_id"
        " FROM links l JOIN files f ON f.id = l.file_id"
        " WHERE l.state = 'linked' AND f.status = 'present'"
        " AND f.match_status IN ('enriched', 'validated') AND f.kind IN ('movie', 'episode')"
        " ORDER BY l.raw_link"
    ).fetchall()
    import os

    return [
        {
            "link": os.fsdecode(bytes(raw)),
            "file_id": fid,
            "kind": kind,
            "title": title,
            "year": int(year) if year is not None else None,
            "season": season,
            "episode": episode,
            "episodes": list(episodes or []),
            "provider": provider,
            "provider_id": provider_id,
        }
        for raw, fid, kind, title, year, season, episode, episodes, provider, provider_id in rows
    ]


# Events that change the video tree, and the kind of change they make to the link's folder.
TREE_CHANGES = {
    ("Link", "LinkCreated"): "Created",
    ("Link", "LinkRetargeted"): "Modified",
    ("Link", "LinkRepaired"): "Modified",
    ("Link", "LinkRestored"): "Modified",
    ("Link", "LinkQuarantined"): "Modified",
    ("Link", "LinkRemoved"): "Modified",
    ("Sidecar", "Written"): "Modified",
    ("Sidecar", "Rewritten"): "Modified",
}


def tree_changes(con: duckdb.DuckDBPyConnection, after: int) -> list[tuple[int, str, str]]:
    """``(position, path, change)`` of every event after store position ``after`` that
    changed the video tree (``path``: the link or NFO, relative to the video root)."""
    pairs = " OR ".join(f"(aggregate = '{a}' AND type = '{t}')" for a, t in TREE_CHANGES)
    rows = con.execute(
        "SELECT position, aggregate, type, coalesce(json_extract_string(payload, '$.link'),"
        " json_extract_string(payload, '$.path')) FROM events"
        f" WHERE position > ? AND ({pairs}) ORDER BY position",
        [after],
    ).fetchall()
    return [(int(pos), path, TREE_CHANGES[(agg, typ)]) for pos, agg, typ, path in rows if path]
