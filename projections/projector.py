"""The projector: follows the event store and keeps the DuckDB projections current.

A pull loop reads notifications after the last tracked position, hands them to every
projection, and writes the rows and the new position in one DuckDB transaction, so each
event is applied exactly once and a kill at any point resumes where it stopped.
A rebuild replays the whole store into a new file and swaps it in: the store is only read.

Readers do not open the projection the writer catches up: after each catch-up that changed
it, the writer publishes a copy (the *snapshot*, swapped in atomically), and commands that
only read open that copy read-only. DuckDB lets no other process open a file one process
holds for writing, so without it a reader waits for the writer's catch-up and a writer
cannot start while a long query reads.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from videotheque.projections.base import Projection, bulk, read_sql, switch_interval
from videotheque.projections.events import StoredEvent, decode
from videotheque.projections.registry import VIEWS, all_projections

BATCH = 10_000  # events read and applied at a time
GROUP = 6  # batches a transaction (see _follow)
CATCH_UP_WAL = "1MB"
CATCH_UP_SWITCH_INTERVAL = 0.0001  # seconds (see _follow)
_HEADERS = 3 * 4096  # DuckDB's main and two database headers, before the first block
STATE_TABLE = "projection_state"


class ProjectionLockedError(RuntimeError):
    """The DuckDB file is held by another process."""


PUBLISH_SHARE = 10  # see Projector.publish
READ_RETRY = 5.0  # seconds a reader waits for the writer to let go of a projection file


@dataclass
class CatchUp:
    events: int
    position: int
    seconds: float
    rebuilt: str | None = None  # why the projection was rebuilt first, if it was

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


class Recorder:
    """What the projector needs of an eventsourcing ApplicationRecorder."""

    def __init__(self, recorder: Any) -> None:
        self._recorder = recorder

    def max_position(self) -> int:
        return int(self._recorder.max_notification_id() or 0)

    def read(self, after: int, limit: int) -> list[StoredEvent]:
        notifications = self._recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        return [
            decode(n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in notifications
        ]


class Projector:
    def __init__(
        self,
        db_path: Path,
        recorder: Any,
        projections: Sequence[Projection] | None = None,
        *,
        snapshot: Path | None = None,
        read_only: bool = False,
    ) -> None:
        """``snapshot``: where to publish a read-only copy after each catch-up that changed
        the projection. ``read_only``: a reader's view of ``db_path`` (a snapshot):
        connections are read-only, and it never catches up."""
        self.db_path = db_path
        self.snapshot = snapshot
        self.read_only = read_only
        self._published_at = 0.0  # perf_counter() at the end of the last copy
        self._publish_cost = 0.0  # seconds it took
        self.recorder = recorder if isinstance(recorder, Recorder) else Recorder(recorder)
        self.projections = list(projections) if projections is not None else all_projections()
        self.schema_digest = self._schema_digest()

    # -- connections ----------------------------------------------------------------

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection to the projection (catch up first to read current data)."""
        if self.read_only:
            con = _connect_reading(self.db_path)
        else:
            con = _connect(self.db_path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    # -- schema ---------------------------------------------------------------------

    def _schema_digest(self) -> str:
        h = hashlib.sha256()
        for p in self.projections:
            h.update(p.name.encode())
            h.update(read_sql(p.schema).encode())
        for v in VIEWS:
            h.update(read_sql(v).encode())
        return h.hexdigest()[:16]

    def _create_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} ("
            " name VARCHAR PRIMARY KEY, position BIGINT, schema_digest VARCHAR,"
            " rebuilt_at TIMESTAMPTZ, updated_at TIMESTAMPTZ)"
        )
        done: set[str] = set()
        for p in self.projections:
            if p.schema not in done:
                con.execute(read_sql(p.schema))
                done.add(p.schema)
        for v in VIEWS:
            con.execute(read_sql(v))
        con.execute(
            f"INSERT INTO {STATE_TABLE} VALUES ('main', 0, ?, now(), now()) "
            "ON CONFLICT (name) DO NOTHING",
            [self.schema_digest],
        )

    def _state(self, con: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
        try:
            row = con.execute(
                f"SELECT position, schema_digest FROM {STATE_TABLE} WHERE name = 'main'"
            ).fetchone()
        except duckdb.CatalogException:
            return None
        return (int(row[0]), str(row[1])) if row else None

    # -- catching up ----------------------------------------------------------------

    def position(self) -> int:
        """The store position the projection has applied (0 when it has none)."""
        if not self.db_path.exists():
            return 0
        with self.connect() as con:
            state = self._state(con)
        return state[0] if state else 0

    def catch_up(self, progress: Callable[[int, int], None] | None = None) -> CatchUp:
        """Apply every event the projection has not seen yet; rebuild first if the file
        is missing, unreadable or of another schema. Then publish the snapshot."""
        result = self._catch_up(progress)
        self.publish(force=False)
        return result

    def _catch_up(self, progress: Callable[[int, int], None] | None = None) -> CatchUp:
        if self.read_only:
            raise ProjectionLockedError(f"{self.db_path} is a read-only copy")
        reason, con = self._check()
        if reason is not None and reason != "missing":
            result = self.rebuild(progress)
            result.rebuilt = reason
            return result
        started = time.perf_counter()
        if con is None:
            con = _connect(self.db_path)
        try:
            if reason == "missing":
                con.execute("BEGIN")
                self._create_schema(con)
                con.execute("COMMIT")
            count, position = self._follow(con, progress)
        finally:
            con.close()
        # A missing file with events to replay was deleted (or never made on this machine):
        # say it was rebuilt, as for a broken one.
        rebuilt = "missing" if reason == "missing" and count else None
        return CatchUp(count, position, time.perf_counter() - started, rebuilt)

    def _check(self) -> tuple[str | None, duckdb.DuckDBPyConnection | None]:
        """Why the projection must be rebuilt (None: it is sound), and, when it is sound,
        the connection that looked (opening one costs tens of milliseconds)."""
        if not self.db_path.exists():
            return "missing", None
        try:
            con = _connect(self.db_path)
        except ProjectionLockedError:
            raise
        except duckdb.Error as exc:
            return f"unreadable ({_first_line(exc)})", None
        try:
            state = self._state(con)
            missing = self._missing_bytes(con)
        except duckdb.Error as exc:
            con.close()
            return f"unreadable ({_first_line(exc)})", None
        reason = None
        if missing:
            # Its first blocks read fine, but a query would fail on the lost ones.
            reason = f"truncated ({missing:,} bytes missing)"
        elif state is None:
            reason = "no tracking state"
        elif state[1] != self.schema_digest:
            reason = "written by another version of the schema"
        elif state[0] > self.recorder.max_position():
            reason = "ahead of the event store (another store?)"
        if reason is not None:
            con.close()
            return reason, None
        return None, con

    def _missing_bytes(self, con: duckdb.DuckDBPyConnection) -> int:
        """Bytes missing from a cut file (0: whole). A DuckDB file is its 12 KiB of
        headers then whole blocks; a truncated one ends mid-block, and its first blocks
        still read fine until a query reaches the lost ones. (The blocks the header lists
        cannot be compared with the size: after a WAL replay they include blocks not
        written yet.)"""
        row = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()
        if row is None or not row[0]:
            return 0
        block = int(row[0])
        size = self.db_path.stat().st_size
        if size < _HEADERS:
            return _HEADERS - size
        cut = (size - _HEADERS) % block
        return block - cut if cut else 0

    def _follow(
        self, con: duckdb.DuckDBPyConnection, progress: Callable[[int, int], None] | None
    ) -> tuple[int, int]:
        state = self._state(con)
        position = state[0] if state else 0
        target = self.recorder.max_position()
        if target <= position:
            return 0, position
        count = 0
        # A long catch-up commits every GROUP batches, not every batch, with a checkpoint
        # threshold so low that each such commit skips the WAL and writes its rows to the
        # file at once (DuckDB's auto_checkpoint_skip_wal_threshold): every row is written
        # once, not to the WAL and again at the checkpoint. Measured on 100,000 events:
        # a commit a batch through a 64 MB WAL 43,000 events/s, 320 MB peak; groups of 6
        # batches 46,500 and 340 MB (groups of 12: 47,000 and 450 MB; of 4: 39,000). A kill
        # loses at most a group of work, which the next catch-up does again.
        con.execute(f"SET checkpoint_threshold = '{CATCH_UP_WAL}'")
        # One core is left to the reader thread: DuckDB's own threads competing with it for
        # two cores made the catch-up of 100,000 events 46,000 events/s instead of 52,000.
        con.execute(f"SET threads = {max(1, (os.cpu_count() or 2) - 1)}")
        # The next batch is read (and cut) in a thread while this one is written: DuckDB
        # works without the GIL, so on two cores reading costs next to nothing. But each
        # time a DuckDB statement returns, this thread waits for the GIL until the reader
        # lets go of it, up to the switch interval (5 ms by default, ~100 times a batch):
        # 0.1 ms while catching up. 100,000 events: 44,000 events/s at 5 ms, 50,000 at 0.1.
        with (
            bulk(),
            switch_interval(CATCH_UP_SWITCH_INTERVAL),
            ThreadPoolExecutor(1, thread_name_prefix="projector-read") as reader,
        ):
            pending = reader.submit(self.recorder.read, position, BATCH)
            batches = 0
            con.execute("BEGIN")
            try:
                while True:
                    events = pending.result()
                    if not events:
                        break
                    pending = reader.submit(self.recorder.read, events[-1].position, BATCH)
                    self._apply(con, events)
                    position = events[-1].position
                    count += len(events)
                    batches += 1
                    if batches % GROUP == 0:
                        con.execute("COMMIT")
                        con.execute("BEGIN")
                    if progress is not None:
                        progress(position, max(target, position))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        if count > BATCH:
            con.execute("CHECKPOINT")
        con.execute("RESET threads")
        return count, position

    def _apply(self, con: duckdb.DuckDBPyConnection, events: list[StoredEvent]) -> None:
        """One batch, inside the caller's transaction: every projection's rows and the new
        position (committed together: each event is applied exactly once)."""
        rest: Sequence[StoredEvent] = events
        if stage(con, events):
            for p in self.projections:
                apply_staged = getattr(p, "apply_staged", None)
                if apply_staged is not None:
                    apply_staged(con)
            # What every projection took in SQL is not shown to the Python ones.
            rest = [e for e in events if not e.in_sql]
        for p in self.projections:
            p.apply(con, rest)
        con.execute(
            f"UPDATE {STATE_TABLE} SET position = ?, updated_at = now() WHERE name = 'main'",
            [events[-1].position],
        )

    # -- rebuilding -----------------------------------------------------------------

    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> CatchUp:
        """Replay the whole store into a fresh file, then swap it in atomically."""
        started = time.perf_counter()
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.db_path.with_name(self.db_path.name + ".rebuilding")
        for stale in (tmp, tmp.with_name(tmp.name + ".wal")):
            if stale.exists():
                stale.unlink()  # our own half-built file from an interrupted rebuild
        con = _connect(tmp)
        try:
            con.execute("BEGIN")
            self._create_schema(con)
            con.execute(f"UPDATE {STATE_TABLE} SET rebuilt_at = now() WHERE name = 'main'")
            con.execute("COMMIT")
            count, position = self._follow(con, progress)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        self._set_aside_broken()
        os.replace(tmp, self.db_path)
        self.publish()
        return CatchUp(count, position, time.perf_counter() - started, "asked")

    # -- the readers' copy ----------------------------------------------------------

    def create_empty(self) -> None:
        """A projection with the schema and no event applied (for a reader when there is
        no projection yet and it may not make one)."""
        con = _connect(self.db_path)
        try:
            con.execute("BEGIN")
            self._create_schema(con)
            con.execute("COMMIT")
        finally:
            con.close()

    def published(self) -> bool:
        """True when the snapshot is a copy of the projection as it is now."""
        if self.snapshot is None:
            return False
        try:
            live, copy = self.db_path.stat(), self.snapshot.stat()
        except FileNotFoundError:
            return False
        return (copy.st_size, copy.st_mtime_ns) == (live.st_size, live.st_mtime_ns)

    def publish(self, force: bool = True) -> bool:
        """Copy the projection to the snapshot readers open, when it changed since the last
        copy (the copy keeps the file's size and modification time, which every commit
        changes). The copy is made aside and swapped in, so a reader opens the old one or
        the new one, never half of one; a reader that has the old one open keeps it.
        Only the holder of the home lock catches up, so only it publishes.

        Not ``force``: skipped when the last copy by this projector ended less than
        ``PUBLISH_SHARE`` times its cost ago (a writer catching up often spends at most
        about a tenth of its time copying); whoever opened the session publishes at its
        end, so the last state is always published."""
        if self.snapshot is None or self.read_only or not self.db_path.exists():
            return False
        since = time.perf_counter() - self._published_at
        if not force and since < PUBLISH_SHARE * self._publish_cost:
            return False
        if self.db_path.with_name(self.db_path.name + ".wal").exists():
            return False  # not closed cleanly: the next catch-up checkpoints it
        if self.published():
            return False
        for stale in self.snapshot.parent.glob(f"{self.snapshot.name}.*.tmp"):
            stale.unlink(missing_ok=True)  # a copy killed midway (only one publisher at once)
        tmp = self.snapshot.with_name(f"{self.snapshot.name}.{os.getpid()}.tmp")
        started = time.perf_counter()
        try:
            shutil.copy2(self.db_path, tmp)
            os.replace(tmp, self.snapshot)
            self._published_at = time.perf_counter()
            self._publish_cost = self._published_at - started
        except OSError:
            # A full disk: readers read the projection itself meanwhile (see published()).
            return False
        finally:
            if tmp.exists():
                tmp.unlink()
        return True

    def _set_aside_broken(self) -> None:
        """Move the old file (and its WAL, which belongs to it) out of the way."""
        wal = self.db_path.with_name(self.db_path.name + ".wal")
        if wal.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            os.replace(wal, wal.with_name(f"{wal.name}.old-{stamp}"))


STAGED_TABLE = "staged_events"


def stage(con: duckdb.DuckDBPyConnection, events: Sequence[StoredEvent]) -> bool:
    """Load the batch's staged events (those whose payload was cut from the stored state)
    into the connection's temporary ``staged_events`` table; False when there are none.

    The whole batch crosses into DuckDB as one text, a line per event, split and typed in
    SQL: one Python value instead of seven per event. A payload is compact ASCII JSON, so
    it holds neither a tab nor a newline; ``json()`` turns its ``\\uXXXX`` escapes into
    the UTF-8 the Python path stores."""
    con.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGED_TABLE} (position BIGINT, originator_id UUID,"
        " version INTEGER, aggregate VARCHAR, type VARCHAR, timestamp TIMESTAMPTZ,"
        " payload JSON)"
    )
    con.execute(f"DELETE FROM {STAGED_TABLE}")
    lines = [
        f"{e.position}\t{e.originator_id}\t{e.version}\t{e.aggregate}\t{e.type}\t"
        f"{e.timestamp}\t{e.payload}"
        for e in events
        if e.payload is not None
    ]
    if not lines:
        return False
    con.execute(
        f"INSERT INTO {STAGED_TABLE} SELECT f[1]::BIGINT, f[2]::UUID, f[3]::INTEGER, f[4],"
        " f[5], f[6]::TIMESTAMPTZ, json(f[7]) FROM (SELECT string_split(line, chr(9)) AS f"
        " FROM (SELECT unnest(string_split($1, chr(10))) AS line))",
        ["\n".join(lines)],
    )
    return True


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _connect_reading(path: Path, wait: float = READ_RETRY) -> duckdb.DuckDBPyConnection:
    """A read-only connection, waiting a little while a writer holds the file (only when
    there is no snapshot yet: a reader then reads the writer's own file)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return _connect(path, read_only=True)
        except ProjectionLockedError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.1)


def _connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise ProjectionLockedError(
                f"the projection {path} is open in another process: {_first_line(exc)}"
            ) from exc
        raise
