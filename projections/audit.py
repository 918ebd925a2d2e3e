"""The audit trail: every event, flattened, and the runs that caused them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import duckdb

from videotheque.domain.paths import display
from videotheque.projections.base import insert_rows, json_text, json_texts
from videotheque.projections.events import StoredEvent

# The keys that name the path an event is about, in order of preference.
_PATH_KEYS = ("path", "new_path", "link")


def event_path(e: StoredEvent) -> str | None:
    for key in _PATH_KEYS:
        value = e.data.get(key)
        if isinstance(value, str):
            return display(value)
    return None


class EventsProjection:
    name = "events"
    schema = "core.sql"
    tables: tuple[str, ...] = ("events",)

    def apply_staged(self, con: duckdb.DuckDBPyConnection) -> None:
        """Every staged event, in SQL: the row ``apply`` makes (the path is the first of
        ``path``, ``new_path``, ``link`` that is a string)."""
        fields = '{"run_id": "VARCHAR", "path": "JSON", "new_path": "JSON", "link": "JSON"}'
        con.execute(
            "INSERT INTO events (position, timestamp, run_id, aggregate, type, originator_id,"
            " version, file_id, path, payload, exact_payload) "
            "SELECT position, timestamp, r.run_id, aggregate, type, originator_id, version,"
            " CASE WHEN aggregate = 'MediaFile' THEN originator_id END,"
            " CASE WHEN json_type(r.path) = 'VARCHAR' THEN r.path ->> '$'"
            " WHEN json_type(r.new_path) = 'VARCHAR' THEN r.new_path ->> '$'"
            " WHEN json_type(r.link) = 'VARCHAR' THEN r.link ->> '$' END,"
            " payload, NULL "
            f"FROM (SELECT *, json_transform(payload, '{fields}') AS r FROM staged_events)"
        )

    def apply(self, con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None:
        insert_rows(
            con,
            "events",
            _EVENT_COLUMNS,
            [
                {
                    "position": e.position,
                    "timestamp": e.timestamp,
                    "run_id": e.run_id,
                    "aggregate": e.aggregate,
                    "type": e.type,
                    "originator_id": e.originator_id,
                    "version": e.version,
                    "file_id": e.originator_id if e.aggregate == "MediaFile" else None,
                    "path": event_path(e),
                    "payload": e.data,
                    "exact_payload": None,
                }
                for e in events
                if not e.staged  # those went in with apply_staged
            ],
            fix=_keep_exact_payload,
        )


_EVENT_COLUMNS = {
    "position": "BIGINT",
    "timestamp": "TIMESTAMPTZ",
    "run_id": "VARCHAR",
    "aggregate": "VARCHAR",
    "type": "VARCHAR",
    "originator_id": "UUID",
    "version": "INTEGER",
    "file_id": "UUID",
    "path": "VARCHAR",
    "payload": "JSON",
    "exact_payload": "VARCHAR",
}


def _keep_exact_payload(row: dict[str, Any]) -> dict[str, Any]:
    """DuckDB's JSON holds valid UTF-8 only: a non-UTF-8 name is in ``payload`` in its
    display form, and byte for byte in ``exact_payload`` (\\udcXX escapes)."""
    text, exact = json_texts(row["payload"])
    return {**row, "payload": json.loads(text), "exact_payload": exact}


class RunsProjection:
    name = "runs"
    schema = "core.sql"
    tables: tuple[str, ...] = ("runs",)

    def apply(self, con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None:
        for e in events:
            if e.aggregate != "Run":
                continue
            d = e.data
            if e.type == "Started":
                con.execute(
                    "INSERT OR REPLACE INTO runs (run_id, command, arguments, app_version, host,"
                    " started_at, status) VALUES (?, ?, ?, ?, ?, ?, 'running')",
                    [
                        d["run_id"],
                        d["command"],
                        json_text(d.get("arguments") or {}),
                        d.get("app_version"),
                        d.get("host"),
                        d.get("started_at") or e.timestamp,
                    ],
                )
            elif e.type == "Finished":
                con.execute(
                    "UPDATE runs SET ended_at = ?, exit_code = ?, summary = ?, status = 'finished'"
                    " WHERE run_id = ?",
                    [
                        d.get("ended_at") or e.timestamp,
                        d.get("exit_code"),
                        json_text(d.get("summary") or {}),
                        str(e.originator_id),
                    ],
                )
