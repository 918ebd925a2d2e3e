"""The read side of reports, ``diff`` and time travel: every SELECT they need lives here.

What the library is now (or was, replayed) comes from the projection tables: each file's
match from ``enrichment``, the validation queue from ``pending`` (and the files a person
rejected every proposal for, ``enrichment.match_status = 'rejected'``). What happened in a
window comes from the ``events`` and ``runs`` tables (the audit trail every projection
shares), read with the payload keys the events of ``domain/`` record (``Enriched``:
provider, provider_id, title, original_title, year, score, candidates; ``LinkRepaired``:
link, old_target, new_target, target_path, method; ...), and nothing else.

Timestamps come back as naive UTC ``datetime`` objects (``timezone('UTC', ...)``): the
caller shows them in the zone it chooses, so a report does not depend on DuckDB's session
time zone. Days are grouped with an explicit offset for the same reason.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from videotheque.domain.paths import display

FILE_TYPES = ("Imported", "Moved", "Copied", "Vanished", "Reappeared", "Replaced", "Touched")
ENRICH_TYPES = (
    "Enriched", "MatchValidated", "MatchAmbiguous", "NoMatch", "MatchRejected",
    "EnrichmentFailed",
)  # fmt: skip
LINK_TYPES = (
    "LinkRepaired", "LinkQuarantined", "LinkRestored", "LinkRemoved", "LinkCreated",
    "LinkRetargeted",
)  # fmt: skip
UNDO_TYPES = ("LinkRestored", "LinkRemoved")
INTEGRITY_KEYS = (
    "ghosts", "orphans", "broken_links", "stray_links", "duplicates", "hash_mismatches",
    "unreadable_media",
)  # fmt: skip

# How the ``enrichment`` table's ``match_status`` is shown: a file a person rejected every
# proposal for waits in the validation queue like an ambiguous one.
MATCH_STATUS = {
    "enriched": "enriched",
    "validated": "validated",
    "pending": "pending",
    "rejected": "pending",
    "failed": "failed",
}
# Why a file waits for a person (``pending.reason``, or a rejection).
QUEUE_REASON = {"ambiguous": "ambiguous", "no_match": "no match", "rejected": "rejected"}


def _in(values: Iterable[str]) -> str:
    """A SQL list of known constant names (never user input)."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


# Bookkeeping, left out of activity counts: runs' own events (start, findings, end) and a
# link's first sighting (``Tracked``, recorded with the first action on it).
BOOKKEEPING_TYPES = ("Started", "Finished", "FindingsRecorded", "Tracked")
_NOT_BOOKKEEPING = f"e.aggregate <> 'Run' AND e.type NOT IN {_in(BOOKKEEPING_TYPES)}"

# The file an event is about: its originator for MediaFile events, else the ``file_id`` a
# Link event records (the file behind the link).
_FILE_ID = "coalesce(e.file_id, TRY_CAST(json_extract_string(e.payload, '$.file_id') AS UUID))"


@dataclass(frozen=True)
class Window:
    """Which events a report covers: a time range (aware datetimes) and/or one run."""

    since: datetime | None = None
    until: datetime | None = None
    run_id: str | None = None
    run_ids: tuple[str, ...] | None = None  # a `maintain` pass: its own run and its steps'

    def where(self, alias: str = "e") -> tuple[str, list[Any]]:
        """A SQL condition on the events table (aliased ``alias``) and its parameters."""
        return self._where(alias, "timestamp")

    def where_runs(self, alias: str = "r") -> tuple[str, list[Any]]:
        """The same window applied to the runs table (by start time)."""
        return self._where(alias, "started_at")

    def _where(self, alias: str, moment: str) -> tuple[str, list[Any]]:
        parts = ["TRUE"]
        params: list[Any] = []
        if self.since is not None:
            parts.append(f"{alias}.{moment} >= ?")
            params.append(self.since.astimezone(UTC))
        if self.until is not None:
            parts.append(f"{alias}.{moment} <= ?")
            params.append(self.until.astimezone(UTC))
        if self.run_id is not None:
            parts.append(f"{alias}.run_id = ?")
            params.append(self.run_id)
        if self.run_ids is not None:
            parts.append(f"{alias}.run_id IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(self.run_ids))
        return " AND ".join(parts), params


# -- small helpers -------------------------------------------------------------------------


def _utc(value: datetime | None) -> datetime | None:
    """A naive UTC timestamp from ``timezone('UTC', ...)`` made aware."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _payload(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _path(value: Any) -> str | None:
    """The display form of a stored path (lone surrogates become U+FFFD)."""
    return display(value) if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return number if number is not None and math.isfinite(number) else None


def candidate(raw: dict[str, Any]) -> dict[str, Any]:
    """One candidate as ``domain.enrichment.clean_candidate`` stored it."""
    return {
        "title": raw.get("title"),
        "original_title": raw.get("original_title"),
        "year": _int(raw.get("year")),
        "provider": raw.get("provider"),
        "provider_id": raw.get("provider_id"),
        "score": _float(raw.get("score")),
    }


def candidates_of(raw: Any) -> list[dict[str, Any]]:
    """The candidates an enrichment recorded (a JSON list of them), best score first."""
    if isinstance(raw, str):
        raw = json.loads(raw)
    if not isinstance(raw, list):
        return []
    out = [candidate(c) for c in raw if isinstance(c, dict)]
    out.sort(key=lambda c: -(c["score"] if c["score"] is not None else -1.0))
    return out


def _match_fields(data: dict[str, Any]) -> dict[str, Any]:
    """What an ``Enriched`` or ``MatchValidated`` event chose (``MatchValidated`` has no
    score: a person chose)."""
    return {
        "provider": data.get("provider"),
        "provider_id": data.get("provider_id"),
        "title": data.get("title"),
        "original_title": data.get("original_title"),
        "year": _int(data.get("year")),
        "score": _float(data.get("score")),
    }


# -- the library now (or as of the replayed time) ------------------------------------------


def position(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT position FROM projection_state WHERE name = 'main'").fetchone()
    return int(row[0]) if row else 0


def library_overview(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Files by kind, by decade and by enrichment status (present files only)."""
    by_kind = [
        {"kind": kind, "files": int(n), "bytes": int(b or 0)}
        for kind, n, b in con.execute(
            "SELECT coalesce(kind, 'unknown'), count(*), sum(size) FROM catalog_files "
            "WHERE status = 'present' GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
    ]
    vanished_row = con.execute(
        "SELECT count(*) FROM catalog_files WHERE status <> 'present'"
    ).fetchone()
    # The year of a file's match when it has one (a series' first-air year, a film's
    # release year: what `catalog` shows), else the year parsed from its name.
    rows = con.execute(
        "SELECT f.kind, coalesce(e.canonical_year, f.year), e.match_status FROM catalog_files f "
        "LEFT JOIN enrichment e ON e.file_id = f.id WHERE f.status = 'present'"
    ).fetchall()
    decades: dict[str, dict[str, int]] = {}
    status: dict[str, int] = {}
    for kind, known_year, match_status in rows:
        state = MATCH_STATUS.get(match_status, "not enriched")
        status[state] = status.get(state, 0) + 1
        if kind not in ("movie", "episode"):
            continue
        label = f"{(int(known_year) // 10) * 10}s" if known_year else "unknown"
        row = decades.setdefault(label, {"movie": 0, "episode": 0})
        row[kind] += 1
    order = ["enriched", "validated", "pending", "failed", "not enriched"]
    return {
        "by_kind": by_kind,
        "present": sum(k["files"] for k in by_kind),
        "bytes": sum(k["bytes"] for k in by_kind),
        "vanished": int(vanished_row[0]) if vanished_row else 0,
        "by_decade": [
            {"decade": d, "movies": v["movie"], "episodes": v["episode"]}
            for d, v in sorted(decades.items(), key=lambda kv: (kv[0] == "unknown", kv[0]))
        ],
        "match_status": [{"status": s, "files": status[s]} for s in order if status.get(s)],
    }


def event_bounds(con: duckdb.DuckDBPyConnection, window: Window) -> dict[str, Any]:
    """How many events the window holds, and the first and last of them."""
    where, params = window.where()
    row = con.execute(
        "SELECT count(*), timezone('UTC', min(e.timestamp)), timezone('UTC', max(e.timestamp)),"
        f" min(e.position), max(e.position) FROM events e WHERE {where}",
        params,
    ).fetchone()
    assert row is not None
    return {
        "events": int(row[0]),
        "first": _utc(row[1]),
        "last": _utc(row[2]),
        "first_position": row[3],
        "last_position": row[4],
    }


def events_per_day(
    con: duckdb.DuckDBPyConnection, window: Window, utc_offset_seconds: int = 0
) -> list[tuple[str, str, int]]:
    """``(day, event type, count)`` for every event but run bookkeeping, in time order.

    Days are calendar days at ``utc_offset_seconds`` from UTC (the reader's zone)."""
    where, params = window.where()
    rows = con.execute(
        "SELECT CAST(timezone('UTC', e.timestamp) + to_seconds(?) AS DATE) AS day, e.type,"
        f" count(*) FROM events e WHERE {where} AND {_NOT_BOOKKEEPING}"
        " GROUP BY ALL ORDER BY day, e.type",
        [utc_offset_seconds, *params],
    ).fetchall()
    return [(day.isoformat(), str(type_), int(n)) for day, type_, n in rows]


def event_type_counts(con: duckdb.DuckDBPyConnection, window: Window) -> dict[str, int]:
    where, params = window.where()
    return {
        str(t): int(n)
        for t, n in con.execute(
            f"SELECT e.type, count(*) FROM events e WHERE {where} GROUP BY 1", params
        ).fetchall()
    }


# -- runs ------------------------------------------------------------------------------------


def runs(con: duckdb.DuckDBPyConnection, window: Window, limit: int) -> list[dict[str, Any]]:
    """The runs that started in the window, newest first, with how many events each caused."""
    where, params = window.where_runs()
    rows = con.execute(
        "SELECT r.run_id, r.command, r.arguments, r.host, timezone('UTC', r.started_at),"
        " timezone('UTC', r.ended_at), r.exit_code, r.summary, r.status,"
        f" (SELECT count(*) FROM events e WHERE e.run_id = r.run_id AND {_NOT_BOOKKEEPING})"
        f" FROM runs r WHERE {where} ORDER BY r.started_at DESC, r.run_id LIMIT ?",
        [*params, limit],
    ).fetchall()
    out = []
    for run_id, command, args, host, started, ended, code, summary, status, events in rows:
        start, end = _utc(started), _utc(ended)
        out.append(
            {
                "run_id": run_id,
                "command": command,
                "arguments": _payload(args),
                "host": host,
                "started_at": start,
                "ended_at": end,
                "seconds": (end - start).total_seconds() if start and end else None,
                "exit_code": code,
                "summary": _payload(summary),
                "status": status if status == "finished" else "unfinished",
                "events": int(events),
            }
        )
    return out


def count_runs(con: duckdb.DuckDBPyConnection, window: Window) -> int:
    where, params = window.where_runs()
    row = con.execute(f"SELECT count(*) FROM runs r WHERE {where}", params).fetchone()
    return int(row[0]) if row else 0


def runs_matching(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """The run ids equal to ``run_id``, or else starting with it (a prefix of 4+ chars)."""
    text = run_id.strip().lower()
    exact = con.execute("SELECT run_id FROM runs WHERE run_id = ?", [text]).fetchall()
    if exact or len(text) < 4:
        return [str(r[0]) for r in exact]
    rows = con.execute(
        "SELECT run_id FROM runs WHERE starts_with(run_id, ?) ORDER BY started_at", [text]
    ).fetchall()
    return [str(r[0]) for r in rows]


# -- events of one family, newest first --------------------------------------------------------


def _events(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    types: Iterable[str],
    limit: int,
    order: str = "",
) -> tuple[int, list[dict[str, Any]]]:
    """``(total, rows)``: the events of these types in the window, newest first, with the
    file's current path, kind, title and year when the event is about a catalogued file."""
    where, params = window.where()
    cond = f"e.type IN {_in(types)} AND {where}"
    # Newest run first; within a run (often thousands of events at once), by path.
    order = order or (
        "(SELECT r.started_at FROM runs r WHERE r.run_id = e.run_id) DESC NULLS LAST,"
        " coalesce(e.path, f.path), e.position"
    )
    total_row = con.execute(f"SELECT count(*) FROM events e WHERE {cond}", params).fetchone()
    rows = con.execute(
        "SELECT e.position, timezone('UTC', e.timestamp), e.run_id, e.type, e.aggregate,"
        f" {_FILE_ID}, e.path, e.payload, f.path, f.kind, f.title, f.year, f.season, f.episode"
        f" FROM events e LEFT JOIN catalog_files f ON f.id = {_FILE_ID}"
        f" WHERE {cond} ORDER BY {order} LIMIT ?",
        [*params, limit],
    ).fetchall()
    out = []
    for (
        pos,
        ts,
        run_id,
        type_,
        aggregate,
        fid,
        path,
        payload,
        fpath,
        kind,
        title,
        year,
        s,
        ep,
    ) in rows:
        out.append(
            {
                "position": int(pos),
                "timestamp": _utc(ts),
                "run_id": run_id,
                "type": type_,
                "aggregate": aggregate,
                "file_id": str(fid) if fid is not None else None,
                "path": path or fpath,
                "file_path": fpath,
                "kind": kind,
                "title": title,
                "year": year,
                "season": s,
                "episode": ep,
                "data": _payload(payload),
            }
        )
    return (int(total_row[0]) if total_row else 0), out


def file_changes(con: duckdb.DuckDBPyConnection, window: Window, limit: int) -> dict[str, Any]:
    """Imports and what happened to files since: moves, copies, vanished, reappeared."""
    counts = event_type_counts(con, window)
    imported_total, imported = _events(con, window, ("Imported",), limit)
    changes_total, changes = _events(
        con, window, ("Moved", "Copied", "Vanished", "Reappeared", "Replaced"), limit
    )
    for row in changes:
        d = row["data"]
        row["from_path"] = _path(d.get("old_path")) if row["type"] == "Moved" else None
        row["path"] = _path(d.get("new_path")) if row["type"] == "Moved" else row["path"]
    return {
        "counts": {t: counts.get(t, 0) for t in FILE_TYPES},
        "imported_total": imported_total,
        "imported": imported,
        "changes_total": changes_total,
        "changes": changes,
    }


def enrichments(con: duckdb.DuckDBPyConnection, window: Window, limit: int) -> dict[str, Any]:
    """Matches recorded in the window (with their scores and candidates), and failures."""
    counts = event_type_counts(con, window)
    total, rows = _events(con, window, ("Enriched", "MatchValidated"), limit)
    for row in rows:
        row.update(_match_fields(row["data"]))
        row["candidates"] = candidates_of(row["data"].get("candidates"))
        row["method"] = row["data"].get("how")
    failed_total, failed = _events(con, window, ("EnrichmentFailed",), limit)
    for row in failed:
        row["provider"] = row["data"].get("provider")
        row["reason"] = row["data"].get("reason")
    rejected_total, rejected = _events(con, window, ("MatchRejected",), limit)
    for row in rejected:
        keys = row["data"].get("rejected")
        row["rejected"] = ", ".join(map(str, keys)) if isinstance(keys, list) else None
    return {
        "counts": {t: counts.get(t, 0) for t in ENRICH_TYPES},
        "total": total,
        "matches": rows,
        "failed_total": failed_total,
        "failed": failed,
        "rejected_total": rejected_total,
        "rejected": rejected,
    }


def validation_queue(con: duckdb.DuckDBPyConnection, limit: int) -> dict[str, Any]:
    """Files that wait for a person (the ``pending`` table, and the files whose proposals
    were all rejected), with the candidates they wait with."""
    waiting = (
        "SELECT file_id, reason, candidates FROM pending UNION ALL "
        "SELECT file_id, 'rejected', NULL FROM enrichment WHERE match_status = 'rejected'"
    )
    total_row = con.execute(
        f"SELECT count(*) FROM ({waiting}) w JOIN catalog_files f ON f.id = w.file_id "
        "WHERE f.status = 'present'"
    ).fetchone()
    rows = con.execute(
        "SELECT w.file_id, w.reason, w.candidates, f.path, f.kind, f.title, f.year, f.season,"
        f" f.episode FROM ({waiting}) w JOIN catalog_files f ON f.id = w.file_id"
        " WHERE f.status = 'present'"
        " ORDER BY f.kind, lower(coalesce(f.title, f.path)), f.path LIMIT ?",
        [limit],
    ).fetchall()
    items = [
        {
            "file_id": str(fid),
            "path": path,
            "kind": kind,
            "title": title,
            "year": year,
            "season": season,
            "episode": episode,
            "reason": QUEUE_REASON.get(reason, reason),
            "candidates": candidates_of(candidates),
        }
        for fid, reason, candidates, path, kind, title, year, season, episode in rows
    ]
    return {"total": int(total_row[0]) if total_row else 0, "rows": items}


def link_actions(con: duckdb.DuckDBPyConnection, window: Window, limit: int) -> dict[str, Any]:
    """Repairs, quarantines, undos and organize's links, from the audit trail."""
    counts = event_type_counts(con, window)
    repaired_total, repaired = _events(con, window, ("LinkRepaired",), limit)
    quarantined_total, quarantined = _events(con, window, ("LinkQuarantined",), limit)
    organized_total, organized = _events(con, window, ("LinkCreated", "LinkRetargeted"), limit)
    for row in [*repaired, *quarantined, *organized]:
        d = row["data"]
        row["link"] = _path(d.get("link"))
        row["old_target"] = _path(d.get("old_target"))
        # where the link now points, relative to storage (the link's text is new_target)
        row["new_target"] = _path(d.get("target_path"))
        row["method"] = d.get("method")
        row["trash_path"] = _path(d.get("trash_path"))
        row["dangling_target"] = _path(d.get("dangling_target"))
    undo_total, undos = _undo_events(con, window, limit)
    return {
        "counts": {t: counts.get(t, 0) for t in LINK_TYPES},
        "repaired_total": repaired_total,
        "repaired": repaired,
        "quarantined_total": quarantined_total,
        "quarantined": quarantined,
        "organized_total": organized_total,
        "organized": organized,
        "undo_total": undo_total,
        "undos": undos,
    }


def _undo_events(
    con: duckdb.DuckDBPyConnection, window: Window, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """What undo runs recorded (and any LinkRestored), newest first."""
    where, params = window.where()
    cond = (
        f"{where} AND e.aggregate <> 'Run' AND (e.type IN {_in(UNDO_TYPES)} OR e.run_id IN "
        "(SELECT run_id FROM runs WHERE command = 'undo'))"
    )
    total_row = con.execute(f"SELECT count(*) FROM events e WHERE {cond}", params).fetchone()
    rows = con.execute(
        "SELECT timezone('UTC', e.timestamp), e.run_id, e.type, e.path, e.payload,"
        " (SELECT json_extract_string(r.arguments, '$.run_id') FROM runs r"
        "  WHERE r.run_id = e.run_id)"
        f" FROM events e WHERE {cond} ORDER BY e.position DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    out = []
    for ts, run_id, type_, path, payload, undone in rows:
        d = _payload(payload)
        out.append(
            {
                "timestamp": _utc(ts),
                "run_id": run_id,
                "type": type_,
                "path": _path(d.get("link")) or path,
                "undone_run": d.get("undoes") or undone,
                "data": d,
            }
        )
    return (int(total_row[0]) if total_row else 0), out


# -- integrity (check runs) -----------------------------------------------------------------


def check_runs(con: duckdb.DuckDBPyConnection, window: Window) -> list[dict[str, Any]]:
    """Every finished check run in the window, oldest first, with its finding counts (the
    run's summary: ``CheckReport.summary``, one count per category)."""
    where, params = window.where_runs()
    rows = con.execute(
        "SELECT r.run_id, timezone('UTC', r.started_at), r.summary, r.exit_code, r.arguments"
        f" FROM runs r WHERE r.command = 'check' AND r.status = 'finished' AND {where}"
        " ORDER BY r.started_at, r.run_id",
        params,
    ).fetchall()
    out = []
    for run_id, started, summary, code, args in rows:
        data = _payload(summary)
        counts = {key: _int(data.get(key)) or 0 for key in INTEGRITY_KEYS}
        out.append(
            {
                "run_id": run_id,
                "started_at": _utc(started),
                "exit_code": code,
                "arguments": _payload(args),
                "counts": counts,
                "total": sum(counts.values()),
                "files": _int(data.get("files")),
                "links": _int(data.get("links")),
            }
        )
    return out


def findings(con: duckdb.DuckDBPyConnection, run_id: str, limit: int) -> dict[str, dict[str, Any]]:
    """What one check run found, by category (``FindingsRecorded`` events of the run):
    ``{category: {"total": n, "rows": [dict, ...]}}`` with at most ``limit`` items each."""
    out: dict[str, dict[str, Any]] = {}
    for category, payload in con.execute(
        "SELECT json_extract_string(payload, '$.category'), payload FROM events"
        " WHERE run_id = ? AND type = 'FindingsRecorded' ORDER BY position",
        [run_id],
    ).fetchall():
        items = _payload(payload).get("items")
        if not isinstance(items, list):
            continue
        entry = out.setdefault(str(category), {"total": 0, "rows": []})
        entry["total"] += len(items)
        room = limit - len(entry["rows"])
        entry["rows"].extend(
            {str(k): (_path(v) if isinstance(v, str) else v) for k, v in item.items()}
            if isinstance(item, dict)
            else {"item": item}
            for item in items[: max(room, 0)]
        )
    # Hash mismatches are recorded by the verifications themselves.
    mismatches = con.execute(
        "SELECT path, json_extract_string(payload, '$.mismatch'),"
        " json_extract_string(payload, '$.expected'), json_extract_string(payload, '$.actual')"
        " FROM events WHERE run_id = ? AND type = 'HashVerified'"
        " AND json_extract(payload, '$.ok') = 'false'::JSON ORDER BY position",
        [run_id],
    ).fetchall()
    if mismatches and "hash_mismatches" not in out:
        out["hash_mismatches"] = {
            "total": len(mismatches),
            "rows": [
                {"path": p, "compared": m, "expected": e, "actual": a}
                for p, m, e, a in mismatches[:limit]
            ],
        }
    return out


# -- time travel: two states of the catalog ----------------------------------------------------


def catalog_state(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Every catalogued file (id -> path, status, kind, title, year) for a diff."""
    return {
        str(fid): {
            "file_id": str(fid),
            "path": path,
            "status": status,
            "kind": kind,
            "title": title,
            "year": year,
            "season": season,
            "episode": episode,
        }
        for fid, path, status, kind, title, year, season, episode in con.execute(
            "SELECT id, path, status, kind, title, year, season, episode FROM catalog_files"
        ).fetchall()
    }


def diff_events(con: duckdb.DuckDBPyConnection, window: Window) -> dict[str, Any]:
    """Enrichments and link repairs recorded in the window, oldest first (for ``diff``)."""
    limit = 1_000_000
    _, matches = _events(con, window, ("Enriched", "MatchValidated"), limit)
    _, repaired = _events(con, window, ("LinkRepaired",), limit)
    enriched = []
    for row in reversed(matches):
        m = _match_fields(row["data"])
        enriched.append(
            {
                "file_id": row["file_id"],
                "path": row["file_path"] or row["path"],
                "type": row["type"],
                "provider": m["provider"],
                "provider_id": m["provider_id"],
                "title": m["title"],
                "year": m["year"],
                "score": m["score"],
                "timestamp": row["timestamp"],
            }
        )
    links = []
    for row in reversed(repaired):
        d = row["data"]
        links.append(
            {
                "link": _path(d.get("link")),
                "old_target": _path(d.get("old_target")),
                "new_target": _path(d.get("new_target")),
                "method": d.get("method"),
                "timestamp": row["timestamp"],
            }
        )
    return {"enriched": enriched, "links_repaired": links}
