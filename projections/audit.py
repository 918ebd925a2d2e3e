"""The audit trail: every event, flattened, and the runs that caused them."""

from __future__ import annotations

import json
from collections.abc import Sequence

import duckdb

from domain.paths import display
from projections.base import insert_columns
from projections.events import StoredEvent

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

    def apply(self, con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> None:
        insert_columns(
            con,
            "events",
            {
                "position": ("BIGINT", [e.position for e in events]),
                "timestamp": ("TIMESTAMPTZ", [e.timestamp for e in events]),
                "run_id": ("VARCHAR", [e.run_id for e in events]),
                "aggregate": ("VARCHAR", [e.aggregate for e in events]),
                "type": ("VARCHAR", [e.type for e in events]),
                "originator_id": ("UUID", [e.originator_id for e in events]),
                "version": ("INTEGER", [e.version for e in events]),
                "file_id": (
                    "UUID",
                    [e.originator_id if e.aggregate == "MediaFile" else None for e in events],
                ),
                "path": ("VARCHAR", [event_path(e) for e in events]),
                # ensure_ascii keeps non-UTF-8 names exact (as \udcXX escapes) in valid JSON
                "payload": ("JSON", [json.dumps(e.data, ensure_ascii=True) for e in events]),
            },
        )


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
                        json.dumps(d.get("arguments") or {}, ensure_ascii=True),
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
                        json.dumps(d.get("summary") or {}, ensure_ascii=True),
                        str(e.originator_id),
                    ],
                )
