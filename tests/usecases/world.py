"""What a use-case test works with: the library's roots on disk, a session for each use
case it runs (``conftest.open_session`` builds it), the events recorded and the
projection's rows."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from videotheque.commands.bootstrap import Session
from videotheque.commands.config import Config, config_from_tables
from videotheque.commands.library import Library
from videotheque.projections import queries
from videotheque.projections.events import StoredEvent
from videotheque.projections.projector import Projector


@dataclass
class World:
    """A library's roots on disk, its store and projection, and ways to look at them."""

    root: Path
    storage: Path
    video: Path
    trash: Path
    home: Path
    config: Config
    library: Library
    projector: Projector
    opener: Callable[[Config], Session]

    def session(self) -> Session:
        """A session for one use case, as each command of the CLI opens its own (its
        projection caught up; the store and the projection are the library's)."""
        return self.opener(self.config)

    # -- the disk ------------------------------------------------------------------

    def write(self, rel: str, content: bytes | str = b"") -> Path:
        """A file under storage with distinct content (its path, unless given)."""
        path = self.storage / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        path.write_bytes(data or ("content of " + rel).encode())
        return path

    def move(self, old: str, new: str) -> Path:
        """Move a storage file, as a person reorganising storage would."""
        dst = self.storage / new
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.rename(self.storage / old, dst)
        return dst

    def link(self, rel: str, target: str | Path, absolute: bool = False) -> Path:
        """A symlink at ``video/rel`` naming ``target`` (relative text unless ``absolute``)."""
        path = self.video / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = os.fspath(target)
        if not absolute and os.path.isabs(text):
            text = os.path.relpath(text, path.parent)
        os.symlink(text, path)
        return path

    def configure(self, **sections: dict[str, Any]) -> None:
        """Settings of config.toml's sections (``organize={"movie": ...}``)."""
        tables = {**self.config.extra, **sections, "library": self._roots()}
        self.config = config_from_tables(self.home, tables)

    def _roots(self) -> dict[str, str]:
        c = self.config
        return {"storage": str(c.storage), "video": str(c.video), "trash": str(c.trash)}

    # -- the store and the projection ----------------------------------------------

    def position(self) -> int:
        return self.library.max_position()

    def events(self, after: int = 0) -> list[StoredEvent]:
        """The events recorded after store position ``after``, decoded as the projector
        decodes them (``type``, ``aggregate``, ``originator_id``, ``data``)."""
        return self.projector.recorder.read(after, 1_000_000)

    def types(self, after: int = 0) -> list[str]:
        """The class names of the events recorded after ``after``, but the runs' own."""
        return [e.type for e in self.events(after) if e.aggregate != "Run"]

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Rows of the projection as dicts (it is caught up by every use case)."""
        with self.projector.connect() as con:
            cur = con.execute(sql, params or [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def catalog(self) -> dict[str, dict[str, Any]]:
        """Every current path -> its row of the catalog (the ``catalog`` command's rows)."""
        with self.projector.connect() as con:
            return {p: row for row in queries.catalog(con) for p in row["paths"]}

    def files(self) -> list[dict[str, Any]]:
        """The catalog's rows, vanished files too (their ``paths`` empty)."""
        with self.projector.connect() as con:
            return queries.catalog(con)

    def runs(self) -> list[dict[str, Any]]:
        with self.projector.connect() as con:
            return queries.runs(con)
