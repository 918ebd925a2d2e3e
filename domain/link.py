"""The link: one symlink of the video tree, known by its path relative to the video root.

A ``Link`` mirrors what the tool last saw or did at that path: the link's text as written
on disk (``target``: relative or absolute, kept as given), the storage-relative path it
names (``target_path``, None when outside storage) and the media file behind it when known.
It is created (``Tracked``) the first time the tool touches the path, in the same save as
that first action, so its history starts with the state the tool found. The disk is the
truth at the moment of an action: each action event carries what was observed there just
before (``old_target``, ``dangling_target``), whatever happened since the last event.

Every action event carries the run id; ``file_id`` is set wherever the file is known, so a
file's ``history`` shows its links. ``recovered_by`` names the run that recorded an action
an interrupted run had done on disk but had not recorded (see commands/adapters/linkops.py).
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from videotheque.domain.errors import DomainError
from videotheque.domain.ids import link_id

FOUND = "found"  # tracked as found on disk, nothing done yet
LINKED = "linked"  # a link the tool made or repaired is at the path
QUARANTINED = "quarantined"  # moved to <trash>/orphans/<run id>/...
REMOVED = "removed"  # taken away by an undo (moved to <trash>/undo/<run id>/...)
ABSENT = "absent"  # nothing at the path when first tracked


def check_storage_path(path: str | None) -> None:
    """A storage-relative path the tool may point a link at: relative, no ``..``."""
    if path is None:
        raise DomainError("a link must point at a path inside the storage root")
    parts = path.split("/")
    if not path or path.startswith("/") or ".." in parts or "" in parts:
        raise DomainError(f"{path!r} is not a clean path relative to the storage root")


def check_relative(path: str, what: str) -> None:
    parts = path.split("/")
    if not path or path.startswith("/") or ".." in parts or "." in parts or "" in parts:
        raise DomainError(f"{what} {path!r} is not a clean relative path")


class Link(Aggregate):
    """A symlink under the video root, as the tool found it and what it did to it."""

    link: str
    target: str | None
    target_path: str | None
    file_id: str | None
    state: str
    trash_path: str | None
    method: str | None

    @staticmethod
    def create_id(link: str) -> UUID:
        return link_id(link)

    @event("Tracked")
    def __init__(
        self,
        link: str,
        target: str | None,
        target_path: str | None,
        file_id: str | None,
        run_id: str,
    ) -> None:
        self.link = link
        self.target = target
        self.target_path = target_path
        self.file_id = file_id
        self.state = FOUND if target is not None else ABSENT
        self.trash_path = None
        self.method = None

    @classmethod
    def track(
        cls,
        link: str,
        target: str | None,
        target_path: str | None,
        file_id: str | None,
        run_id: str,
    ) -> Link:
        """Start tracking the link at ``link`` as found on disk (``target`` None: no link)."""
        check_relative(link, "link")
        return cls(
            link=link, target=target, target_path=target_path, file_id=file_id, run_id=run_id
        )

    # -- commands -------------------------------------------------------------------

    def repair(
        self,
        old_target: str,
        new_target: str,
        target_path: str,
        file_id: str | None,
        method: str,
        run_id: str,
        recovered_by: str | None = None,
    ) -> None:
        """The broken link now points at ``target_path`` in storage."""
        check_storage_path(target_path)
        if old_target == new_target:
            raise DomainError(f"link {self.link!r} already points at {new_target!r}")
        self._repaired(
            link=self.link,
            old_target=old_target,
            new_target=new_target,
            target_path=target_path,
            file_id=file_id,
            method=method,
            run_id=run_id,
            recovered_by=recovered_by,
        )

    def quarantine(
        self, dangling_target: str, trash_path: str, run_id: str, recovered_by: str | None = None
    ) -> None:
        """The link was moved, as it was, to ``trash_path`` (relative to the trash root)."""
        check_relative(trash_path, "trash path")
        self._quarantined(
            link=self.link,
            trash_path=trash_path,
            dangling_target=dangling_target,
            file_id=self.file_id,
            run_id=run_id,
            recovered_by=recovered_by,
        )

    def create(
        self,
        target: str,
        target_path: str,
        file_id: str | None,
        run_id: str,
        recovered_by: str | None = None,
    ) -> None:
        """A new link was made at this path (where there was none)."""
        check_storage_path(target_path)
        self._created(
            link=self.link,
            target=target,
            target_path=target_path,
            file_id=file_id,
            run_id=run_id,
            recovered_by=recovered_by,
        )

    def retarget(
        self,
        old_target: str,
        new_target: str,
        target_path: str,
        file_id: str | None,
        run_id: str,
        recovered_by: str | None = None,
    ) -> None:
        """The link now points at ``target_path`` (its file moved, or its name changed)."""
        check_storage_path(target_path)
        if old_target == new_target:
            raise DomainError(f"link {self.link!r} already points at {new_target!r}")
        self._retargeted(
            link=self.link,
            old_target=old_target,
            new_target=new_target,
            target_path=target_path,
            file_id=file_id,
            run_id=run_id,
            recovered_by=recovered_by,
        )

    def restore(
        self,
        target: str,
        target_path: str | None,
        file_id: str | None,
        replaced_target: str | None,
        trash_path: str | None,
        undoes: str,
        run_id: str,
        recovered_by: str | None = None,
    ) -> None:
        """Undo of run ``undoes``: the link is back as that run found it, pointing at
        ``target`` again (its old, maybe dangling, text) and, when ``trash_path`` is
        given, moved back from the trash."""
        self._restored(
            link=self.link,
            target=target,
            target_path=target_path,
            file_id=file_id,
            replaced_target=replaced_target,
            trash_path=trash_path,
            undoes=undoes,
            run_id=run_id,
            recovered_by=recovered_by,
        )

    def remove(
        self,
        target: str,
        trash_path: str,
        undoes: str,
        run_id: str,
        recovered_by: str | None = None,
    ) -> None:
        """Undo of run ``undoes`` that created this link: it was moved to ``trash_path``."""
        check_relative(trash_path, "trash path")
        self._removed(
            link=self.link,
            target=target,
            trash_path=trash_path,
            file_id=self.file_id,
            undoes=undoes,
            run_id=run_id,
            recovered_by=recovered_by,
        )

    # -- events ---------------------------------------------------------------------

    @event("LinkRepaired")
    def _repaired(
        self,
        link: str,
        old_target: str,
        new_target: str,
        target_path: str,
        file_id: str | None,
        method: str,
        run_id: str,
        recovered_by: str | None,
    ) -> None:
        self.target = new_target
        self.target_path = target_path
        self.file_id = file_id
        self.state = LINKED
        self.method = method

    @event("LinkQuarantined")
    def _quarantined(
        self,
        link: str,
        trash_path: str,
        dangling_target: str,
        file_id: str | None,
        run_id: str,
        recovered_by: str | None,
    ) -> None:
        self.target = None
        self.state = QUARANTINED
        self.trash_path = trash_path

    @event("LinkCreated")
    def _created(
        self,
        link: str,
        target: str,
        target_path: str,
        file_id: str | None,
        run_id: str,
        recovered_by: str | None,
    ) -> None:
        self.target = target
        self.target_path = target_path
        self.file_id = file_id
        self.state = LINKED
        self.trash_path = None

    @event("LinkRetargeted")
    def _retargeted(
        self,
        link: str,
        old_target: str,
        new_target: str,
        target_path: str,
        file_id: str | None,
        run_id: str,
        recovered_by: str | None,
    ) -> None:
        self.target = new_target
        self.target_path = target_path
        self.file_id = file_id
        self.state = LINKED

    @event("LinkRestored")
    def _restored(
        self,
        link: str,
        target: str,
        target_path: str | None,
        file_id: str | None,
        replaced_target: str | None,
        trash_path: str | None,
        undoes: str,
        run_id: str,
        recovered_by: str | None,
    ) -> None:
        self.target = target
        self.target_path = target_path
        self.file_id = file_id
        self.state = FOUND  # as the undone run found it
        self.trash_path = None

    @event("LinkRemoved")
    def _removed(
        self,
        link: str,
        target: str,
        trash_path: str,
        file_id: str | None,
        undoes: str,
        run_id: str,
        recovered_by: str | None,
    ) -> None:
        self.target = None
        self.state = REMOVED
        self.trash_path = trash_path
