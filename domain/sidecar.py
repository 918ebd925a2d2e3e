"""An NFO sidecar videotheque wrote beside a link of the video tree.

Known by its path relative to the video root. Each write is an event (``Written``) with
the hash of the content written, so a later run can tell its own file (same hash on
disk) from one a person wrote or edited (another hash, or no event at all): only its
own are ever replaced.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from videotheque.domain.errors import DomainError
from videotheque.domain.ids import NAMESPACE

NFO_KINDS = ("movie", "tvshow", "episode")


def sidecar_id(path: str) -> UUID:
    raw = ("nfo:" + path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return uuid5(NAMESPACE, raw)


def _check(path: str, kind: str, content_hash: str) -> None:
    parts = path.split("/")
    if not path or path.startswith("/") or ".." in parts or "" in parts:
        raise DomainError(f"{path!r} is not a clean path relative to the video root")
    if not path.endswith(".nfo"):
        raise DomainError(f"{path!r}: an NFO sidecar's name ends in .nfo")
    if kind not in NFO_KINDS:
        raise DomainError(f"unknown NFO kind {kind!r}")
    if not content_hash:
        raise DomainError("an NFO written needs the hash of its content")


class Sidecar(Aggregate):
    """One NFO file of the video tree that videotheque wrote."""

    path: str
    kind: str
    file_id: str | None
    content_hash: str

    @staticmethod
    def create_id(path: str) -> UUID:
        return sidecar_id(path)

    @classmethod
    def first_written(
        cls, path: str, kind: str, file_id: str | None, content_hash: str, run_id: str
    ) -> Sidecar:
        _check(path, kind, content_hash)
        return cls(path=path, kind=kind, file_id=file_id, content_hash=content_hash,
                   run_id=run_id)  # fmt: skip

    @event("Written")
    def __init__(
        self, path: str, kind: str, file_id: str | None, content_hash: str, run_id: str
    ) -> None:
        self.path = path
        self.kind = kind
        self.file_id = file_id
        self.content_hash = content_hash

    def rewrite(self, file_id: str | None, content_hash: str, run_id: str) -> None:
        """Videotheque replaced its own file with new content."""
        _check(self.path, self.kind, content_hash)
        if content_hash == self.content_hash:
            raise DomainError(f"{self.path}: the content is unchanged")
        self._rewritten(path=self.path, kind=self.kind, file_id=file_id,
                        content_hash=content_hash, run_id=run_id)  # fmt: skip

    @event("Rewritten")
    def _rewritten(
        self, path: str, kind: str, file_id: str | None, content_hash: str, run_id: str
    ) -> None:
        self.file_id = file_id
        self.content_hash = content_hash
