"""The composition root: builds the library, its adapters and the projection on demand.

Nothing here runs at import time. Every command goes through ``open_session``, which
reads the config, takes the home lock, opens the event store and the projector, and
catches the projection up before the command reads it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from videotheque.commands.config import Config, default_home, load_config
from videotheque.commands.errors import ProjectionError, StoreError
from videotheque.commands.library import Library, open_library, redact, scrub
from videotheque.commands.lock import HomeLock
from videotheque.domain.run import Run
from videotheque.projections.projector import CatchUp, ProjectionLockedError, Projector

PROJECTION_NAME = "catalog.duckdb"


def app_version() -> str:
    try:
        from importlib.metadata import version

        return version("videotheque")
    except Exception:  # not installed (running from a checkout)
        return "0+unknown"


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
        try:
            result = self.projector.catch_up()
        except ProjectionLockedError as exc:
            raise ProjectionError(str(exc)) from exc
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

    def save(self, *aggregates: Any) -> None:
        try:
            self.library.save(*aggregates)
        except Exception as exc:
            if _is_store_error(exc):
                hint = disk_full_hint(self.home, exc)
                raise StoreError(f"cannot write the event store: {exc}{hint}") from exc
            raise


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
    from eventsourcing.persistence import PersistenceError

    return isinstance(exc, PersistenceError)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def resolve_home(home: Path | None) -> Path:
    return (home or default_home()).expanduser().absolute()


def resolve_store(store: str | None, config: Config) -> str | None:
    return store or os.environ.get("VIDEOTHEQUE_STORE") or config.store


@contextmanager
def open_session(
    home: Path | None = None,
    store: str | None = None,
    *,
    require_library: bool = True,
    catch_up: bool = True,
    lock_wait: float = 0.0,
) -> Iterator[Session]:
    """Open the library in ``home`` for one command, holding the home lock throughout."""
    home_dir = resolve_home(home)
    config = load_config(home_dir)
    if require_library:
        config.require_library()
    with HomeLock(home_dir, wait=lock_wait):
        store_url = resolve_store(store, config)
        try:
            library = open_library(store_url, home_dir)
        except Exception as exc:
            if isinstance(exc, StoreError | KeyboardInterrupt):
                raise
            from videotheque.commands.errors import VideothequeError

            if isinstance(exc, VideothequeError):
                raise
            where = redact(store_url) if store_url else str(home_dir / "events.sqlite")
            hint = disk_full_hint(home_dir, exc)
            raise StoreError(
                f"cannot open the event store {where}: {scrub(str(exc), store_url)}{hint}"
            ) from exc
        try:
            projector = Projector(home_dir / PROJECTION_NAME, library.recorder)
            session = Session(config=config, library=library, projector=projector)
            if catch_up:
                session.catch_up()
            yield session
        finally:
            library.close()


def print_notices(session: Session) -> None:
    for notice in session.notices:
        print(f"videotheque: {notice}", file=sys.stderr)
