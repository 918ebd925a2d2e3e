"""``report``, ``catalog --as-of`` and ``diff``: the audit trail made readable, and time travel.

Flow: the session has caught the projection up -> with ``--until`` (or an as-of date) the
store is replayed up to that moment into a temporary DuckDB file -> the queries of
``projections.queries_report`` read it -> ``reports.render`` draws HTML or Markdown.
Nothing here writes an event: reading the past changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import duckdb

import videotheque
from videotheque.commands.errors import UsageError
from videotheque.commands.library import sqlite_path
from videotheque.commands.ports import Workspace
from videotheque.domain.paths import is_within
from videotheque.projections import queries_report as q
from videotheque.projections.maintenance import nfo_written, server_notices
from videotheque.projections.projector import Recorder
from videotheque.projections.time_travel import event_time, replay_until
from videotheque.reports.charts import INTEGRITY_SERIES, events_chart, integrity_chart
from videotheque.reports.render import render

ROW_LIMIT = 200  # rows per table in a report; the rest are counted, not listed
FINDING_HELP = {
    "ghosts": "catalogued, missing on disk",
    "orphans": "video files on disk the catalog does not know",
    "broken_links": "links whose target is missing",
    "stray_links": "links outside storage or to unknown files",
    "duplicates": "one content at several paths",
    "hash_mismatches": "content changed since import",
    "unreadable_media": "files MediaInfo could not read",
}


@contextmanager
def connect_as_of(
    session: Workspace, as_of: datetime | None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the projection now, or to one replayed up to ``as_of``. When
    ``as_of`` is after the last event, the current projection is that state already."""
    if as_of is None or _after_last_event(session, as_of):
        with session.read() as con:
            yield con
        return
    with (
        replay_until(session.recorder, as_of, directory=session.home) as replay,
        replay.projector.connect() as con,
    ):
        yield con


def _after_last_event(session: Workspace, moment: datetime) -> bool:
    top = session.position()
    if top == 0:
        return True
    last = Recorder(session.recorder).read(top - 1, 1)
    return bool(last) and event_time(last[-1]) <= moment


# -- report --------------------------------------------------------------------------------


@dataclass
class ReportResult:
    text: str
    fmt: str
    path: Path | None
    events: int
    sections: dict[str, int] = field(default_factory=dict)


def gather(
    con: duckdb.DuckDBPyConnection,
    window: q.Window,
    *,
    tz: tzinfo,
    meta: dict[str, Any],
    limit: int = ROW_LIMIT,
) -> dict[str, Any]:
    """Everything a report shows, as plain data for the templates."""
    now = meta.get("generated_at") or datetime.now(UTC)
    delta = tz.utcoffset(now)
    offset = int(delta.total_seconds()) if delta is not None else 0
    checks = q.check_runs(con, window)
    labels = _distinct_labels([c["started_at"] for c in checks], tz)
    return {
        "meta": {**meta, "position": q.position(con)},
        "limit": limit,
        "overview": q.library_overview(con),
        "bounds": q.event_bounds(con, window),
        "charts": {
            "events": events_chart(q.events_per_day(con, window, offset)),
            "integrity": integrity_chart(checks, labels),
        },
        "runs": {"total": q.count_runs(con, window), "rows": q.runs(con, window, limit)},
        "files": q.file_changes(con, window, limit),
        "enrich": q.enrichments(con, window, limit),
        "queue": q.validation_queue(con, limit),
        "links": q.link_actions(con, window, limit),
        "servers": server_notices(con, window, limit),
        "nfo": nfo_written(con, window, limit),
        "integrity": {
            "checks": checks,
            "labels": labels,
            "latest": checks[-1] if checks else None,
            "findings": q.findings(con, checks[-1]["run_id"], limit) if checks else {},
            "series": [
                (key, label, FINDING_HELP.get(key, "")) for key, label, _ in INTEGRITY_SERIES
            ],
        },
    }


def _scope(since: datetime | None, until: datetime | None, run_id: str | None, tz: tzinfo) -> str:
    """What the report covers, in words."""

    def shown(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    span = ""
    if since is not None and until is not None:
        span = f"from {shown(since)} to {shown(until)}"
    elif since is not None:
        span = f"since {shown(since)}"
    elif until is not None:
        span = f"up to {shown(until)}"
    if run_id is not None:
        return f"Events of run {run_id}" + (f", {span}" if span else "")
    return f"Events {span}" if span else "Every event recorded"


def _distinct_labels(moments: list[datetime | None], tz: tzinfo) -> list[str]:
    """The shortest of a few formats that tells every check run apart on the chart."""
    labels: list[str] = []
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%m-%d %H:%M:%S"):
        labels = [m.astimezone(tz).strftime(fmt) if m else "?" for m in moments]
        if len(set(labels)) == len(labels):
            break
    return labels


def build_report(
    session: Workspace,
    fmt: str = "html",
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    run_id: str | None = None,
    output: Path | None = None,
    tz: tzinfo | None = None,
    run_ids: list[str] | None = None,
    generated_at: datetime | None = None,
    limit: int = ROW_LIMIT,
) -> ReportResult:
    """Render the audit report (and write it to ``output`` when given)."""
    if fmt not in ("html", "md"):
        raise UsageError(f"--format must be html or md, not {fmt!r}")
    if since is not None and until is not None and since > until:
        raise UsageError("--since is after --until: nothing could match")
    zone = tz or datetime.now().astimezone().tzinfo or UTC
    config = session.config
    with connect_as_of(session, until) as con:
        if run_id is not None:
            run_id = _resolve_run(con, run_id)
        window = q.Window(
            since=since, until=until, run_id=run_id,
            run_ids=tuple(run_ids) if run_ids is not None else None,
        )  # fmt: skip
        meta = {
            "generated_at": generated_at or datetime.now(UTC),
            "version": videotheque.__version__,
            "storage": os.fsdecode(config.storage) if config.storage else None,
            "video": os.fsdecode(config.video) if config.video else None,
            "since": since,
            "until": until,
            "run_id": run_id,
            "scope": _scope(since, until, run_id, zone)
            if run_ids is None
            else f"Events of the maintain pass {run_ids[0]} and its {len(run_ids) - 1} step runs",
            "store_position": session.position(),
        }
        data = gather(con, window, tz=zone, meta=meta, limit=limit)
    text = render(data, fmt, zone)
    if output is not None:
        refuse_library_files(session, output)
        _write_atomically(output, text)
    return ReportResult(
        text=text,
        fmt=fmt,
        path=output,
        events=int(data["bounds"]["events"]),
        sections={
            "runs": data["runs"]["total"],
            "imports": data["files"]["imported_total"],
            "file_changes": data["files"]["changes_total"],
            "enrichments": data["enrich"]["total"],
            "pending": data["queue"]["total"],
            "repairs": data["links"]["repaired_total"],
            "quarantines": data["links"]["quarantined_total"],
            "undos": data["links"]["undo_total"],
            "checks": len(data["integrity"]["checks"]),
        },
    )


def _resolve_run(con: duckdb.DuckDBPyConnection, run_id: str) -> str:
    matches = q.runs_matching(con, run_id)
    if not matches:
        raise UsageError(f"no run {run_id!r} (see `videotheque runs`)")
    if len(matches) > 1:
        raise UsageError(f"run id prefix {run_id!r} is ambiguous: {', '.join(matches[:5])}")
    return matches[0]


# The files of a home a report must never replace (the event store, the projection, the
# config, the lock, the journal, the TVDB token).
_HOME_FILES = (
    "config.toml", "events.sqlite", "events.sqlite-wal", "events.sqlite-shm",
    "events.sqlite-journal", "catalog.duckdb", "catalog.duckdb.wal", "catalog.read.duckdb",
    "catalog.read.duckdb.wal", "lock", "tvdb-token.json", "journal",
)  # fmt: skip


def refuse_library_files(session: Workspace, output: Path) -> None:
    """``-o`` never names a file of the library: a report written over a video in storage,
    a link, the trash, or the home's event store or config would replace it (``report -o
    ~/.local/share/videotheque/events.sqlite`` lost the whole audit trail). Judged where
    the file really is (its folder's symlinks resolved)."""
    path = output.expanduser()
    real = os.path.join(os.path.realpath(path.parent), path.name)
    config = session.config
    for name, root in (("storage", config.storage), ("video", config.video),
                       ("trash", config.trash)):  # fmt: skip
        if root is not None and is_within(real, os.path.realpath(root)):
            raise UsageError(
                f"-o {path}: inside the {name} root {root}: a report is never written there "
                "(it could replace a file of the library); write it elsewhere"
            )
    home = os.path.realpath(session.home)
    protected = {os.path.join(home, n) for n in _HOME_FILES}
    db = sqlite_path(config.store, Path(home))  # the session opened it: a valid URL
    if db is not None:
        db = os.path.realpath(db)
        protected |= {db, db + "-wal", db + "-shm", db + "-journal"}
    if real in protected or is_within(real, os.path.join(home, "journal")):
        raise UsageError(
            f"-o {path}: a file of the library's home (its event store, projection or "
            "config): a report is never written over it; write it elsewhere"
        )


def check_output(path: Path) -> Path:
    """``-o FILE`` is a file name in a folder that exists (said before any work is done)."""
    path = path.expanduser()
    if path.is_dir():
        raise UsageError(f"-o {path}: is a folder; give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"-o {path}: folder {path.parent} does not exist")
    return path


def _write_atomically(path: Path, text: str) -> None:
    path = check_output(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc


# -- diff ----------------------------------------------------------------------------------


def diff(session: Workspace, start: datetime, end: datetime | None = None) -> dict[str, Any]:
    """What changed between two moments: files added, moved, vanished (and back), files
    enriched and links repaired. The two states are replayed; ``end`` defaults to now."""
    if end is not None and start > end:
        raise UsageError("--from is after --to")
    with connect_as_of(session, start) as con:
        before = q.catalog_state(con)
    with connect_as_of(session, end) as con:
        after = q.catalog_state(con)
        events = q.diff_events(con, q.Window(since=start, until=end))
    added, moved, vanished, reappeared = [], [], [], []
    for fid, now in sorted(after.items(), key=lambda kv: (kv[1]["path"] or "", kv[0])):
        then = before.get(fid)
        if then is None:
            if now["status"] == "present":
                added.append(_file(now))
            continue
        if then["status"] == "present" and now["status"] != "present":
            vanished.append(_file(then))
        elif then["status"] != "present" and now["status"] == "present":
            reappeared.append(_file(now))
        elif now["status"] == "present" and then["path"] != now["path"]:
            moved.append({**_file(now), "from_path": then["path"], "to_path": now["path"]})
    return {
        "from": start.isoformat(),
        "to": end.isoformat() if end is not None else None,
        "added": added,
        "moved": moved,
        "vanished": vanished,
        "reappeared": reappeared,
        "enriched": [_iso(e) for e in events["enriched"]],
        "links_repaired": [_iso(e) for e in events["links_repaired"]],
    }


def _file(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("file_id", "path", "kind", "title", "year", "season", "episode")
    return {k: row[k] for k in keys}


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
