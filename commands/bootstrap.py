"""The composition root: builds the library, its adapters and the projection on demand.

Nothing here runs at import time. Every command goes through ``open_session``, which
reads the config, takes the home lock, opens the event store and the projector, and
catches the projection up before the command reads it.
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
from eventsourcing.persistence import PersistenceError

import videotheque
from videotheque.commands.adapters.lock import HomeLock, describe_holder
from videotheque.commands.config import Config, load_config, resolve_home, resolve_store
from videotheque.commands.errors import (
    LockedError,
    ProjectionError,
    StoreConflictError,
    StoreError,
    VideothequeError,
)
from videotheque.commands.library import SAVE_BATCH, Library, open_library, redact, scrub
from videotheque.domain.run import Run
from videotheque.projections.projector import CatchUp, ProjectionLockedError, Projector

PROJECTION_NAME = "catalog.duckdb"
CATCH_UP_WAIT = 10.0  # seconds a catch-up waits for a reader of catalog.duckdb itself
SNAPSHOT_NAME = "catalog.read.duckdb"  # the copy read-only commands read (projector.publish)


def app_version() -> str:
    """The installed version (``videotheque.__version__``: read once, from pyproject.toml)."""
    return videotheque.__version__


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Session:
    """Everything one command invocation works with."""

    config: Config
    library: Library
    projector: Projector
    notices: list[str] = field(default_factory=list)
    run: Run | None = None

    @property
    def home(self) -> Path:
        return self.config.home

    def catch_up(self) -> CatchUp:
        """Bring the DuckDB projection up to the store; note it when a rebuild was needed."""
        deadline = time.monotonic() + CATCH_UP_WAIT
        while True:
            try:
                result = self.projector.catch_up()
                break
            except ProjectionLockedError as exc:
                # A reader reads catalog.duckdb itself only when it has no copy to read
                # (see _reading_session): give it a moment to finish.
                if time.monotonic() >= deadline:
                    raise ProjectionError(str(exc)) from exc
                time.sleep(0.2)
        if result.rebuilt:
            self.notices.append(
                f"projection {self.projector.db_path} was {result.rebuilt}: rebuilt from the "
                f"event store ({result.events} events)"
            )
        return result

    def start_run(self, command: str, arguments: dict[str, Any]) -> Run:
        """Record that this command started (a kill leaves it visible as unfinished)."""
        run = Run(
            run_id=str(uuid.uuid4()),
            command=command,
            arguments=_jsonable(arguments),
            app_version=app_version(),
            host=socket.gethostname(),
            started_at=now_iso(),
        )
        self.save(run)
        self.run = run
        return run

    def finish_run(self, summary: dict[str, Any], exit_code: int) -> None:
        if self.run is None:
            return
        self.run.finish(summary=_jsonable(summary), exit_code=exit_code, ended_at=now_iso())
        self.save(self.run)

    # -- the port the use cases take (commands.ports.Workspace) ----------------

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate ``aggregate_id``, replayed from the store (eventsourcing's
        ``AggregateNotFoundError`` when it has no events)."""
        return self.library.repository.get(aggregate_id, projector_func=_replay)

    def save(self, *aggregates: Any) -> int:
        """Save the aggregates' pending events in one atomic append; how many were saved.

        The one save path: every event a command records goes through here (``save_all``
        too). Its one error policy: the store's own failures (eventsourcing's
        ``PersistenceError``) become ``StoreError``, ``StoreConflictError`` when another
        writer appended to the same aggregates first, the message naming a full disk;
        anything else propagates as it is."""
        try:
            return self.library.append(aggregates)
        except Exception as exc:
            if _is_store_error(exc):
                hint = disk_full_hint(self.home, exc)
                error = StoreConflictError if _is_conflict(exc) else StoreError
                raise error(f"cannot write the event store: {exc}{hint}") from exc
            raise

    def save_all(self, aggregates: Iterable[Any], batch: int = SAVE_BATCH) -> int:
        """``save`` ``batch`` aggregates at a time, each batch one atomic append (one
        huge append holds PostgreSQL for minutes); how many events were saved. A failure
        keeps the batches saved before it."""
        pending: list[Any] = []
        count = 0
        for aggregate in aggregates:
            pending.append(aggregate)
            if len(pending) >= batch:
                count += self.save(*pending)
                pending = []
        if pending:
            count += self.save(*pending)
        return count

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection to the projection (as current as the last catch-up)."""
        with self.projector.connect() as con:
            yield con

    def position(self) -> int:
        """The event store's last position (0 when it is empty)."""
        return self.library.max_position()

    @property
    def recorder(self) -> Any:
        """The store's recorder, for replaying its events (time travel)."""
        return self.library.recorder


def _replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """``eventsourcing.application.project_aggregate`` without its per-event ``isinstance``
    check against a ``typing.Protocol`` (a quarter of a ``repository.get`` on Python 3.11):
    every stored event of ours is its aggregate's own ``@event`` class."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def disk_full_hint(path: Path, exc: BaseException) -> str:
    """SQLite says "disk I/O error" when it cannot grow its files: name the real cause."""
    if "disk" not in str(exc) and "I/O" not in str(exc):
        return ""
    try:
        free = shutil.disk_usage(path).free
    except OSError:
        return ""
    return f" (no space left on the disk holding {path})" if free < 1024 * 1024 else ""


def _is_store_error(exc: Exception) -> bool:
    return isinstance(exc, PersistenceError)


def _is_conflict(exc: Exception) -> bool:
    from eventsourcing.persistence import IntegrityError

    return isinstance(exc, IntegrityError)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


@contextmanager
def open_session(
    home: Path | None = None,
    store: str | None = None,
    *,
    require_library: bool = True,
    catch_up: bool = True,
    lock_wait: float = 0.0,
    read_only: bool = False,
) -> Iterator[Session]:
    """Open the library in ``home`` for one command, holding the home lock throughout.

    ``read_only``: for a command that only reads (status, catalog, sql, ...). It takes the
    lock only to catch the projection up, if no one holds it, and reads the snapshot the
    last catch-up published; while a writer holds the lock it reads that snapshot as it
    is and notes how far behind the event store it is."""
    home_dir = resolve_home(home)
    config = load_config(home_dir)
    if require_library:
        config.require_library()
    if read_only:
        with _reading_session(home_dir, config, store) as session:
            yield session
        return
    with HomeLock(home_dir, wait=lock_wait):
        library = _open_library(resolve_store(store, config), home_dir)
        try:
            projector = Projector(
                home_dir / PROJECTION_NAME, library.recorder, snapshot=home_dir / SNAPSHOT_NAME
            )
            session = Session(config=config, library=library, projector=projector)
            if catch_up:
                session.catch_up()
            yield session
            projector.publish()  # what a catch-up may have left for later (see publish)
        finally:
            library.close()


@contextmanager
def _reading_session(home_dir: Path, config: Config, store: str | None) -> Iterator[Session]:
    lock = HomeLock(home_dir)
    try:
        lock.acquire()
        holder = None
    except LockedError:
        holder = lock.holder or "another process"
    try:
        library = _open_library(resolve_store(store, config), home_dir)
    except BaseException:
        lock.release()
        raise
    with ExitStack() as stack:
        stack.callback(library.close)
        notices: list[str] = []
        live = home_dir / PROJECTION_NAME
        snapshot = home_dir / SNAPSHOT_NAME
        if holder is None:
            try:  # the lock for the catch-up only, not while the command reads and prints
                writer = Session(config, library, Projector(live, library.recorder,
                                                            snapshot=snapshot))  # fmt: skip
                writer.catch_up()
                notices = writer.notices
            finally:
                lock.release()
            read = snapshot if writer.projector.published() else live
        else:
            # No snapshot yet (a projection made by an older version, or a catch-up
            # killed before publishing): the projection itself, read-only, waiting briefly
            # for the writer to let go of it.
            read = snapshot if snapshot.exists() else live
        if not read.exists():  # no projection at all yet: an empty one, and how far behind
            empty = stack.enter_context(tempfile.TemporaryDirectory(prefix="videotheque-"))
            read = Path(empty) / PROJECTION_NAME
            Projector(read, library.recorder).create_empty()
        reader = Projector(read, library.recorder, read_only=True)
        session = Session(config=config, library=library, projector=reader, notices=notices)
        try:
            if holder is not None:
                behind = library.max_position() - (position := reader.position())
                if behind > 0:
                    session.notices.append(
                        f"the projection is {behind:,} event{'s' if behind > 1 else ''} behind "
                        f"({describe_holder(holder)}); showing the catalog as of position "
                        f"{position:,}"
                    )
            yield session
        except ProjectionLockedError as exc:
            raise LockedError(f"{exc} (library locked by {holder})") from exc


def _open_library(store_url: str | None, home_dir: Path) -> Library:
    try:
        return open_library(store_url, home_dir)
    except Exception as exc:
        if isinstance(exc, StoreError | KeyboardInterrupt):
            raise
        if isinstance(exc, VideothequeError):
            raise
        where = redact(store_url) if store_url else str(home_dir / "events.sqlite")
        hint = disk_full_hint(home_dir, exc)
        raise StoreError(
            f"cannot open the event store {where}: {scrub(str(exc), store_url)}{hint}"
        ) from exc
