"""A media server (Jellyfin, Emby, Plex, Kodi) that videotheque tells what changed.

After a pass that changed the video tree, each configured server is told which folders
changed. Every attempt is an event of the server's aggregate: ``Notified`` (it answered
yes) or ``NotificationFailed`` (down, refused, timed out). What a server was not told is
kept in ``undelivered`` and sent again by the next pass, merged with what is new.

An update is ``{"folder": <path relative to the video root>, "type": "Created" |
"Modified" | "Deleted"}``; what the server was sent (its own paths, after the mapping of
mount points) is recorded beside it as ``told``. Tokens are never part of an event.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from videotheque.domain.errors import DomainError
from videotheque.domain.ids import NAMESPACE

KINDS = ("jellyfin", "emby", "plex", "kodi")
UPDATE_TYPES = ("Created", "Modified", "Deleted")


def media_server_id(name: str) -> UUID:
    return uuid5(NAMESPACE, "media-server:" + name)


def check_updates(updates: list[dict[str, Any]]) -> None:
    for u in updates:
        folder = u.get("folder")
        if not isinstance(folder, str) or folder.startswith("/") or ".." in folder.split("/"):
            raise DomainError(f"update {u!r}: folder must be relative to the video root")
        if u.get("type") not in UPDATE_TYPES:
            raise DomainError(f"update {u!r}: type must be one of {', '.join(UPDATE_TYPES)}")


def merge_updates(older: list[dict[str, Any]], newer: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One update per folder, the newest kind of change winning (sorted by folder)."""
    by_folder: dict[str, dict[str, Any]] = {}
    for u in [*older, *newer]:
        by_folder[u["folder"]] = {"folder": u["folder"], "type": u["type"]}
    return [by_folder[f] for f in sorted(by_folder)]


class MediaServer(Aggregate):
    """One configured media server, known by its name in config.toml."""

    name: str
    kind: str
    undelivered: list[dict[str, Any]]
    last_told_at: str | None
    upto: int  # the store position whose changes of the video tree it has been sent

    @staticmethod
    def create_id(name: str) -> UUID:
        return media_server_id(name)

    @classmethod
    def register(cls, name: str, kind: str, run_id: str, upto: int = 0) -> MediaServer:
        """A server first configured: it follows the changes after store position
        ``upto`` (those made before were its own business)."""
        if not name:
            raise DomainError("a media server needs a name")
        if kind not in KINDS:
            raise DomainError(f"unknown media server kind {kind!r}: {', '.join(KINDS)}")
        return cls(name=name, kind=kind, run_id=run_id, upto=upto)

    @event("Registered")
    def __init__(self, name: str, kind: str, run_id: str, upto: int) -> None:
        self.name = name
        self.kind = kind
        self.undelivered = []
        self.last_told_at = None
        self.upto = upto

    def to_send(self, new: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What this pass must send: what was not delivered before, and what is new."""
        check_updates(new)
        return merge_updates(self.undelivered, new)

    def notified(
        self,
        updates: list[dict[str, Any]],
        told: list[dict[str, Any]],
        status: int | None,
        at: str,
        run_id: str,
        upto: int | None = None,
    ) -> None:
        """The server accepted ``updates`` (sent as ``told``, its own paths) at ``at``: the
        changes up to store position ``upto`` are delivered."""
        check_updates(updates)
        if not updates:
            raise DomainError("nothing to notify")
        upto = self.upto if upto is None else max(upto, self.upto)
        self._notified(updates=updates, told=told, status=status, at=at, run_id=run_id,
                       upto=upto)  # fmt: skip

    @event("Notified")
    def _notified(
        self,
        updates: list[dict[str, Any]],
        told: list[dict[str, Any]],
        status: int | None,
        at: str,
        run_id: str,
        upto: int,
    ) -> None:
        delivered = {u["folder"] for u in updates}
        self.undelivered = [u for u in self.undelivered if u["folder"] not in delivered]
        self.last_told_at = at
        self.upto = upto

    def failed(
        self,
        updates: list[dict[str, Any]],
        reason: str,
        status: int | None,
        at: str,
        run_id: str,
        upto: int | None = None,
    ) -> None:
        """The server could not be told ``updates``: they wait for the next pass (the
        changes up to ``upto`` are now in ``undelivered``)."""
        check_updates(updates)
        if not updates:
            raise DomainError("nothing was to be notified")
        pending = merge_updates(self.undelivered, updates)
        upto = self.upto if upto is None else max(upto, self.upto)
        self._notification_failed(
            updates=updates, undelivered=pending, reason=reason, status=status, at=at,
            run_id=run_id, upto=upto,
        )  # fmt: skip

    @event("NotificationFailed")
    def _notification_failed(
        self,
        updates: list[dict[str, Any]],
        undelivered: list[dict[str, Any]],
        reason: str,
        status: int | None,
        at: str,
        run_id: str,
        upto: int,
    ) -> None:
        self.undelivered = [dict(u) for u in undelivered]
        self.upto = upto
