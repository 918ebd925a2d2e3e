"""The write side's Application: the event store of one video library.

``Library`` is an ``eventsourcing.Application``: repository, atomic ``save(*aggregates)``
and the notification log the projector follows. The store is an embedded SQLite file by
default, or a PostgreSQL database shared between machines.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path, PosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Transcoder, Transcoding
from eventsourcing.utils import register_topic

import videotheque.domain
from videotheque.commands.errors import UsageError

# Releases before 0.2 installed the domain as a top-level package, ``domain``: their stored
# events name ``domain.media_file:MediaFile.Imported``. Events are forever, so those topics
# resolve to the same classes, now ``videotheque.domain...`` (events written from now on
# carry the new topics; the projection reads only the class names).
LEGACY_TOPIC_PACKAGES = {"domain": videotheque.domain}
for _old, _package in LEGACY_TOPIC_PACKAGES.items():
    register_topic(_old, _package)

SAVE_BATCH = 1000


class PathAsStr(Transcoding):
    type = PosixPath
    name = "path"

    def encode(self, obj: Path) -> str:
        return str(obj)

    def decode(self, data: str) -> Path:
        return Path(data)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class PathSafeJSONTranscoder(JSONTranscoder):
    """JSON with ``ensure_ascii``: a path's lone surrogates (non-UTF-8 bytes in a file
    name) are written as ``\\udcXX`` escapes and come back byte for byte."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = json.JSONEncoder(
            default=self._encode_obj,
            separators=(",", ":"),
            ensure_ascii=True,
        )


class Library(Application[UUID]):
    """The event-sourced library: media files, runs, links and their histories."""

    name = "Library"

    def construct_transcoder(self) -> Transcoder:
        transcoder = PathSafeJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(PathAsStr())
        transcoder.register(DateAsISO())

    def save_in_batches(self, aggregates: Iterable[Aggregate], batch: int = SAVE_BATCH) -> int:
        """Save aggregates ``batch`` at a time (one atomic append per batch)."""
        pending: list[Aggregate] = []
        count = 0
        for aggregate in aggregates:
            pending.append(aggregate)
            if len(pending) >= batch:
                count += self._save_aggregates(pending)
                pending = []
        if pending:
            count += self._save_aggregates(pending)
        return count

    def _save_aggregates(self, aggregates: Sequence[Aggregate]) -> int:
        """``save(*aggregates)``, less its two runtime-Protocol ``isinstance`` checks per
        object (slow on Python 3.11: a third of an import's recording time). The same
        steps follow: record atomically, snapshots, notifications (eventsourcing 9.5's
        ``Application.save``). Returns the number of events saved."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for aggregate in aggregates:
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # eventsourcing's deprecated hook, as save() does
        return len(processing_event.events)

    def max_position(self) -> int:
        return int(self.recorder.max_notification_id() or 0)


def store_env(store: str | None, home: Path) -> dict[str, str]:
    """The eventsourcing environment for a store URL (None: SQLite in the home)."""
    if not store or store == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(home / "events.sqlite"),
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    parts = urlsplit(store)
    if parts.scheme in ("sqlite", "file"):
        path = unquote(parts.path)
        if not path:
            raise UsageError(f"store {store!r}: no file path")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    if parts.scheme in ("postgresql", "postgres"):
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname or not parts.hostname:
            raise UsageError(
                f"store {redact(store)!r}: expected postgresql://user[:password]@host[:port]/db"
            )
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parts.hostname,
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "POSTGRES_LOCK_TIMEOUT": "30",
            "POSTGRES_POOL_SIZE": "2",
        }
        schema = parse_qs(parts.query).get("schema", [""])[0]
        if schema:
            env["POSTGRES_SCHEMA"] = schema
        return env
    raise UsageError(
        f"unknown store {redact(store)!r}: use sqlite (default), sqlite:///path or "
        "postgresql://user@host:port/db"
    )


def redact(store: str) -> str:
    """The store URL without its password, for messages."""
    parts = urlsplit(store)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return store


@contextmanager
def postgres_ddl_lock(env: dict[str, str]) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock while the store's tables are created or checked.

    eventsourcing's DDL is idempotent (CREATE ... IF NOT EXISTS) but PostgreSQL does not make
    it safe against itself: two machines opening a new store at the same moment can get
    "relation already exists", "tuple concurrently updated" or a duplicate key in the system
    catalogs. The lock, keyed on database and schema, makes those openings take turns; the
    schema named in the store URL is created under it when missing.
    """
    import psycopg
    from psycopg import sql

    schema = env.get("POSTGRES_SCHEMA", "")
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env.get("POSTGRES_PASSWORD") or None,
        connect_timeout=int(env.get("POSTGRES_CONNECT_TIMEOUT", "10")),
        autocommit=True,
    ) as conn:
        key = f"videotheque-ddl:{env['POSTGRES_DBNAME']}:{schema or 'public'}"
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            if schema:
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
                )
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


# Should the advisory lock not cover a clash (a store opened by an older version without
# it), the clash is retried after a short random pause.
OPEN_RETRIES = 6
_CONCURRENT_DDL = ("concurrently updated", "already exists", "pg_type_typname_nsp_index",
                   "pg_namespace_nspname_index", "pg_proc_proname_args_nsp_index",
                   "pg_class_relname_nsp_index")  # fmt: skip


def open_library(store: str | None, home: Path) -> Library:
    env: dict[str, Any] = store_env(store, home)
    postgres = env["PERSISTENCE_MODULE"].endswith("postgres")
    for attempt in range(1, OPEN_RETRIES + 1):
        try:
            if not postgres:
                return Library(env=env)
            with postgres_ddl_lock(env):
                return Library(env=env)
        except Exception as exc:
            if not postgres or attempt == OPEN_RETRIES or not _concurrent_ddl(exc):
                raise
            time.sleep(random.uniform(0.05, 0.2) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _concurrent_ddl(exc: BaseException | None) -> bool:
    while exc is not None:
        if any(text in str(exc) for text in _CONCURRENT_DDL):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
