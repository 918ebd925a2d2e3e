"""The links of the video tree (``links``) and every path a file ever had
(``file_path_log``, read through the ``file_path_history`` view), plus the read functions
``repair-links``, ``organize``, ``undo`` and ``history`` need over them.

``links`` holds one row per link the tool made or touched: where it is, its current text
and target, the file behind it and its state. ``file_path_log`` is fed by the media
file events; it is how a broken link's old target is recognised after the file moved.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import duckdb

from videotheque.domain.paths import display, to_bytes
from videotheque.projections.base import insert_columns
from videotheque.projections.events import StoredEvent

LINK_EVENTS = {
    "Tracked",
    "LinkRepaired",
    "LinkQuarantined",
    "LinkCreated",
    "LinkRetargeted",
    "LinkRestored",
    "LinkRemoved",
}
# The events of a run that changed the disk (what ``undo`` reverts).
ACTION_EVENTS = ("LinkRepaired", "LinkQuarantined", "LinkCreated", "LinkRetargeted")
UNDO_EVENTS = ("LinkRestored", "LinkRemoved")

_PATH_EVENTS = {"Imported": ("path",), "Moved": ("new_path",), "Copied": ("path",),
                "Reappeared": ("path",)}  # fmt: skip

_LINK_COLUMNS = {
    "id": "UUID",
    "link": "VARCHAR",
    "raw_link": "BLOB",
    "target": "VARCHAR",
    "raw_target": "BLOB",
    "target_path": "VARCHAR",
    "raw_target_path": "BLOB",
    "file_id": "UUID",
    "state": "VARCHAR",
    "method": "VARCHAR",
    "trash_path": "VARCHAR",
    "raw_trash_path": "BLOB",
    "version": "INTEGER",
    "first_run_id": "VARCHAR",
    "last_run_id": "VARCHAR",
    "last_event": "VARCHAR",
    "tracked_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
}
_RAW = {"link": "raw_link", "target": "raw_target", "target_path": "raw_target_path",
        "trash_path": "raw_trash_path"}  # fmt: skip


class LinksProjection:
    name = "links"
    schema = "links.sql"
    tables: tuple[str, ...] = ("links", "file_path_log")

    def apply(self, con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None:
        self._paths(con, events)
        mine = [e for e in events if e.aggregate == "Link" and e.type in LINK_EVENTS]
        if not mine:
            return
        ids = sorted({e.originator_id for e in mine})
        rows = self._load(con, ids)
        for e in mine:
            _apply(rows, e)
        con.execute("DELETE FROM links WHERE id IN (SELECT unnest($1::UUID[]))", [ids])
        out = [rows[i] for i in ids if i in rows]
        columns: dict[str, tuple[str, Sequence[Any]]] = {}
        for c, t in _LINK_COLUMNS.items():
            columns[c] = (t, [_value(r, c) for r in out])
        insert_columns(con, "links", columns)

    def apply_staged(self, con: duckdb.DuckDBPyConnection) -> None:
        """``file_path_log`` for the staged ``Imported`` events, in SQL."""
        con.execute(
            "INSERT INTO file_path_log (raw_path, file_id, position) "
            "SELECT encode(path ->> '$'), originator_id, position FROM "
            "(SELECT originator_id, position, json_extract(payload, '$.path') AS path"
            " FROM staged_events WHERE aggregate = 'MediaFile' AND type = 'Imported') "
            "WHERE json_type(path) = 'VARCHAR'"
        )

    def _paths(self, con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None:
        """A row per event that gives a file a path (the same rows whatever the batches)."""
        rows: list[tuple[bytes, str, int]] = []
        for e in events:
            if e.in_sql:
                continue
            keys = _PATH_EVENTS.get(e.type) if e.aggregate == "MediaFile" else None
            if not keys:
                continue
            for k in keys:
                p = e.data.get(k)
                if isinstance(p, str):
                    rows.append((to_bytes(p), e.originator_id, e.position))
        if not rows:
            return
        con.execute(
            "INSERT INTO file_path_log (raw_path, file_id, position) "
            "SELECT unnest($1::BLOB[]), unnest($2::UUID[]), unnest($3::BIGINT[])",
            [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
        )

    def _load(self, con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict[str, Any]]:
        cols = list(_LINK_COLUMNS)
        cur = con.execute(
            f"SELECT {', '.join(cols)} FROM links WHERE id IN (SELECT unnest($1::UUID[]))", [ids]
        )
        rows: dict[str, dict[str, Any]] = {}
        for values in cur.fetchall():
            row = dict(zip(cols, values, strict=True))
            row["id"] = str(row["id"])
            row["file_id"] = str(row["file_id"]) if row["file_id"] else None
            for key, raw in _RAW.items():
                row[key] = _text(row[raw])
            for key in ("tracked_at", "updated_at"):
                row[key] = str(row[key]) if row[key] is not None else None
            rows[row["id"]] = row
        return rows


def _text(raw: Any) -> str | None:
    return bytes(raw).decode("utf-8", "surrogateescape") if raw is not None else None


def _value(row: dict[str, Any], column: str) -> Any:
    if column.startswith("raw_"):
        value = row.get(column[4:])
        return to_bytes(value) if value is not None else None
    if column in _RAW:
        value = row.get(column)
        return display(value) if value is not None else None
    return row.get(column)


def _apply(rows: dict[str, dict[str, Any]], e: StoredEvent) -> None:
    d = e.data
    lid = e.originator_id
    if e.type == "Tracked":
        rows[lid] = {
            "id": lid,
            "link": d["link"],
            "target": d.get("target"),
            "target_path": d.get("target_path"),
            "file_id": d.get("file_id"),
            "state": "found" if d.get("target") is not None else "absent",
            "method": None,
            "trash_path": None,
            "first_run_id": d.get("run_id"),
            "tracked_at": e.timestamp,
        }
    row = rows.get(lid)
    if row is None:  # an event of a link never tracked: ignore rather than crash
        return
    if e.type in ("LinkRepaired", "LinkRetargeted"):
        row.update(target=d["new_target"], target_path=d.get("target_path"), state="linked")
        row["file_id"] = d.get("file_id")
        if e.type == "LinkRepaired":
            row["method"] = d.get("method")
    elif e.type == "LinkCreated":
        row.update(target=d["target"], target_path=d.get("target_path"), state="linked")
        row.update(file_id=d.get("file_id"), trash_path=None)
    elif e.type == "LinkQuarantined":
        row.update(target=None, state="quarantined", trash_path=d.get("trash_path"))
    elif e.type == "LinkRestored":
        row.update(target=d["target"], target_path=d.get("target_path"), state="found")
        row.update(file_id=d.get("file_id"), trash_path=None)
    elif e.type == "LinkRemoved":
        row.update(target=None, state="removed", trash_path=d.get("trash_path"))
    row["version"] = e.version
    row["last_run_id"] = d.get("run_id")
    row["last_event"] = e.type
    row["updated_at"] = e.timestamp


# -- queries ----------------------------------------------------------------------------


def _decode(raw: Any) -> str:
    return bytes(raw).decode("utf-8", "surrogateescape")


def path_holders(
    con: duckdb.DuckDBPyConnection, paths: Iterable[str]
) -> dict[str, list[tuple[str, int]]]:
    """For each storage path, the files that had it and the position they last got it."""
    raws = sorted({to_bytes(p) for p in paths})
    if not raws:
        return {}
    out: dict[str, list[tuple[str, int]]] = {}
    for raw, fid, pos in con.execute(
        "SELECT h.raw_path, h.file_id, max(h.position) FROM file_path_log h "
        "JOIN (SELECT unnest($1::BLOB[]) AS raw_path) k USING (raw_path) GROUP BY ALL",
        [raws],
    ).fetchall():
        out.setdefault(_decode(raw), []).append((str(fid), int(pos)))
    return out


def current_paths(con: duckdb.DuckDBPyConnection, file_ids: Iterable[str]) -> dict[str, list[str]]:
    """The current storage paths of these (present) files."""
    ids = sorted(set(file_ids))
    if not ids:
        return {}
    out: dict[str, list[str]] = {}
    for fid, raw in con.execute(
        "SELECT p.file_id, p.raw_path FROM file_paths p JOIN catalog_files f ON f.id = p.file_id "
        "WHERE f.status = 'present' AND p.file_id IN (SELECT unnest($1::UUID[]))",
        [ids],
    ).fetchall():
        out.setdefault(str(fid), []).append(_decode(raw))
    return out


def _files_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    cur = con.execute("SELECT * FROM files LIMIT 0")
    return {d[0] for d in cur.description}


def named_files(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Present movies and episodes with the best name known: the enriched
    ``canonical_title``/``canonical_year`` when the ``files`` view has them (and they are
    set), the parsed title and year otherwise. ``path`` is the exact stored path."""
    cols = _files_columns(con)
    title = "coalesce(canonical_title, title)" if "canonical_title" in cols else "title"
    year = "coalesce(canonical_year, year)" if "canonical_year" in cols else "year"
    rows = con.execute(
        f"SELECT id, raw_path, kind, {title}, {year}, season, episode, episodes FROM files "
        "WHERE status = 'present' AND kind IN ('movie', 'episode') ORDER BY raw_path"
    ).fetchall()
    return [
        {
            "file_id": str(fid),
            "path": _decode(raw),
            "kind": kind,
            "title": t,
            "year": int(y) if y is not None else None,
            "season": s,
            "episode": ep,
            "episodes": list(eps or []),
        }
        for fid, raw, kind, t, y, s, ep, eps in rows
    ]


def organize_files(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every present file with what ``organize`` weighs: the best name known (as in
    ``named_files``), the parsed one, its extra, how enrich matched it (``match_status``)
    and the parse's other readings (``alternatives``, when the ``files`` view has them)."""
    cols = _files_columns(con)
    optional = {
        "canonical_title": "canonical_title",
        "canonical_year": "canonical_year",
        "match_status": "match_status",
        "extra": "extra",
        "alternatives": "to_json(alternatives)",
    }
    picked = ", ".join(expr if name in cols else "NULL" for name, expr in optional.items())
    rows = con.execute(
        "SELECT id, raw_path, kind, title, year, season, episode, episodes, "
        f"{picked} FROM files WHERE status = 'present' ORDER BY raw_path"
    ).fetchall()
    out = []
    for fid, raw, kind, t, y, s, ep, eps, ct, cy, status, extra, alts in rows:
        out.append(
            {
                "file_id": str(fid),
                "path": _decode(raw),
                "kind": kind,
                "title": ct if ct is not None else t,
                "year": int(cy) if cy is not None else int(y) if y is not None else None,
                "parsed_title": t,
                "parsed_year": int(y) if y is not None else None,
                "season": s,
                "episode": ep,
                "episodes": list(eps or []),
                "extra": extra,
                "match_status": status,
                "alternatives": _readings(alts),
            }
        )
    return out


def _readings(text: str | None) -> list[Any]:
    """A parse's alternative readings, from JSON (once or twice encoded); [] when none."""
    value: Any = text
    for _ in range(2):
        if not isinstance(value, str):
            break
        try:
            value = json.loads(value)
        except ValueError:
            return [value] if value else []
    return list(value) if isinstance(value, list) else [value] if value else []


def tracked_links(
    con: duckdb.DuckDBPyConnection, links: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """The ``links`` rows (all, or those at these link paths), by link path."""
    sql = (
        "SELECT id, raw_link, raw_target, raw_target_path, file_id, state, version, "
        "last_run_id, last_event FROM links"
    )
    params: list[Any] = []
    if links is not None:
        raws = sorted({to_bytes(p) for p in links})
        if not raws:
            return {}
        sql += " WHERE raw_link IN (SELECT unnest($1::BLOB[]))"
        params.append(raws)
    out: dict[str, dict[str, Any]] = {}
    for lid, raw, rt, rtp, fid, state, version, last_run, last_event in con.execute(
        sql, params
    ).fetchall():
        link = _decode(raw)
        out[link] = {
            "id": str(lid),
            "link": link,
            "target": _decode(rt) if rt is not None else None,
            "target_path": _decode(rtp) if rtp is not None else None,
            "file_id": str(fid) if fid else None,
            "state": state,
            "version": int(version),
            "last_run_id": last_run,
            "last_event": last_event,
        }
    return out


def find_runs(con: duckdb.DuckDBPyConnection, text: str) -> list[dict[str, Any]]:
    """Runs whose id is ``text`` or starts with it (taken literally: no wildcards)."""
    rows = con.execute(
        "SELECT run_id, command, status, started_at FROM runs WHERE starts_with(run_id, ?) "
        "ORDER BY started_at",
        [text.strip().lower()],
    ).fetchall()
    return [
        {"run_id": r, "command": c, "status": s, "started_at": str(t) if t else None}
        for r, c, s, t in rows
    ]


def run_link_actions(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict[str, Any]]:
    """The link events of one run that changed the disk, in store order."""
    rows = con.execute(
        "SELECT position, originator_id, version, type,"
        " coalesce(exact_payload, CAST(payload AS VARCHAR)) FROM events "
        "WHERE aggregate = 'Link' AND run_id = ? AND type IN (SELECT unnest($2::VARCHAR[])) "
        "ORDER BY position",
        [run_id, [*ACTION_EVENTS, *UNDO_EVENTS]],
    ).fetchall()
    return [
        {
            "position": int(p),
            "link_id": str(oid),
            "version": int(v),
            "type": t,
            "data": json.loads(payload),
        }
        for p, oid, v, t, payload in rows
    ]


def undone_by(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The runs that undid (some of) ``run_id``."""
    rows = con.execute(
        "SELECT DISTINCT run_id FROM events WHERE aggregate = 'Link' "
        "AND type IN ('LinkRestored', 'LinkRemoved') "
        "AND json_extract_string(payload, '$.undoes') = ? ORDER BY 1",
        [run_id],
    ).fetchall()
    return [str(r[0]) for r in rows]


def resolve_link_ids(con: duckdb.DuckDBPyConnection, text: str) -> list[str]:
    """Ids meant by a user's argument naming a link: a link id (or a unique prefix), the
    link's path relative to the video root, or where it went in the trash; followed by
    the ids of the files it pointed at (so ``history`` tells the whole story)."""
    text = text.strip()
    raw = to_bytes(text)
    params: list[Any] = [raw]
    where = "raw_link = $1 OR raw_trash_path = $1"
    if len(text) >= 8 and all(c in "0123456789abcdef-" for c in text.lower()):
        where += " OR CAST(id AS VARCHAR) LIKE $2 || '%'"
        params.append(text.lower())
    link_ids = [
        str(r[0]) for r in con.execute(f"SELECT id FROM links WHERE {where}", params).fetchall()
    ]
    if not link_ids:
        # a quarantined link's earlier trash paths, and links renamed by an undo
        link_ids = [
            str(r[0])
            for r in con.execute(
                "SELECT DISTINCT originator_id FROM events WHERE aggregate = 'Link' AND "
                "(json_extract_string(payload, '$.link') = $1 "
                " OR json_extract_string(payload, '$.trash_path') = $1)",
                [display(text)],  # payload holds display forms
            ).fetchall()
        ]
    if not link_ids:
        return []
    file_ids = [
        str(r[0])
        for r in con.execute(
            "SELECT DISTINCT CAST(json_extract_string(payload, '$.file_id') AS UUID) FROM events "
            "WHERE originator_id IN (SELECT unnest($1::UUID[])) "
            "AND json_extract_string(payload, '$.file_id') IS NOT NULL",
            [link_ids],
        ).fetchall()
    ]
    return link_ids + [f for f in file_ids if f not in link_ids]


def link_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every tracked link, for listing."""
    cur = con.execute(
        "SELECT id, link, target, target_path, file_id, state, method, trash_path, "
        "last_run_id, last_event, updated_at FROM links ORDER BY link"
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
