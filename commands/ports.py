"""What a use case takes: the ``Workspace`` port.

A use case reads the library through the projection (``read``), loads and saves
aggregates (``get``, ``save``, ``save_all``), and records its run; it never reaches
through to the event store or the projector. ``bootstrap.Session`` is the one
implementation: on SQLite or PostgreSQL for the CLI, or on eventsourcing's in-memory store
for tests::

    library = Library(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    session = Session(config=config, library=library,
                      projector=Projector(tmp / "catalog.duckdb", library.recorder))
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import duckdb

from videotheque.commands.config import Config
from videotheque.domain.run import Run
from videotheque.projections.projector import CatchUp


class Workspace(Protocol):
    """One command's library: its config, its store (through one save path) and its
    projection."""

    config: Config
    notices: list[str]  # said on stderr once the command is done
    run: Run | None  # the command's run, once started

    @property
    def home(self) -> Path: ...

    @property
    def recorder(self) -> Any:
        """The store's recorder, for replaying its events (time travel)."""
        ...

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate, replayed from the store."""
        ...

    def save(self, *aggregates: Any) -> int:
        """The aggregates' pending events in one atomic append (``StoreError`` when the
        store fails, ``StoreConflictError`` when another writer came first)."""
        ...

    def save_all(self, aggregates: Iterable[Any], batch: int = ...) -> int:
        """``save`` a batch at a time (each batch atomic)."""
        ...

    def read(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A connection to the projection, as current as the last ``catch_up``."""
        ...

    def position(self) -> int:
        """The event store's last position."""
        ...

    def catch_up(self) -> CatchUp:
        """Bring the projection up to the store."""
        ...

    def start_run(self, command: str, arguments: dict[str, Any]) -> Run: ...

    def finish_run(self, summary: dict[str, Any], exit_code: int) -> None: ...
