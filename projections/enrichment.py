"""Enrichment: ``enrichment`` (each file's match) and ``pending`` (the validation queue).

Fed by the MediaFile events ``Enriched``, ``MatchAmbiguous``, ``NoMatch``,
``EnrichmentFailed``, ``MatchValidated`` and ``MatchRejected``. A batch is folded in
Python per file, then written back column-wise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import duckdb

from videotheque.projections.base import insert_columns
from videotheque.projections.events import StoredEvent

EVENTS = {"Enriched", "MatchAmbiguous", "NoMatch", "EnrichmentFailed", "MatchValidated",
          "MatchRejected"}  # fmt: skip

_COLUMNS = {
    "file_id": "UUID",
    "match_status": "VARCHAR",
    "provider": "VARCHAR",
    "provider_id": "VARCHAR",
    "canonical_title": "VARCHAR",
    "canonical_original_title": "VARCHAR",
    "canonical_year": "INTEGER",
    "score": "DOUBLE",
    "how": "VARCHAR",
    "rejected": "VARCHAR[]",
    "last_error": "VARCHAR",
    "failures": "INTEGER",
    "updated_at": "TIMESTAMPTZ",
    "run_id": "VARCHAR",
}
_PENDING = {
    "file_id": "UUID",
    "reason": "VARCHAR",
    "query": "JSON",
    "candidates": "JSON",
    "since": "TIMESTAMPTZ",
    "run_id": "VARCHAR",
}


class EnrichmentProjection:
    name = "enrichment"
    schema = "enrichment.sql"
    tables: tuple[str, ...] = ("enrichment", "pending")

    def apply(self, con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None:
        mine = [e for e in events if e.aggregate == "MediaFile" and e.type in EVENTS]
        if not mine:
            return
        ids = sorted({e.originator_id for e in mine})
        rows = self._load(con, ids)
        queue: dict[str, dict[str, Any] | None] = {}
        for e in mine:
            _apply(rows, queue, e)
        con.execute("DELETE FROM enrichment WHERE file_id IN (SELECT unnest($1::UUID[]))", [ids])
        written = [rows[i] for i in ids if i in rows]
        insert_columns(
            con, "enrichment", {c: (t, [r.get(c) for r in written]) for c, t in _COLUMNS.items()}
        )
        touched = sorted(queue)
        con.execute("DELETE FROM pending WHERE file_id IN (SELECT unnest($1::UUID[]))", [touched])
        entries = [q for q in (queue[i] for i in touched) if q is not None]
        insert_columns(
            con, "pending", {c: (t, [q[c] for q in entries]) for c, t in _PENDING.items()}
        )

    def _load(self, con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, dict[str, Any]]:
        cols = list(_COLUMNS)
        cur = con.execute(
            f"SELECT {', '.join(cols)} FROM enrichment "
            "WHERE file_id IN (SELECT unnest($1::UUID[]))",
            [ids],
        )
        rows: dict[str, dict[str, Any]] = {}
        for values in cur.fetchall():
            row = dict(zip(cols, values, strict=True))
            row["file_id"] = str(row["file_id"])
            row["updated_at"] = str(row["updated_at"]) if row["updated_at"] else None
            rows[row["file_id"]] = row
        return rows


def _apply(
    rows: dict[str, dict[str, Any]], queue: dict[str, dict[str, Any] | None], e: StoredEvent
) -> None:
    d = e.data
    fid = e.originator_id
    row = rows.setdefault(fid, {"file_id": fid, "failures": 0, "rejected": []})
    row["updated_at"] = e.timestamp
    row["run_id"] = d.get("run_id")
    if e.type in ("Enriched", "MatchValidated"):
        row.update(
            match_status="enriched" if e.type == "Enriched" else "validated",
            provider=d.get("provider"),
            provider_id=d.get("provider_id"),
            canonical_title=d.get("title"),
            canonical_original_title=d.get("original_title"),
            canonical_year=d.get("year"),
            score=d.get("score", 1.0),
            how="auto" if e.type == "Enriched" else d.get("how"),
            last_error=None,
            failures=0,
        )
        queue[fid] = None
    elif e.type in ("MatchAmbiguous", "NoMatch"):
        row.update(match_status="pending", provider=None, provider_id=None,
                   canonical_title=None, canonical_original_title=None, canonical_year=None,
                   score=None, how=None, last_error=None, failures=0)  # fmt: skip
        queue[fid] = {
            "file_id": fid,
            "reason": "ambiguous" if e.type == "MatchAmbiguous" else "no_match",
            "query": json.dumps(d.get("query") or {}, ensure_ascii=False),
            "candidates": json.dumps(d.get("candidates") or [], ensure_ascii=False),
            "since": e.timestamp,
            "run_id": d.get("run_id"),
        }
    elif e.type == "EnrichmentFailed":
        row["match_status"] = "failed"
        row["last_error"] = f"{d.get('provider')}: {d.get('reason')}"
        row["failures"] = int(row.get("failures") or 0) + 1
        queue[fid] = None
    elif e.type == "MatchRejected":
        row.update(match_status="rejected", provider=None, provider_id=None,
                   canonical_title=None, canonical_original_title=None, canonical_year=None,
                   score=None, how=None)  # fmt: skip
        row["rejected"] = sorted({*(row.get("rejected") or []), *(d.get("rejected") or [])})
        queue[fid] = None
