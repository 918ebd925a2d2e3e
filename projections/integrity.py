"""Integrity (``check``): the findings of each check run and each path's verification state.

Tables (projections/sql/integrity.sql), fed only from events so ``rebuild`` reproduces
them: ``integrity_findings`` (Run ``FindingsRecorded``, and MediaFile ``HashVerified``: the
mismatches), ``integrity_verifications`` (the latest verification of each path: Run
``HashesVerified`` for the matches, MediaFile ``HashVerified`` for the mismatches),
``integrity_full_hashes`` (``FullHashRecorded``). The ``integrity_*`` views
(integrity_views.sql) show the latest check. Below the projection: the read functions
``check`` needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from videotheque.domain.paths import display, to_bytes
from videotheque.projections.base import insert_columns
from videotheque.projections.events import StoredEvent

_FINDING_COLUMNS = {
    "run_id": "VARCHAR",
    "position": "BIGINT",
    "found_at": "TIMESTAMPTZ",
    "category": "VARCHAR",
    "path": "VARCHAR",
    "raw_path": "BLOB",
    "file_id": "UUID",
    "link": "VARCHAR",
    "target": "VARCHAR",
    "reason": "VARCHAR",
    "fingerprint": "VARCHAR",
    "paths": "VARCHAR[]",
    "expected": "VARCHAR",
    "actual": "VARCHAR",
    "mismatch": "VARCHAR",
}

_VERIFICATION_COLUMNS = {
    "file_id": "UUID",
    "raw_path": "BLOB",
    "path": "VARCHAR",
    "verified_at": "TIMESTAMPTZ",
    "ok": "BOOLEAN",
    "mismatch": "VARCHAR",
    "expected": "VARCHAR",
    "actual": "VARCHAR",
    "full_check": "VARCHAR",
    "run_id": "VARCHAR",
}


def _text(value: Any) -> str | None:
    return display(value) if isinstance(value, str) else None


def _finding_row(e: StoredEvent, category: str, item: dict[str, Any]) -> dict[str, Any]:
    path = item.get("path")
    paths = item.get("paths")
    return {
        "run_id": e.run_id,
        "position": e.position,
        "found_at": e.timestamp,
        "category": category,
        "path": _text(path),
        "raw_path": to_bytes(path) if isinstance(path, str) else None,
        "file_id": item.get("file_id") or None,
        "link": _text(item.get("link")),
        "target": _text(item.get("target")),
        "reason": item.get("reason") or item.get("root"),
        "fingerprint": item.get("fingerprint"),
        "paths": [display(p) for p in paths] if isinstance(paths, list) else None,
        "expected": item.get("expected"),
        "actual": item.get("actual"),
        "mismatch": item.get("mismatch"),
    }


def _verification(e: StoredEvent, file_id: str, path: str, ok: bool) -> dict[str, Any]:
    return {
        "position": e.position,
        "file_id": file_id,
        "raw_path": to_bytes(path),
        "path": display(path),
        "verified_at": e.timestamp,
        "ok": ok,
        "mismatch": "",
        "expected": None,
        "actual": None,
        "full_check": "",
        "run_id": e.run_id,
    }


_MINE = frozenset({"FindingsRecorded", "HashesVerified", "HashVerified", "FullHashRecorded"})


class IntegrityProjection:
    name = "integrity"
    schema = "integrity.sql"
    tables: tuple[str, ...] = (
        "integrity_findings",
        "integrity_verifications",
        "integrity_full_hashes",
    )

    def apply(self, con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None:
        findings: list[dict[str, Any]] = []
        matches: list[StoredEvent] = []  # Run HashesVerified: the matches, in bulk
        mismatches: list[dict[str, Any]] = []
        full: dict[str, dict[str, Any]] = {}
        for e in events:
            if e.type not in _MINE:
                continue
            d = e.data  # decoded only for the events read here
            if e.aggregate == "Run" and e.type == "FindingsRecorded":
                category = str(d.get("category"))
                findings.extend(_finding_row(e, category, item) for item in d.get("items") or [])
            elif e.aggregate == "Run" and e.type == "HashesVerified":
                matches.append(e)
            elif e.aggregate != "MediaFile":
                continue
            elif e.type == "HashVerified":  # recorded for mismatches (matches: on the run)
                row = _verification(e, e.originator_id, d["path"], bool(d.get("ok")))
                row.update(mismatch=d.get("mismatch") or "", expected=d.get("expected"))
                row.update(actual=d.get("actual"), full_check=d.get("full") or "")
                mismatches.append(row)
                if not row["ok"]:
                    findings.append(
                        _finding_row(e, "hash_mismatches", {**d, "file_id": e.originator_id})
                    )
            elif e.type == "FullHashRecorded":
                full[e.originator_id] = {
                    "file_id": e.originator_id,
                    "full_hash": d["full_hash"],
                    "algorithm": d.get("algorithm"),
                    "path": display(d.get("path") or ""),
                    "recorded_at": e.timestamp,
                    "run_id": e.run_id,
                }
        if findings:
            insert_columns(
                con,
                "integrity_findings",
                {c: (t, [r[c] for r in findings]) for c, t in _FINDING_COLUMNS.items()},
            )
        if matches or mismatches:
            _upsert_verifications(con, matches, mismatches)
        if full:
            rows = list(full.values())
            con.execute(
                "DELETE FROM integrity_full_hashes WHERE file_id IN (SELECT unnest($1::UUID[]))",
                [[r["file_id"] for r in rows]],
            )
            insert_columns(
                con,
                "integrity_full_hashes",
                {
                    "file_id": ("UUID", [r["file_id"] for r in rows]),
                    "full_hash": ("VARCHAR", [r["full_hash"] for r in rows]),
                    "algorithm": ("VARCHAR", [r["algorithm"] for r in rows]),
                    "path": ("VARCHAR", [r["path"] for r in rows]),
                    "recorded_at": ("TIMESTAMPTZ", [r["recorded_at"] for r in rows]),
                    "run_id": ("VARCHAR", [r["run_id"] for r in rows]),
                },
            )


def _is_utf8(path: str) -> bool:
    if path.isascii():
        return True
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _upsert_verifications(
    con: duckdb.DuckDBPyConnection, matches: list[StoredEvent], rows: list[dict[str, Any]]
) -> None:
    """Each path's latest verification: staged (the matches of a run event in one
    statement, what they share bound once), then existing rows updated in place and new
    ones added; the latest event wins. A nightly check re-verifies 100,000 paths: deleting
    and re-inserting them through the primary key would cost three times as much."""
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS integrity_stage AS "
        "SELECT 0::BIGINT AS position, * FROM integrity_verifications LIMIT 0"
    )
    con.execute("DELETE FROM integrity_stage")
    bulk: list[tuple[StoredEvent, list[dict[str, Any]]]] = []
    for e in matches:
        items = e.data.get("items") or []
        if all(_is_utf8(item["path"]) for item in items):
            bulk.append((e, items))
        else:  # a non-UTF-8 name: row by row, its exact bytes and its display form
            rows = rows + [
                {
                    **_verification(e, item["file_id"], item["path"], True),
                    "full_check": item.get("full") or "",
                }
                for item in items
            ]
    if bulk:
        # One statement for every event: its values bound once, its items as lists
        # (binding each value costs about a microsecond; the raw path is encoded by DuckDB).
        con.execute(
            "INSERT INTO integrity_stage SELECT e.position, CAST(unnest(e.ids) AS UUID), "
            "encode(unnest(e.paths)), unnest(e.paths), e.at, true, '', NULL, NULL, "
            "unnest(e.fulls), e.run_id FROM (SELECT unnest($1::BIGINT[]) AS position, "
            "unnest($2::TIMESTAMPTZ[]) AS at, unnest($3::VARCHAR[]) AS run_id, "
            "unnest($4::VARCHAR[][]) AS ids, unnest($5::VARCHAR[][]) AS paths, "
            "unnest($6::VARCHAR[][]) AS fulls) e",
            [
                [e.position for e, _ in bulk],
                [e.timestamp for e, _ in bulk],
                [e.run_id for e, _ in bulk],
                [[item["file_id"] for item in items] for _, items in bulk],
                [[item["path"] for item in items] for _, items in bulk],
                [[item.get("full") or "" for item in items] for _, items in bulk],
            ],
        )
    if rows:
        insert_columns(
            con,
            "integrity_stage",
            {
                "position": ("BIGINT", [r["position"] for r in rows]),
                **{c: (t, [r[c] for r in rows]) for c, t in _VERIFICATION_COLUMNS.items()},
            },
        )
    latest = (
        "(SELECT * EXCLUDE (position) FROM integrity_stage QUALIFY row_number() OVER "
        "(PARTITION BY file_id, raw_path ORDER BY position DESC) = 1)"
    )
    con.execute(
        "UPDATE integrity_verifications t SET path = s.path, verified_at = s.verified_at, "
        "ok = s.ok, mismatch = s.mismatch, expected = s.expected, actual = s.actual, "
        f"full_check = s.full_check, run_id = s.run_id FROM {latest} s "
        "WHERE t.file_id = s.file_id AND t.raw_path = s.raw_path"
    )
    con.execute(
        f"INSERT INTO integrity_verifications SELECT s.* FROM {latest} s "
        "ANTI JOIN integrity_verifications t ON t.file_id = s.file_id AND t.raw_path = s.raw_path"
    )
    con.execute("DELETE FROM integrity_stage")


# ---- reading ------------------------------------------------------------------------------


def _path(raw: Any) -> str:
    return bytes(raw).decode("utf-8", "surrogateescape")


def catalogued_paths(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every current path of a present file (stored form)."""
    rows = con.execute(
        "SELECT p.raw_path FROM file_paths p "
        "JOIN catalog_files f ON f.id = p.file_id WHERE f.status = 'present'"
    ).fetchall()
    return {raw.decode("utf-8", "surrogateescape") for (raw,) in rows}


def file_ids(con: duckdb.DuckDBPyConnection, paths: Iterable[str]) -> dict[str, str]:
    """The id of the file at each of these current paths (stored form)."""
    raws = [to_bytes(p) for p in paths]
    if not raws:
        return {}
    rows = con.execute(
        "SELECT raw_path, CAST(file_id AS VARCHAR) FROM file_paths "
        "WHERE raw_path IN (SELECT unnest($1::BLOB[]))",
        [raws],
    ).fetchall()
    return {_path(raw): fid for raw, fid in rows}


def duplicates(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Contents catalogued at several paths: ``[{"fingerprint", "file_id", "paths"}]``
    (stored paths, sorted), by first path."""
    rows = con.execute(
        "SELECT f.fingerprint, CAST(f.id AS VARCHAR), list(p.raw_path) "
        "FROM catalog_files f JOIN file_paths p ON p.file_id = f.id "
        "WHERE f.status = 'present' AND f.path_count > 1 GROUP BY ALL HAVING count(*) > 1"
    ).fetchall()
    out = [
        {"fingerprint": fp, "file_id": fid, "paths": sorted(_path(r) for r in raws)}
        for fp, fid, raws in rows
    ]
    out.sort(key=lambda d: d["paths"][0])
    return out


@dataclass(frozen=True, slots=True)
class VerifyTarget:
    """A current path of a present file, with what ``check --verify-hash`` compares."""

    path: str  # stored form, relative to storage
    file_id: str
    fingerprint: str
    algorithm: str
    mtime: float
    full_hash: str | None = None
    full_algorithm: str | None = None


def verify_targets(
    con: duckdb.DuckDBPyConnection, full: bool, oldest_first: bool
) -> list[VerifyTarget]:
    """Every current path of a present file; with the recorded full hashes when ``full``;
    the ones verified longest ago (never verified first) first when ``oldest_first``."""
    hashes = "h.full_hash, h.algorithm" if full else "NULL, NULL"
    sql = (
        f"SELECT p.raw_path, CAST(f.id AS VARCHAR), f.fingerprint, f.algorithm, p.mtime, {hashes} "
        "FROM file_paths p JOIN catalog_files f ON f.id = p.file_id "
    )
    if full:
        sql += "LEFT JOIN integrity_full_hashes h ON h.file_id = f.id "
    if oldest_first:
        sql += (
            "LEFT JOIN integrity_verifications iv "
            "ON iv.file_id = p.file_id AND iv.raw_path = p.raw_path "
            "WHERE f.status = 'present' ORDER BY iv.verified_at ASC NULLS FIRST, p.raw_path"
        )
    else:
        sql += "WHERE f.status = 'present'"
    return [
        VerifyTarget(raw.decode("utf-8", "surrogateescape"), fid, fp, alg, mtime, fh, fa)
        for raw, fid, fp, alg, mtime, fh, fa in con.execute(sql).fetchall()
    ]
