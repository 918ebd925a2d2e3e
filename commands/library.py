"""The write side's Application: the event store of one video library.

``Library`` is an ``eventsourcing.Application``: repository, atomic ``save(*aggregates)``
and the notification log the projector follows. The store is an embedded SQLite file by
default, or a PostgreSQL database shared between machines.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path, PosixPath
from typing import Any
from urllib.parse import SplitResult, parse_qs, parse_qsl, quote, unquote, urlsplit
from uuid import UUID

from eventsourcing.application import Application
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

    def append(self, aggregates: Iterable[Aggregate]) -> int:
        """Save the pending events of ``aggregates`` in one atomic append; the number of
        events saved.

        ``Application.save`` given the events rather than the aggregates: it takes either,
        and checks each object against ``typing.Protocol`` classes at run time, one check
        per event (~12 us on Python 3.11) where an aggregate costs two (~26 us), a tenth
        of an import's recording. What ``save`` does with aggregates beyond their events
        (the repository's cache, snapshots) this application has neither of; should one
        be turned on, the aggregates themselves are saved.

        Commands save through ``Session.save`` and ``Session.save_all`` (bootstrap), which
        add batching and the one error policy."""
        if self.repository.cache is not None or self.snapshots is not None:
            aggregates = list(aggregates)
            count = sum(len(a.pending_events) for a in aggregates)
            self.save(*aggregates)
            return count
        events = [e for aggregate in aggregates for e in aggregate.collect_events()]
        if events:
            self.save(*events)
        return len(events)

    def max_position(self) -> int:
        return int(self.recorder.max_notification_id() or 0)


# libpq's connection parameters a store URL may carry (PostgreSQL 16's list, less
# ``replication``), given to psycopg as they are; ``schema`` is videotheque's own.
LIBPQ_PARAMETERS = frozenset({
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "require_auth",
    "channel_binding", "connect_timeout", "client_encoding", "options", "application_name",
    "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout", "gssencmode", "sslmode", "requiressl",
    "sslcompression", "sslcert", "sslkey", "sslpassword", "sslcertmode", "sslrootcert",
    "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version",
    "ssl_max_protocol_version", "krbsrvname", "gsslib", "gssdelegation", "service",
    "target_session_attrs", "load_balance_hosts",
})  # fmt: skip
DEFAULT_CONNECT_TIMEOUT = 10


def sqlite_path(store: str | None, home: Path) -> str | None:
    """The SQLite file of a store URL (None: SQLite in the home), None for another store."""
    if not store or store == "sqlite":
        return str(home / "events.sqlite")
    try:
        parts = urlsplit(store)
    except ValueError as exc:
        raise UsageError(f"store {redact(store)!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("sqlite", "file"):
        return None
    path = unquote(parts.path)
    if not path:
        raise UsageError(f"store {store!r}: no file path")
    return path


def store_env(store: str | None, home: Path) -> dict[str, str]:
    """The eventsourcing environment for a store URL (None: SQLite in the home)."""
    path = sqlite_path(store, home)
    if path is not None:
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    assert store is not None
    parts = urlsplit(store)
    if parts.scheme in ("postgresql", "postgres"):
        store = _encode_userinfo(store)
        return _postgres_env(store, urlsplit(store))
    raise UsageError(
        f"unknown store {redact(store)!r}: use sqlite (default), sqlite:///path or "
        "postgresql://user@host:port/db"
    )


def postgres_connect_kwargs(store: str) -> dict[str, Any]:
    """psycopg's connection keywords for a PostgreSQL store URL: what the URL gives (its
    user, password, host, port, database and every libpq parameter of its query), nothing
    else, so libpq's defaults and the ``PG*`` environment fill the rest."""
    store = _encode_userinfo(store)
    try:
        parts = urlsplit(store)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"store {redact(store)!r} is not a valid URL: {exc}") from None
    kwargs: dict[str, Any] = {}
    if parts.hostname:
        kwargs["host"] = unquote(parts.hostname)
    if port:
        kwargs["port"] = port
    if parts.username:
        kwargs["user"] = unquote(parts.username)
    if parts.password:
        kwargs["password"] = unquote(parts.password)
    dbname = unquote(parts.path.lstrip("/"))
    if dbname:
        kwargs["dbname"] = dbname
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "schema":
            continue
        if key not in LIBPQ_PARAMETERS:
            raise UsageError(
                f"store {redact(store)!r}: unknown parameter {key!r} (a libpq connection "
                "parameter such as sslmode, sslrootcert, connect_timeout, application_name, "
                "or schema)"
            )
        kwargs[key] = value
    if "user" not in kwargs and not os.environ.get("PGUSER"):
        kwargs["user"] = "postgres"  # as before libpq's parameters were honoured
    if "connect_timeout" not in kwargs and not os.environ.get("PGCONNECT_TIMEOUT"):
        kwargs["connect_timeout"] = DEFAULT_CONNECT_TIMEOUT
    _check_libpq_values(store, kwargs)
    return kwargs


# A folder that does not exist: libpq, pointed at a socket in it, fails at once, with no
# network, once it has accepted every other parameter.
_NO_SOCKET_DIR = "/nonexistent/videotheque-conninfo-check"


def _check_libpq_values(store: str, kwargs: dict[str, Any]) -> None:
    """A parameter value libpq rejects (``sslmode=bogus``, ``port=99999``,
    ``target_session_attrs=x``) is a malformed URL, a UsageError with libpq's reason, not a
    store that cannot be opened. libpq checks its options when a connection starts, before
    any network: one is started to a socket in a folder that does not exist (the same
    parameters otherwise, and no ``hostaddr``), so a server that is down is not mistaken for
    a bad URL and nothing waits on the network."""
    from psycopg import ProgrammingError, pq  # PostgreSQL only
    from psycopg.conninfo import make_conninfo, timeout_from_conninfo

    try:
        timeout_from_conninfo({k: str(v) for k, v in kwargs.items()})
    except ProgrammingError as exc:
        raise UsageError(f"store {redact(store)!r}: {exc}") from None
    hosts = str(kwargs.get("host") or "").count(",") + 1
    probe = {**kwargs, "host": ",".join([_NO_SOCKET_DIR] * hosts), "hostaddr": ""}
    try:
        conn = pq.PGconn.connect_start(make_conninfo("", **probe).encode())
    except Exception as exc:  # a parameter this libpq does not know (an older version)
        message = str(exc)
    else:
        try:
            message = conn.get_error_message()
        finally:
            conn.finish()
    if _NO_SOCKET_DIR not in message and message.strip():
        # One line (libpq repeats a reason for each host of a list).
        lines = (" ".join(line.split()) for line in message.splitlines())
        reason = "; ".join(dict.fromkeys(line for line in lines if line))
        raise UsageError(f"store {redact(store)!r}: libpq refuses it: {reason}")


def _postgres_env(store: str, parts: SplitResult) -> dict[str, str]:
    from videotheque.commands.adapters.pgstore import CONNECT_KEY  # psycopg: PostgreSQL only

    kwargs = postgres_connect_kwargs(store)
    try:
        timeout = int(float(kwargs.get("connect_timeout") or os.environ["PGCONNECT_TIMEOUT"]))
    except (KeyError, ValueError):
        timeout = DEFAULT_CONNECT_TIMEOUT
    env = {
        "PERSISTENCE_MODULE": "videotheque.commands.adapters.pgstore:LibpqPostgresFactory",
        CONNECT_KEY: json.dumps(kwargs),
        # eventsourcing wants these set; the connection itself uses CONNECT_KEY's keywords.
        "POSTGRES_DBNAME": str(kwargs.get("dbname") or os.environ.get("PGDATABASE") or "-"),
        "POSTGRES_HOST": str(kwargs.get("host") or "-"),
        "POSTGRES_PORT": str(kwargs.get("port") or 5432),
        "POSTGRES_USER": str(kwargs.get("user") or "-"),
        "POSTGRES_PASSWORD": "",
        "POSTGRES_CONNECT_TIMEOUT": str(max(timeout, DEFAULT_CONNECT_TIMEOUT) + 5),
        "POSTGRES_LOCK_TIMEOUT": "30",
        "POSTGRES_POOL_SIZE": "2",
    }
    schema = parse_qs(parts.query).get("schema", [""])[0]
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env


_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>.*)@", re.DOTALL)


def _encode_userinfo(store: str) -> str:
    """A password (or user) holding an unencoded ``/``, ``?``, ``#`` or ``@`` would be cut
    by URL parsing (part of it taken for the host or the database): the user information
    runs to the last ``@``, and those characters in it are percent-encoded."""
    match = _USERINFO.match(store)
    if not match:
        return store
    userinfo = match.group("userinfo")
    if not any(c in userinfo for c in "/?#@"):
        return store
    user, sep, password = userinfo.partition(":")
    encoded = quote(user, safe="%") + sep + quote(password, safe="%")
    return match.group("scheme") + encoded + "@" + store[match.end() :]


def redact(store: str) -> str:
    """The store URL without its password, for messages, whatever characters the password
    holds (an unencoded ``/``, ``#``, ``?`` or ``@`` included): everything between the
    first ``:`` after ``scheme://`` and the last ``@`` is hidden, and a ``password=``
    parameter too."""
    text = store
    match = _USERINFO.match(text)
    if match:
        user, sep, _password = match.group("userinfo").partition(":")
        hidden = f"{user}:***" if sep else user
        text = match.group("scheme") + hidden + "@" + text[match.end() :]
    return re.sub(r"(?i)(password=)[^&#\s]*", r"\1***", text)


def scrub(text: str, store: str | None) -> str:
    """``text`` (an error message) with the store's password, if any, replaced by ***."""
    if not store:
        return text
    for secret in _passwords(store):
        text = text.replace(secret, "***")
    return text


def _passwords(store: str) -> list[str]:
    found: list[str] = []
    match = _USERINFO.match(store)
    if match:
        _user, sep, password = match.group("userinfo").partition(":")
        if sep and password:
            found += [password, unquote(password)]
    found += [unquote(m) for m in re.findall(r"(?i)password=([^&#\s]+)", store)]
    return sorted({p for p in found if len(p) >= 3}, key=len, reverse=True)


@contextmanager
def postgres_ddl_lock(env: dict[str, str]) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock while the store's tables are created or checked.

    eventsourcing's DDL is idempotent (CREATE ... IF NOT EXISTS) but PostgreSQL does not make
    it safe against itself: two machines opening a new store at the same moment can get
    "relation already exists", "tuple concurrently updated" or a duplicate key in the system
    catalogs. The lock, keyed on database and schema, makes those openings take turns; the
    schema named in the store URL is created under it when missing.
    """
    # psycopg (and its pool) is imported only for a PostgreSQL store.
    import psycopg
    from psycopg import sql

    schema = env.get("POSTGRES_SCHEMA", "")
    from videotheque.commands.adapters.pgstore import connect_kwargs

    with psycopg.connect(
        **connect_kwargs(env),
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
    postgres = "POSTGRES_DBNAME" in env
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
