"""The media file: one piece of content, known by its fingerprint, at one or more paths.

Public methods validate and then call a private ``@event`` method; everything an event
needs (clock readings, hashes, parsed names) is computed outside and passed in, because
event bodies run again on every replay.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError
from domain.ids import file_id

PRESENT = "present"
VANISHED = "vanished"


class MediaFile(Aggregate):
    """A video file's content, its paths under the storage root and what is known of it."""

    fingerprint: str
    algorithm: str
    size: int
    paths: dict[str, float]
    name: dict[str, Any]
    parser: str
    status: str

    @staticmethod
    def create_id(fingerprint: str) -> UUID:
        return file_id(fingerprint)

    @event("Imported")
    def __init__(
        self,
        fingerprint: str,
        algorithm: str,
        size: int,
        path: str,
        mtime: float,
        name: dict[str, Any],
        parser: str,
        run_id: str,
        replaces: str | None = None,
    ) -> None:
        self.fingerprint = fingerprint
        self.algorithm = algorithm
        self.size = size
        self.paths = {path: mtime}
        self.name = dict(name)
        self.parser = parser
        self.status = PRESENT

    # -- commands -------------------------------------------------------------------

    def move(self, old_path: str, new_path: str, mtime: float, run_id: str) -> None:
        """The content left ``old_path`` and now lives at ``new_path``."""
        if old_path not in self.paths:
            raise DomainError(f"{old_path!r} is not a path of file {self.id}")
        if new_path in self.paths:
            raise DomainError(f"{new_path!r} is already a path of file {self.id}")
        self._moved(old_path=old_path, new_path=new_path, mtime=mtime, run_id=run_id)

    def copy(self, path: str, mtime: float, run_id: str) -> None:
        """The same content was found at one more path."""
        if self.status != PRESENT:
            raise DomainError(f"file {self.id} is not present: it reappears, not copied")
        if path in self.paths:
            raise DomainError(f"{path!r} is already a path of file {self.id}")
        self._copied(path=path, mtime=mtime, run_id=run_id)

    def vanish(self, path: str, run_id: str) -> None:
        """``path`` no longer holds this content (deleted, or moved out of storage)."""
        if path not in self.paths:
            raise DomainError(f"{path!r} is not a path of file {self.id}")
        self._vanished(path=path, run_id=run_id)

    def reappear(self, path: str, mtime: float, run_id: str) -> None:
        """A vanished file is back, at ``path``: identity, history and metadata return."""
        if self.status != VANISHED:
            raise DomainError(f"file {self.id} has not vanished")
        self._reappeared(path=path, mtime=mtime, run_id=run_id)

    def replace_content(self, path: str, by_file_id: str, run_id: str) -> None:
        """The file at ``path`` now holds other content (``by_file_id``)."""
        if path not in self.paths:
            raise DomainError(f"{path!r} is not a path of file {self.id}")
        self._replaced(path=path, by_file_id=by_file_id, run_id=run_id)

    def touch(self, path: str, mtime: float, run_id: str) -> None:
        """Same content at the same path with a new modification time."""
        if path not in self.paths:
            raise DomainError(f"{path!r} is not a path of file {self.id}")
        if self.paths[path] != mtime:
            self._touched(path=path, mtime=mtime, run_id=run_id)

    # -- events ---------------------------------------------------------------------

    @event("Moved")
    def _moved(self, old_path: str, new_path: str, mtime: float, run_id: str) -> None:
        del self.paths[old_path]
        self.paths[new_path] = mtime

    @event("Copied")
    def _copied(self, path: str, mtime: float, run_id: str) -> None:
        self.paths[path] = mtime

    @event("Vanished")
    def _vanished(self, path: str, run_id: str) -> None:
        del self.paths[path]
        if not self.paths:
            self.status = VANISHED

    @event("Reappeared")
    def _reappeared(self, path: str, mtime: float, run_id: str) -> None:
        self.paths = {path: mtime}
        self.status = PRESENT

    @event("Replaced")
    def _replaced(self, path: str, by_file_id: str, run_id: str) -> None:
        del self.paths[path]
        if not self.paths:
            self.status = VANISHED

    @event("Touched")
    def _touched(self, path: str, mtime: float, run_id: str) -> None:
        self.paths[path] = mtime
