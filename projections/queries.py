"""The read side's queries: every SELECT the commands and reports need lives here."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from videotheque.domain.import_plan import Known
from videotheque.domain.paths import display


def known_files(con: duckdb.DuckDBPyConnection) -> dict[str, Known]:
    """Every catalogued file with its current paths (for the importer's classification).

    One query, ids as text and paths in their display form: the exact bytes are fetched
    only for the paths whose display form differs (those holding U+FFFD), which keeps
    100,000 files well under a second."""
    paths_of: dict[str, dict[str, tuple[int, float]]] = {}
    status_of: dict[str, str] = {}
    rows = con.execute(
        "SELECT CAST(f.id AS VARCHAR), f.status, f.size, p.path,"
        " CASE WHEN contains(p.path, '\ufffd') THEN p.raw_path END, p.mtime"
        " FROM catalog_files f LEFT JOIN file_paths p ON p.file_id = f.id"
    ).fetchall()
    for fid, status, size, path, raw, mtime in rows:
        paths = paths_of.get(fid)
        if paths is None:
            paths = paths_of[fid] = {}
            status_of[fid] = status
        if path is not None:
            if raw is not None:
                path = bytes(raw).decode("utf-8", "surrogateescape")
            paths[path] = (size, mtime)
    return {fid: Known(fid, status_of[fid], paths) for fid, paths in paths_of.items()}


def present_stats(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, float]]:
    """Every current path of a present file with its (size, mtime), in the form of a scan's
    ``files``: what tells a re-import that nothing changed, and all it needs to know (the
    whole catalog, ``known_files``, takes four times as long to load)."""
    rows = con.execute(
        "SELECT p.path, CASE WHEN contains(p.path, '\ufffd') THEN p.raw_path END, f.size,"
        " p.mtime FROM file_paths p JOIN catalog_files f ON f.id = p.file_id"
        " WHERE f.status = 'present'"
    ).fetchall()
    return {
        (bytes(raw).decode("utf-8", "surrogateescape") if raw is not None else path): (
            size,
            mtime,
        )
        for path, raw, size, mtime in rows
    }


CATALOG_COLUMNS = (
    "id", "path", "size", "fingerprint", "kind", "title", "year", "season", "episode",
    "status", "imported_at",
)  # fmt: skip


def catalog(
    con: duckdb.DuckDBPyConnection,
    kind: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """The current catalog as plain dicts: every column of the ``files`` view plus
    ``file_id`` and ``paths`` (all current paths, display form)."""
    where = []
    params: list[Any] = []
    if kind:
        where.append("f.kind = ?")
        params.append(kind)
    if status:
        where.append("f.status = ?")
        params.append(status)
    sql = (
        "SELECT f.*, (SELECT list(p.path ORDER BY p.path) FROM file_paths p "
        "WHERE p.file_id = f.id) AS paths FROM files f"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY f.kind, lower(coalesce(f.title, f.path)), f.season, f.episode, f.path"
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    out = []
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        row.pop("raw_path", None)
        row["file_id"] = str(row.pop("id"))
        row["paths"] = row["paths"] or []
        out.append(row)
    return out


def status_counts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    by_kind = con.execute(
        "SELECT coalesce(kind, 'unknown'), status, count(*), sum(size) FROM catalog_files "
        "GROUP BY ALL ORDER BY 1, 2"
    ).fetchall()
    position = con.execute("SELECT position FROM projection_state WHERE name='main'").fetchone()
    last = con.execute(
        "SELECT run_id, command, started_at, ended_at, status FROM runs "
        "ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    return {
        "by_kind": [
            {"kind": k, "status": s, "files": n, "bytes": int(b or 0)} for k, s, n, b in by_kind
        ],
        "projection_position": int(position[0]) if position else 0,
        "last_run": (
            {
                "run_id": last[0],
                "command": last[1],
                "started_at": str(last[2]),
                "ended_at": str(last[3]) if last[3] else None,
                # as `runs` says it: a run that never recorded its end was cut short
                "status": last[4] if last[4] == "finished" else "unfinished",
            }
            if last
            else None
        ),
    }


def resolve_file_ids(con: duckdb.DuckDBPyConnection, path_or_id: str) -> list[str]:
    """File ids meant by a user's argument: a file id (or a unique prefix of one), a
    current path, or any path the file ever had (across moves)."""
    text = path_or_id.strip()
    ids = (
        [
            str(r[0])
            for r in con.execute(
                "SELECT id FROM catalog_files WHERE CAST(id AS VARCHAR) LIKE ? || '%'",
                [text.lower()],
            ).fetchall()
        ]
        if len(text) >= 8 and all(c in "0123456789abcdef-" for c in text.lower())
        else []
    )
    if ids:
        return ids
    # Paths in ``payload`` and ``path`` are in display form (a non-UTF-8 name cannot be a
    # DuckDB string): compare display forms.
    shown = display(text)
    rows = con.execute(
        "SELECT DISTINCT file_id FROM events WHERE file_id IS NOT NULL AND ("
        " json_extract_string(payload, '$.path') = $1"
        " OR json_extract_string(payload, '$.old_path') = $1"
        " OR json_extract_string(payload, '$.new_path') = $1"
        " OR path = $1)",
        [shown],
    ).fetchall()
    ids = [str(r[0]) for r in rows]
    from videotheque.projections.links import (
        resolve_link_ids,  # a link path: the link and its files
    )

    return ids + [i for i in resolve_link_ids(con, text) if i not in ids]


def catalogued_ids(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[str]:
    """Those of ``ids`` that are catalogued files (not links), in the same order."""
    if not ids:
        return []
    known = {
        str(r[0])
        for r in con.execute(
            "SELECT CAST(id AS VARCHAR) FROM catalog_files WHERE CAST(id AS VARCHAR) IN "
            "(SELECT unnest($1::VARCHAR[]))",
            [ids],
        ).fetchall()
    }
    return [i for i in ids if i in known]


def history(con: duckdb.DuckDBPyConnection, file_ids: list[str]) -> list[dict[str, Any]]:
    """Every event about these files (and the links pointing at them), in store order."""
    rows = con.execute(
        "SELECT position, timestamp, run_id, type, path,"
        " coalesce(exact_payload, CAST(payload AS VARCHAR)) FROM events "
        "WHERE file_id IN (SELECT unnest($1::UUID[])) "
        "   OR originator_id IN (SELECT unnest($1::UUID[])) "
        "   OR json_extract_string(payload, '$.file_id') IN (SELECT unnest($1::VARCHAR[])) "
        "ORDER BY position",
        [file_ids],
    ).fetchall()
    return [
        {
            "position": int(p),
            "timestamp": ts.isoformat() if ts is not None else None,
            "run_id": run_id,
            "type": type_,
            "path": path,
            "data": json.loads(payload),
        }
        for p, ts, run_id, type_, path, payload in rows
    ]


def runs(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT run_id, command, arguments, app_version, host, started_at, ended_at, "
        "exit_code, summary, status FROM runs ORDER BY started_at DESC"
    )
    if limit and limit < 2**63:  # a larger limit (beyond DuckDB's BIGINT) is all of them
        sql += f" LIMIT {int(limit)}"
    out = []
    for r in con.execute(sql).fetchall():
        out.append(
            {
                "run_id": r[0],
                "command": r[1],
                "arguments": json.loads(r[2]) if r[2] else {},
                "version": r[3],
                "host": r[4],
                "started_at": r[5].isoformat() if r[5] else None,
                "ended_at": r[6].isoformat() if r[6] else None,
                "exit_code": r[7],
                "summary": json.loads(r[8]) if r[8] else None,
                "status": r[9] if r[9] == "finished" else "unfinished",
            }
        )
    return out


class SQLError(Exception):
    """A user's SQL query failed (bad SQL: a usage error)."""


class SQLLimitError(SQLError):
    """A user's SQL query ran into its time or memory cap."""


SQL_BATCH = 1_000  # rows fetched at a time: the whole result is never held in memory


# A year: a --timeout longer than this never stops a query (and a timer cannot wait 1e300 s).
MAX_SQL_WAIT = 365 * 86400


@contextmanager
def readonly_sql(
    db_path: str, query: str, *, memory_limit: str = "1GB", timeout: float = 60.0
) -> Iterator[tuple[list[str], Iterator[list[tuple[Any, ...]]]]]:
    """Run a user's query on a read-only connection without any file or network access,
    and give its column names and its rows, streamed in batches.

    Bounded: DuckDB may use ``memory_limit`` and never spills to disk (no temporary
    directory: a huge sort fails instead of filling the disk), and the query is
    interrupted after ``timeout`` seconds, rows already given or not. The settings are
    locked: ``SET memory_limit`` in the query is refused."""
    try:
        con = duckdb.connect(
            db_path,
            read_only=True,
            config={
                "enable_external_access": False,
                "memory_limit": memory_limit,
                "temp_directory": "",
                "lock_configuration": True,
            },
        )
    except (duckdb.InvalidInputException, duckdb.ParserException) as exc:  # a bad --memory-limit
        raise SQLError(f"--memory-limit {memory_limit!r}: {_first_line(exc)}") from exc
    # 0 is no limit; so is a limit beyond what a timer can wait (``--timeout 1e300``).
    timer = threading.Timer(timeout, con.interrupt) if 0 < timeout <= MAX_SQL_WAIT else None
    if timer is not None:
        timer.daemon = True
        timer.start()

    def failed(exc: duckdb.Error) -> SQLError:
        if isinstance(exc, duckdb.InterruptException):
            return SQLLimitError(f"stopped after {timeout:g} s (--timeout)")
        if isinstance(exc, duckdb.OutOfMemoryException):
            return SQLLimitError(f"the query needs more than {memory_limit} (--memory-limit)")
        return SQLError(str(exc).strip())

    def rows(cur: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[Any, ...]]]:
        while True:
            try:
                batch = cur.fetchmany(SQL_BATCH)
            except duckdb.Error as exc:
                raise failed(exc) from exc
            if not batch:
                return
            yield batch

    try:
        try:
            cur = con.execute(query)
        except duckdb.Error as exc:
            raise failed(exc) from exc
        if cur is None:  # only comments: no statement at all
            raise SQLError("the query holds no statement")
        if cur.description is None:
            yield [], iter(())
        else:
            yield [d[0] for d in cur.description], rows(cur)
    finally:
        if timer is not None:
            timer.cancel()
        con.close()


def run_readonly_sql(db_path: str, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run a user's query (bounded as ``readonly_sql``) and give all its rows."""
    with readonly_sql(db_path, query) as (columns, batches):
        return columns, [row for batch in batches for row in batch]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
