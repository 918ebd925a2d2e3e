"""What a link action records, and the write-ahead journal that keeps it across a kill.

Each ``Op`` (one file-system action, see linkops.py) carries a typed *record*: one frozen
dataclass per ``Link`` command (``Repair``, ``Quarantine``, ``Create``, ``Retarget``,
``Restore``, ``Remove``), whose ``record`` method calls that command with its own fields,
so mypy checks every call against ``domain/link.py``. The fields are the journal's words,
not the aggregate's: renaming a ``Link`` parameter changes one ``record`` method and no
journal already on a disk.

The journal (``<home>/journal/links-<run id>.jsonl``) holds one op per line, a JSON object.
Format 2, written by this release: ``"format": 2``, the record as ``"record": {"type":
"repair", ...its fields}``, the tracking of a link seen for the first time as ``"track"``
(the ``Track`` fields, or null). Format 1, written by the releases before (no ``format``
key): the ``Link`` method's name as ``"method"`` and its arguments as ``"kwargs"``, whose
names are the record's fields (tests/fixtures/journals/ keeps journals in that format, and
a test settles them). A journal in a format this release does not know is not trusted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from videotheque.domain.link import QUARANTINED, REMOVED, Link

JOURNAL_DIR = "journal"
JOURNAL_FORMAT = 2  # what this release writes; it reads 1 (unversioned) and 2


# -- records: what an op records on its Link ----------------------------------------


@dataclass(frozen=True)
class Track:
    """The link as found on disk, for a link the store does not track yet."""

    link: str
    target: str | None
    target_path: str | None
    file_id: str | None
    run_id: str

    def start(self) -> Link:
        return Link.track(
            link=self.link,
            target=self.target,
            target_path=self.target_path,
            file_id=self.file_id,
            run_id=self.run_id,
        )


@dataclass(frozen=True)
class Repair:
    """A broken link pointed at its file again (``LinkRepaired``)."""

    TYPE: ClassVar[str] = "repair"
    old_target: str
    new_target: str
    target_path: str
    file_id: str | None
    method: str
    run_id: str

    def record(self, link: Link, recovered_by: str | None = None) -> None:
        link.repair(
            old_target=self.old_target,
            new_target=self.new_target,
            target_path=self.target_path,
            file_id=self.file_id,
            method=self.method,
            run_id=self.run_id,
            recovered_by=recovered_by,
        )

    def reflected_in(self, link: Link) -> bool:
        return link.target == self.new_target


@dataclass(frozen=True)
class Quarantine:
    """An orphan link moved, as it was, to the trash (``LinkQuarantined``)."""

    TYPE: ClassVar[str] = "quarantine"
    dangling_target: str
    trash_path: str
    run_id: str

    def record(self, link: Link, recovered_by: str | None = None) -> None:
        link.quarantine(
            dangling_target=self.dangling_target,
            trash_path=self.trash_path,
            run_id=self.run_id,
            recovered_by=recovered_by,
        )

    def reflected_in(self, link: Link) -> bool:
        return link.state == QUARANTINED and link.trash_path == self.trash_path


@dataclass(frozen=True)
class Create:
    """A new link where there was none (``LinkCreated``)."""

    TYPE: ClassVar[str] = "create"
    target: str
    target_path: str
    file_id: str | None
    run_id: str

    def record(self, link: Link, recovered_by: str | None = None) -> None:
        link.create(
            target=self.target,
            target_path=self.target_path,
            file_id=self.file_id,
            run_id=self.run_id,
            recovered_by=recovered_by,
        )

    def reflected_in(self, link: Link) -> bool:
        return link.target == self.target


@dataclass(frozen=True)
class Retarget:
    """A link pointed at its file's new path or name (``LinkRetargeted``)."""

    TYPE: ClassVar[str] = "retarget"
    old_target: str
    new_target: str
    target_path: str
    file_id: str | None
    run_id: str

    def record(self, link: Link, recovered_by: str | None = None) -> None:
        link.retarget(
            old_target=self.old_target,
            new_target=self.new_target,
            target_path=self.target_path,
            file_id=self.file_id,
            run_id=self.run_id,
            recovered_by=recovered_by,
        )

    def reflected_in(self, link: Link) -> bool:
        return link.target == self.new_target


@dataclass(frozen=True)
class Restore:
    """Undo: a link back as the undone run found it (``LinkRestored``)."""

    TYPE: ClassVar[str] = "restore"
    target: str
    target_path: str | None
    file_id: str | None
    replaced_target: str | None
    trash_path: str | None
    undoes: str
    run_id: str

    def record(self, link: Link, recovered_by: str | None = None) -> None:
        link.restore(
            target=self.target,
            target_path=self.target_path,
            file_id=self.file_id,
            replaced_target=self.replaced_target,
            trash_path=self.trash_path,
            undoes=self.undoes,
            run_id=self.run_id,
            recovered_by=recovered_by,
        )

    def reflected_in(self, link: Link) -> bool:
        return link.target == self.target


@dataclass(frozen=True)
class Remove:
    """Undo: a link the undone run created, moved to the trash (``LinkRemoved``)."""

    TYPE: ClassVar[str] = "remove"
    target: str
    trash_path: str
    undoes: str
    run_id: str

    def record(self, link: Link, recovered_by: str | None = None) -> None:
        link.remove(
            target=self.target,
            trash_path=self.trash_path,
            undoes=self.undoes,
            run_id=self.run_id,
            recovered_by=recovered_by,
        )

    def reflected_in(self, link: Link) -> bool:
        return link.state == REMOVED and link.trash_path == self.trash_path


Record = Repair | Quarantine | Create | Retarget | Restore | Remove
RECORDS: dict[str, type[Record]] = {
    cls.TYPE: cls for cls in (Repair, Quarantine, Create, Retarget, Restore, Remove)
}


# -- ops ------------------------------------------------------------------------------


@dataclass
class Op:
    """One file-system action on a link and what it records (see linkops.py)."""

    kind: str  # retarget | create | move
    link_id: str
    link: str  # relative to the video root
    version: int | None  # the Link aggregate's version before (None: not tracked yet)
    paths: list[str]  # absolute: [P] or [S, D]
    before: list[str | None]  # expected text at each path (None: nothing there)
    after: list[str | None]
    record: Record
    run_id: str
    track: Track | None = None  # how to start tracking the link (when not tracked yet)
    tmp: str | None = None  # retarget: the temporary name
    allow_outside: bool = False  # undo may put back a text that pointed outside storage

    @property
    def file_id(self) -> str | None:
        """The media file the op is about, when its record names one."""
        r = self.record
        return None if isinstance(r, Quarantine | Remove) else r.file_id

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "format": JOURNAL_FORMAT,
            "kind": self.kind,
            "link_id": self.link_id,
            "link": self.link,
            "version": self.version,
            "paths": self.paths,
            "before": self.before,
            "after": self.after,
            "record": {"type": self.record.TYPE, **asdict(self.record)},
            "run_id": self.run_id,
            "track": asdict(self.track) if self.track is not None else None,
            "tmp": self.tmp,
            "allow_outside": self.allow_outside,
        }
        return json.dumps(data, ensure_ascii=True)

    @classmethod
    def from_json(cls, line: str) -> Op:
        """An op from one journal line, in any format this release reads (ValueError,
        TypeError or KeyError when the line is not one; UnknownFormatError when it is in
        a format this release does not know)."""
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        form = data.pop("format", 1)
        if form == 1:
            record = _record_format_1(data.pop("method"), data.pop("kwargs"))
        elif form == 2:
            fields = dict(data.pop("record"))
            record = RECORDS[fields.pop("type")](**fields)
        else:
            raise UnknownFormatError(form)
        track = data.pop("track", None)
        return cls(record=record, track=Track(**track) if track is not None else None, **data)


def _record_format_1(method: str, kwargs: dict[str, Any]) -> Record:
    """Format 1 named the ``Link`` method and its arguments, as they were when it was
    written: those names are the records' fields (if a field is renamed, map it here)."""
    return RECORDS[method](**kwargs)


class UnknownFormatError(ValueError):
    def __init__(self, form: object) -> None:
        super().__init__(
            f"written in journal format {form!r} (this release reads 1 to {JOURNAL_FORMAT})"
        )


# -- the journal file -------------------------------------------------------------------


class Journal:
    """The write-ahead journal of one run's link actions."""

    def __init__(self, home: Path, run_id: str) -> None:
        self.dir = home / JOURNAL_DIR
        self.path = self.dir / f"links-{run_id}.jsonl"

    def append(self, ops: Sequence[Op]) -> None:
        if not ops:
            return
        new = not self.path.exists()
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="ascii") as f:
            for op in ops:
                f.write(op.to_json() + "\n")
            f.flush()
            os.fsync(f.fileno())
        if new:
            _fsync_dir(self.dir)

    def close(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pending_journals(home: Path) -> list[Path]:
    d = home / JOURNAL_DIR
    return sorted(d.glob("links-*.jsonl")) if d.is_dir() else []


class CorruptJournalError(Exception):
    """A journal this program did not write as it stands (bytes that are not ASCII, a
    damaged line before the last, a format it does not know): its ops cannot be trusted."""


def read_journal(path: Path) -> Iterator[Op]:
    """The ops of a journal. Only its last line may be cut (the kill came while it was
    written): that op never started and is skipped. Anything else unreadable raises
    :class:`CorruptJournalError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorruptJournalError(f"cannot read it: {exc.strerror or exc}") from exc
    if not data.isascii():
        raise CorruptJournalError("it holds bytes that are not ASCII")
    lines = [line.strip() for line in data.decode("ascii").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    ops: list[Op] = []
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        try:
            ops.append(Op.from_json(line))
        except UnknownFormatError as exc:  # a whole line, of a newer release: never a cut
            raise CorruptJournalError(f"line {number} is {exc}") from exc
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            if number == len(lines):  # a line cut by the kill: its op never started
                break
            raise CorruptJournalError(f"line {number} is damaged ({type(exc).__name__})") from exc
    yield from ops


def set_aside(path: Path, reason: str) -> str:
    """Rename a corrupt journal to ``*.corrupt`` (never deleted) and say what it means."""
    target = path.with_name(path.name + ".corrupt")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{n}.corrupt")
    os.rename(path, target)
    return (
        f"link journal {path} is corrupt ({reason}): set aside as {target.name}; the link "
        "actions of the interrupted run it described were not settled (`check` lists any "
        "link it left unrecorded)"
    )
