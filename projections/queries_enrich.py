"""Read functions for `enrich`, `pending` and `validate` (every SELECT they need)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb


@dataclass(frozen=True)
class EnrichTarget:
    """A present file as `enrich` sees it, oldest import first."""

    file_id: str
    path: str  # stored form (exact bytes as surrogates)
    kind: str | None
    title: str | None
    year: int | None
    extra: str | None
    match_status: str | None
    # other readings of the name, (title, year) each: "Blade Runner 2049" for "Blade Runner"
    # (2049); enrich tries them when the main reading finds no confident match
    alternatives: tuple[tuple[str, int | None], ...] = ()


def _readings(text: str | None) -> tuple[tuple[str, int | None], ...]:
    if not text:
        return ()
    try:
        items = json.loads(text)
    except ValueError:
        return ()
    return tuple(
        (str(a["title"]), a.get("year") if isinstance(a.get("year"), int) else None)
        for a in items
        if isinstance(a, dict) and isinstance(a.get("title"), str) and a["title"].strip()
    )


def enrich_targets(con: duckdb.DuckDBPyConnection) -> list[EnrichTarget]:
    """Every present file with its parsed name and match status, oldest imports first."""
    rows = con.execute(
        "SELECT f.id, f.raw_path, f.kind, f.title, f.year, f.extra, e.match_status, "
        "f.alternatives "
        "FROM catalog_files f LEFT JOIN enrichment e ON e.file_id = f.id "
        "WHERE f.status = 'present' ORDER BY f.imported_at, f.raw_path"
    ).fetchall()
    return [
        EnrichTarget(
            file_id=str(fid),
            path=bytes(raw).decode("utf-8", "surrogateescape"),
            kind=kind,
            title=title,
            year=year,
            extra=extra,
            match_status=status,
            alternatives=_readings(alternatives),
        )
        for fid, raw, kind, title, year, extra, status, alternatives in rows
    ]


def pending_queue(
    con: duckdb.DuckDBPyConnection, file_ids: list[str] | None = None
) -> list[dict[str, Any]]:
    """The validation queue, oldest first: each file with its query and candidates."""
    sql = (
        "SELECT p.file_id, f.path, f.kind, f.title, f.year, f.season, f.episode, p.reason, "
        "p.since, p.query, p.candidates, e.rejected "
        "FROM pending p JOIN catalog_files f ON f.id = p.file_id "
        "LEFT JOIN enrichment e ON e.file_id = p.file_id "
        "WHERE f.status = 'present'"
    )
    params: list[Any] = []
    if file_ids is not None:
        sql += " AND p.file_id IN (SELECT unnest($1::UUID[]))"
        params.append(file_ids)
    sql += " ORDER BY p.since, f.path"
    out = []
    for (
        fid,
        path,
        kind,
        title,
        year,
        season,
        episode,
        reason,
        since,
        query,
        cands,
        rej,
    ) in con.execute(sql, params).fetchall():
        candidates = json.loads(cands) if cands else []
        for n, c in enumerate(candidates, start=1):
            c["n"] = n
        out.append(
            {
                "file_id": str(fid),
                "path": path,
                "kind": kind,
                "title": title,
                "year": year,
                "season": season,
                "episode": episode,
                "reason": reason,
                "since": since.isoformat() if since is not None else None,
                "query": json.loads(query) if query else {},
                "candidates": candidates,
                "rejected": list(rej or []),
            }
        )
    return out


def match_of(con: duckdb.DuckDBPyConnection, file_id: str) -> dict[str, Any] | None:
    """The enrichment row of one file (None when it was never enriched)."""
    cur = con.execute("SELECT * FROM enrichment WHERE file_id = ?", [file_id])
    row = cur.fetchone()
    if row is None:
        return None
    names = [d[0] for d in cur.description]
    out = dict(zip(names, row, strict=True))
    out["file_id"] = str(out["file_id"])
    return out
