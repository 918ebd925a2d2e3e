"""The use-case level: each use case driven as the CLI drives it, on eventsourcing's
in-memory store (``eventsourcing.popo``) and a DuckDB projection in tmp_path, with fakes
for what is slow or outside (name parsing, providers, MediaInfo); real files and real
symlinks in tmp_path. No CLI, no SQLite, no socket.

``open_session`` is the one place that builds what a use case takes: when ``Session``
changes, only it changes.

The projection costs most of this level's time, so (measured on 34 tests, 2 busy cores,
CPU seconds): a new DuckDB file per test, 22 s; a copy of an empty one made once, with a
connection held through the test, 10 s. The held connection keeps the database open, so
each of the use case's short connections costs ~2-4 ms instead of ~100 ms (a new DuckDB
instance). A file on tmpfs, or one file emptied between tests, saved nothing more that
the noise let us see.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.usecases.world import World
from videotheque.commands.bootstrap import Session
from videotheque.commands.config import Config, config_from_tables
from videotheque.commands.library import Library
from videotheque.projections.projector import Projector

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
# What every library of this level says in its config.toml: import never runs MediaInfo
# (the analyze tests give analyze_library a fake one).
SETTINGS: dict[str, Any] = {"media": {"analyze_on_import": False}}


def open_session(config: Config, library: Library, projector: Projector) -> Session:
    """A session as ``bootstrap.open_session`` gives a command: its projection caught up."""
    session = Session(config=config, library=library, projector=projector)
    session.catch_up()
    return session


@pytest.fixture(scope="session")
def empty_projection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A projection with its schema and nothing in it, made once: each test copies it."""
    path = tmp_path_factory.mktemp("projection") / "catalog.duckdb"
    Projector(path, Library(env=IN_MEMORY).recorder).catch_up()
    return path


@pytest.fixture
def world(tmp_path: Path, empty_projection: Path) -> Iterator[World]:
    """An initialised library: its roots in tmp_path, a session on them."""
    root = tmp_path / "lib"
    storage, video, trash = root / "storage", root / "video", root / "trash"
    home = tmp_path / "home"
    for folder in (storage, video, trash, home):
        folder.mkdir(parents=True)
    projection = home / "catalog.duckdb"
    shutil.copyfile(empty_projection, projection)
    keeper = duckdb.connect(str(projection))  # held through the test (see above)
    try:
        roots = {"storage": str(storage), "video": str(video), "trash": str(trash)}
        config = config_from_tables(home, {"library": roots, **SETTINGS})
        library = Library(env=IN_MEMORY)
        projector = Projector(projection, library.recorder)
        opener = partial(open_session, library=library, projector=projector)
        yield World(root, storage, video, trash, home, config, library, projector, opener)
    finally:
        keeper.close()
