"""The current catalog: ``catalog_files`` (one row per content) and ``file_paths``.

A batch is folded in Python: the rows of the files it touches are loaded, each event is
applied in store order, and the rows are written back column-wise. That keeps the rules
in one readable place and costs two queries per batch, not per event.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import duckdb

from videotheque.domain.paths import display, to_bytes
from videotheque.projections.base import insert_rows
from videotheque.projections.events import StoredEvent

FILE_EVENTS = {"Imported", "Moved", "Copied", "Vanished", "Reappeared", "Replaced", "Touched"}

_FILE_COLUMNS = {
    "id": "UUID",
    "path": "VARCHAR",
    "raw_path": "BLOB",
    "size": "BIGINT",
    "mtime": "DOUBLE",
    "fingerprint": "VARCHAR",
    "algorithm": "VARCHAR",
    "kind": "VARCHAR",
    "title": "VARCHAR",
    "year": "INTEGER",
    "season": "INTEGER",
    "episode": "INTEGER",
    "episodes": "INTEGER[]",
    "extra": "VARCHAR",
    "parser": "VARCHAR",
    "status": "VARCHAR",
    "path_count": "INTEGER",
    "imported_at": "TIMESTAMPTZ",
    "updated_at": "TIMESTAMPTZ",
    "last_run_id": "VARCHAR",
    "alternatives": "VARCHAR",
}


# The fields of an Imported event the catalog reads, for DuckDB's json_transform.
_IMPORTED = json.dumps(
    {
        "path": "VARCHAR",
        "size": "BIGINT",
        "mtime": "DOUBLE",
        "fingerprint": "VARCHAR",
        "algorithm": "VARCHAR",
        "parser": "VARCHAR",
        "run_id": "VARCHAR",
        "name": {
            "kind": "VARCHAR",
            "title": "VARCHAR",
            "year": "INTEGER",
            "season": "INTEGER",
            "episode": "INTEGER",
            "episodes": ["INTEGER"],
            "extra": "VARCHAR",
            "alternatives": "JSON",
        },
    }
)

_PATH_COLUMNS = {
    "file_id": "UUID",
    "path": "VARCHAR",
    "raw_path": "BLOB",
    "mtime": "DOUBLE",
    "since": "TIMESTAMPTZ",
}


class CatalogProjection:
    name = "catalog"
    schema = "core.sql"
    tables: tuple[str, ...] = ("catalog_files", "file_paths")

    def apply_staged(self, con: duckdb.DuckDBPyConnection) -> None:
        """The staged ``Imported`` events, in SQL: the rows ``_apply`` makes for a new
        file. (``Imported`` is a file's first event: its later events in the batch, applied
        in Python next, find its rows in place.)"""
        staged = f"(SELECT originator_id, timestamp, json_transform(payload, '{_IMPORTED}') AS r FROM staged_events WHERE aggregate = 'MediaFile' AND type = 'Imported')"  # noqa: E501
        con.execute(
            "INSERT INTO catalog_files (id, path, raw_path, size, mtime, fingerprint,"
            " algorithm, kind, title, year, season, episode, episodes, extra, parser, status,"
            " path_count, imported_at, updated_at, last_run_id, alternatives) "
            "SELECT originator_id, r.path, encode(r.path), r.size, r.mtime, r.fingerprint,"
            " r.algorithm, r.name.kind, r.name.title, r.name.year, r.name.season,"
            " r.name.episode, CASE WHEN len(r.name.episodes) > 0 THEN r.name.episodes END,"
            " r.name.extra, r.parser, 'present', 1, timestamp, timestamp, r.run_id,"
            " CASE WHEN json_array_length(r.name.alternatives) > 0"
            " THEN json(r.name.alternatives)::VARCHAR END "
            f"FROM {staged}"
        )
        con.execute(
            "INSERT INTO file_paths (file_id, path, raw_path, mtime, since) "
            f"SELECT originator_id, r.path, encode(r.path), r.mtime, timestamp FROM {staged}"
        )

    def apply(self, con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None:
        mine = [
            e
            for e in events
            if e.aggregate == "MediaFile" and e.type in FILE_EVENTS and not e.in_sql
        ]
        if not mine:
            return
        ids = sorted({e.originator_id for e in mine})
        files, paths = self._load(con, ids)
        known = [i for i in ids if i in files]  # rows to replace; the others are new
        for e in mine:
            _apply(files, paths, e)
        if known:
            con.execute(
                "DELETE FROM catalog_files WHERE id IN (SELECT unnest($1::UUID[]))", [known]
            )
            con.execute(
                "DELETE FROM file_paths WHERE file_id IN (SELECT unnest($1::UUID[]))", [known]
            )
        rows = []
        for i in ids:
            row = files.get(i)
            if row is None:
                continue
            own = paths.get(i, {})
            out = dict(row)  # keys beyond the columns are ignored, missing ones are NULL
            out["path"] = display(row["path"])
            out["raw_path"] = to_bytes(row["path"])
            for c in ("imported_at", "updated_at"):
                if out[c] is not None and not isinstance(out[c], str):
                    out[c] = str(out[c])
            out["path_count"] = len(own)
            if row["path"] in own:
                out["mtime"] = own[row["path"]][0]
            rows.append(out)
        insert_rows(con, "catalog_files", _FILE_COLUMNS, rows)
        insert_rows(
            con,
            "file_paths",
            _PATH_COLUMNS,
            [
                {
                    "file_id": file_id,
                    "path": display(path),
                    "raw_path": to_bytes(path),
                    "mtime": mtime,
                    "since": since,
                }
                for file_id, own in paths.items()
                for path, (mtime, since) in own.items()
            ],
        )

    def _load(
        self, con: duckdb.DuckDBPyConnection, ids: list[str]
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, tuple[float, str]]]]:
        files: dict[str, dict[str, Any]] = {}
        cols = list(_FILE_COLUMNS)
        cur = con.execute(
            f"SELECT {', '.join(cols)} FROM catalog_files WHERE id IN (SELECT unnest($1::UUID[]))",
            [ids],
        )
        for values in cur.fetchall():
            row = dict(zip(cols, values, strict=True))
            row["id"] = str(row["id"])
            row["path"] = bytes(row["raw_path"]).decode("utf-8", "surrogateescape")
            files[row["id"]] = row
        paths: dict[str, dict[str, tuple[float, str]]] = {}
        cur = con.execute(
            "SELECT file_id, raw_path, mtime, since FROM file_paths "
            "WHERE file_id IN (SELECT unnest($1::UUID[]))",
            [ids],
        )
        for file_id, raw, mtime, since in cur.fetchall():
            path = bytes(raw).decode("utf-8", "surrogateescape")
            paths.setdefault(str(file_id), {})[path] = (mtime, str(since))
        return files, paths


def _alternatives_json(alternatives: Any) -> str | None:
    """The parse's other readings as compact JSON text (as DuckDB's ``json()`` writes it)."""
    if not alternatives:
        return None
    return json.dumps(alternatives, ensure_ascii=False, separators=(",", ":"))


def _apply(
    files: dict[str, dict[str, Any]],
    paths: dict[str, dict[str, tuple[float, str]]],
    e: StoredEvent,
) -> None:
    d = e.data
    fid = e.originator_id
    own = paths.setdefault(fid, {})
    if e.type == "Imported":
        name = d.get("name") or {}
        files[fid] = {
            "id": fid,
            "path": d["path"],
            "size": d["size"],
            "mtime": d["mtime"],
            "fingerprint": d["fingerprint"],
            "algorithm": d["algorithm"],
            "kind": name.get("kind"),
            "title": name.get("title"),
            "year": name.get("year"),
            "season": name.get("season"),
            "episode": name.get("episode"),
            "episodes": name.get("episodes") or None,
            "extra": name.get("extra"),
            "alternatives": _alternatives_json(name.get("alternatives")),
            "parser": d.get("parser"),
            "status": "present",
            "imported_at": e.timestamp,
        }
        own.clear()
        own[d["path"]] = (d["mtime"], e.timestamp)
    else:
        row = files.get(fid)
        if row is None:  # an event for a file we never saw imported: ignore, do not crash
            return
        if e.type == "Moved":
            own.pop(d["old_path"], None)
            own[d["new_path"]] = (d["mtime"], e.timestamp)
            row["path"] = d["new_path"]
        elif e.type == "Copied":
            own[d["path"]] = (d["mtime"], e.timestamp)
        elif e.type in ("Vanished", "Replaced"):
            own.pop(d["path"], None)
            if own:
                if row["path"] == d["path"]:
                    row["path"] = min(own)
            else:
                row["status"] = "vanished"
        elif e.type == "Reappeared":
            own.clear()
            own[d["path"]] = (d["mtime"], e.timestamp)
            row["path"] = d["path"]
            row["status"] = "present"
        elif e.type == "Touched":
            own[d["path"]] = (d["mtime"], own.get(d["path"], (0.0, e.timestamp))[1])
    current = files[fid]["path"]
    if current in own:  # the current path's mtime, kept as each event goes (not only when
        files[fid]["mtime"] = own[current][0]  # a batch is written: a rebuild must agree)
    files[fid]["updated_at"] = e.timestamp
    files[fid]["last_run_id"] = d.get("run_id")
