"""File-system actions on links, each recorded as an event, safe against a kill.

Every action is an ``Op`` (linkjournal.py): the state it expects at one or two paths
(``before``), the state it leaves (``after``), and the typed record of the ``Link`` command
that records it. Three kinds:

- ``retarget``: one path, text A -> text B (a symlink to B is made under a temporary name
  in the same folder, then exchanged with the link in one atomic step, and the old link,
  now under the temporary name, is removed);
- ``create``: one path, nothing -> text B (``symlink`` never overwrites);
- ``move``: a link goes from S to D with its text unchanged (a hard link of the symlink
  itself, or a copy of it when S and D are on different file systems, then S is
  unlinked; D is never overwritten).

Crash safety, with a write-ahead journal. For each batch: (1) each op is checked against
the disk (a link that changed since the plan is left alone and reported); (2) the ops are
appended to ``<home>/journal/links-<run id>.jsonl`` and fsync'd; (3) the file system is
changed; (4) the events of the ops that succeeded are saved in one atomic append. A kill
before (2) leaves nothing; between (2) and (4) leaves actions done on disk but not recorded:
the next run of any link command reads the journal first and, for each op whose link
aggregate still has the version the op expected (its event is not in the store), looks at
the disk: the ``after`` state is recorded now (with the interrupted run's id and
``recovered_by``), a half-done move is finished, a ``before`` state means it never
happened, anything else is reported and left alone. Ops are idempotent: an op whose
``after`` state is already on disk is done. The journal is removed once its run saved
everything. The home lock makes this single-writer.

Never overwriting. Between the last look at a path and the change, a person or a program
may put a real file there. No step here can replace or remove it: a link is put in place
with ``renameat2(RENAME_EXCHANGE)`` (Linux; ``renamex_np(RENAME_SWAP)`` on macOS), and
what came back under the temporary name is checked: the old link is removed, anything
else is swapped back at once and the op reported. Where the system cannot swap, the old
link is first renamed aside to a name of ours, checked, and the new one put in place with
``RENAME_NOREPLACE`` / ``RENAME_EXCL`` (or a ``symlink``, which never overwrites): for a
moment the path holds nothing. A link is removed by renaming it aside first, then
checking that what was renamed is that link before unlinking it (what is not is renamed
back). Every unlink is of a name of ours, after such a check; the one window left is
between that check and the unlink of our own name, where only something that renamed
its file to our hidden ``.vtq-...`` name could be hit. A kill between two of these steps
is settled by the next run (``_settle``).

Checkpoints. The protocol announces its steps with ``sys.audit`` (nothing happens unless
an audit hook listens: tests/faults/checkpoints.py kills the process at the N-th one to
prove the recovery): ``videotheque.links.journal`` (a batch is journaled, nothing done),
``videotheque.links.tmp`` (a retarget's temporary link exists), ``videotheque.links.moved``
(a moved link exists at both names), ``videotheque.links.applied`` (an op is done on disk),
``videotheque.links.saved`` (a batch's events are in the store).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import posixpath
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from videotheque.commands.adapters.linkjournal import (
    CorruptJournalError,
    Journal,
    Op,
    Repair,
    Retarget,
    Track,
    pending_journals,
    read_journal,
    set_aside,
)
from videotheque.commands.adapters.linkscan import Roots, resolve_text
from videotheque.commands.ports import Workspace
from videotheque.domain.errors import DomainError
from videotheque.domain.ids import link_id
from videotheque.domain.link import Link
from videotheque.domain.paths import display, is_within

NOT_A_LINK = "\x00not-a-link"  # what observe() says of a file or folder at a path
BATCH = 1000  # ops journaled, done and saved together (tests make it small)


@dataclass
class Outcome:
    op: Op
    ok: bool
    reason: str = ""
    already: bool = False
    error: bool = False  # the system refused (permission, I/O): not a conflict on disk


@dataclass
class Recovery:
    recorded: list[Op] = field(default_factory=list)
    not_done: int = 0
    conflicts: list[tuple[Op, str]] = field(default_factory=list)
    journals: int = 0


# -- observing and acting -------------------------------------------------------------


def observe(path: str) -> str | None:
    """The text of the symlink at ``path``, None when nothing is there, NOT_A_LINK else."""
    try:
        return os.readlink(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            return NOT_A_LINK
        raise


def _shown(text: str | None) -> str:
    if text is None:
        return "nothing"
    if text == NOT_A_LINK:
        return "a file or folder"
    return "a link to " + display(text)


class Guard:
    """Where the tool may write: inside the video and trash roots (their real folders),
    and links that name something inside storage."""

    def __init__(self, roots: Roots) -> None:
        self.roots = roots
        self.writable = [roots.real_video, os.path.realpath(roots.trash)]

    def check_place(self, path: str) -> None:
        parent = posixpath.dirname(path)
        while not os.path.lexists(parent):  # the nearest existing folder decides
            parent = posixpath.dirname(parent)
        real = os.path.realpath(parent)
        if not any(is_within(real, w) for w in self.writable):
            raise UnsafeError(
                f"{display(path)} lies outside the video and trash roots (through {real})"
            )

    def check_text(self, path: str, text: str) -> None:
        real_dir = os.path.realpath(posixpath.dirname(path))
        resolved = resolve_text(text, real_dir)
        if self.roots.storage_relative(resolved) is None:
            raise UnsafeError(
                f"refusing to write {display(path)} -> {display(text)}: outside the storage root"
            )
        if self.roots.really_inside(resolved) is None:  # through a symlinked folder
            raise UnsafeError(
                f"refusing to write {display(path)} -> {display(text)}: it leads out of the"
                f" storage root (to {display(os.path.realpath(resolved))})"
            )


class UnsafeError(Exception):
    pass


def apply(op: Op, guard: Guard) -> Outcome:
    """Do one op unless the disk is not what it expects; idempotent."""
    try:
        now = [observe(p) for p in op.paths]
    except OSError as exc:
        return Outcome(op, False, f"cannot look at it: {exc.strerror}", error=True)
    if now == op.after:
        return Outcome(op, True, already=True)
    if op.kind == "move" and now == [op.before[0], op.before[0]]:
        return _finish_move(op)  # a move cut short: both names hold the same link
    if now != op.before:
        where = ", ".join(
            f"{display(p)} is {_shown(n)} (expected {_shown(b)})"
            for p, n, b in zip(op.paths, now, op.before, strict=True)
            if n != b
        )
        return Outcome(op, False, f"changed since the plan, left alone: {where}")
    try:
        for p in op.paths:
            guard.check_place(p)
        if op.kind in ("retarget", "create") and not op.allow_outside:
            text = op.after[0]
            assert text is not None
            guard.check_text(op.paths[0], text)
        if op.kind == "retarget":
            return _retarget(op)
        if op.kind == "create":
            return _create(op)
        if op.kind == "move":
            return _move(op)
    except UnsafeError as exc:
        return Outcome(op, False, str(exc))
    except OSError as exc:
        where = f" ({display(exc.filename)})" if isinstance(exc.filename, str) else ""
        return Outcome(op, False, f"{exc.strerror or exc}{where}", error=True)
    raise ValueError(f"unknown op kind {op.kind}")


def _retarget(op: Op) -> Outcome:
    path, old, new = op.paths[0], op.before[0], op.after[0]
    assert new is not None and old is not None and op.tmp is not None
    _settle(op)
    os.symlink(new, op.tmp)
    sys.audit("videotheque.links.tmp", op.link)
    if observe(path) != old:  # changed at the last moment
        os.unlink(op.tmp)
        return Outcome(op, False, f"changed while being repaired, left alone: {display(path)}")
    if exchange(op.tmp, path):
        if observe(op.tmp) == old:  # what was swapped out is the link the plan saw
            os.unlink(op.tmp)
            return Outcome(op, True)
        exchange(op.tmp, path)  # not the link: swapped back at once, left as it was
        if observe(op.tmp) == new:
            os.unlink(op.tmp)
        return Outcome(op, False, f"{_appeared(path)} while being repaired: left alone")
    # No swap on this system: the old link aside (checked), then the new one in its place.
    aside = aside_name(op)
    os.rename(path, aside)
    if observe(aside) != old:
        put_back(aside, path)
        os.unlink(op.tmp)
        return Outcome(op, False, f"{_appeared(path)} while being repaired: left alone")
    try:
        place(op.tmp, path, new)
    except FileExistsError:  # something arrived in the moment the path was empty
        os.unlink(op.tmp)
        os.unlink(aside)  # the old link, checked above; what arrived stays
        return Outcome(op, False, f"{_appeared(path)} while being repaired: left alone")
    os.unlink(aside)
    return Outcome(op, True)


def _appeared(path: str) -> str:
    return f"something else appeared at {display(path)}"


def _settle(op: Op) -> None:
    """Remove or put back our own temporary names left by a kill (only if they are ours)."""
    if op.kind == "retarget" and op.tmp is not None:
        path, old, new = op.paths[0], op.before[0], op.after[0]
        aside = aside_name(op)
        if observe(aside) == old:
            if observe(path) is None:  # killed with the old link aside: it goes back
                put_back(aside, path)
            elif observe(path) == new:  # killed before the old link was removed
                os.unlink(aside)
        if observe(op.tmp) in (old, new):  # ours (the old link after a swap, or the new)
            os.unlink(op.tmp)
    elif op.kind == "move":
        src, dst = op.paths
        text = op.before[0]
        aside = aside_name(op)
        if text is not None and observe(aside) == text:
            if observe(dst) == text:  # killed before the link renamed aside was unlinked
                os.unlink(aside)
            elif observe(src) is None:
                put_back(aside, src)


def _clear_tmp(op: Op) -> None:
    """Remove our own temporary names left by a kill (only if they are ours)."""
    _settle(op)


def _create(op: Op) -> Outcome:
    path, new = op.paths[0], op.after[0]
    assert new is not None
    os.makedirs(posixpath.dirname(path), exist_ok=True)
    try:
        os.symlink(new, path)
    except FileExistsError:
        return Outcome(op, False, f"something appeared at {display(path)}: left alone")
    return Outcome(op, True)


def _move(op: Op) -> Outcome:
    src, dst = op.paths
    text = op.before[0]
    assert text is not None
    os.makedirs(posixpath.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst, follow_symlinks=False)  # the symlink itself, never its target
    except FileExistsError:
        return Outcome(op, False, f"{display(dst)} exists: never overwritten")
    except OSError:  # another file system, or hard links not allowed: copy the link
        try:
            os.symlink(text, dst)
        except FileExistsError:
            return Outcome(op, False, f"{display(dst)} exists: never overwritten")
        try:
            st = os.lstat(src)
            os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
        except OSError:
            pass
    sys.audit("videotheque.links.moved", op.link)
    return _finish_move(op)


def _finish_move(op: Op) -> Outcome:
    src, dst = op.paths
    text = op.before[0]
    if observe(dst) != text or observe(src) != text:
        return Outcome(op, False, f"changed while being moved, left alone: {display(src)}")
    # The same link is safe at dst; the one at src goes, and only if it still is that link.
    aside = aside_name(op)
    os.rename(src, aside)
    if observe(aside) != text:
        put_back(aside, src)
        if observe(dst) == text:  # our copy of the link: the move did not happen
            os.unlink(dst)
        return Outcome(op, False, f"{_appeared(src)} while being moved: left alone")
    os.unlink(aside)
    return Outcome(op, True)


# -- file-system steps that never overwrite ---------------------------------------------

_RENAME_NOREPLACE = 1  # <linux/fs.h>
_RENAME_EXCHANGE = 2
_MAC_RENAME_SWAP = 0x2  # <stdio.h> renamex_np
_MAC_RENAME_EXCL = 0x4
_AT_FDCWD = -100
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EPERM, getattr(errno, "ENOTSUP", 95),
                getattr(errno, "EOPNOTSUPP", 95)}  # fmt: skip
_libc: Any = None


def _c() -> Any:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    return _libc


def _rename_flags(src: str, dst: str, linux: int, mac: int) -> bool:
    """``rename`` with flags; False when this system or file system cannot do it."""
    try:
        libc = _c()
        if sys.platform == "darwin":
            fn, args = libc.renamex_np, (os.fsencode(src), os.fsencode(dst), mac)
        else:
            fn = libc.renameat2
            args = (_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), linux)
    except (AttributeError, OSError):  # an older C library
        return False
    if fn(*args) == 0:
        return True
    err = ctypes.get_errno()
    if err in _UNSUPPORTED:
        return False
    raise OSError(err, os.strerror(err), src, None, dst)


def exchange(a: str, b: str) -> bool:
    """Swap two names in one atomic step (both must exist); False when not supported."""
    return _rename_flags(a, b, _RENAME_EXCHANGE, _MAC_RENAME_SWAP)


def place(src: str, dst: str, text: str) -> None:
    """Move our symlink ``src`` (text ``text``) to ``dst``, never replacing anything there
    (FileExistsError)."""
    if _rename_flags(src, dst, _RENAME_NOREPLACE, _MAC_RENAME_EXCL):
        return
    os.symlink(text, dst)  # symlink() never overwrites either
    os.unlink(src)


def put_back(aside: str, path: str) -> None:
    """Return what was renamed aside to ``path``, never over something that arrived since
    (then it stays under the aside name, and the error says so)."""
    if _rename_flags(aside, path, _RENAME_NOREPLACE, _MAC_RENAME_EXCL):
        return
    try:
        os.link(aside, path, follow_symlinks=False)  # a hard link never overwrites
    except FileExistsError as exc:
        raise OSError(
            errno.EEXIST, f"{display(path)} is taken again: what was there is at {display(aside)}"
        ) from exc
    os.unlink(aside)


def aside_name(op: Op) -> str:
    """Where a link is renamed while it is checked (deterministic: a kill is settled)."""
    path = op.paths[0]
    return posixpath.join(posixpath.dirname(path), f".vtq-{op.link_id[:12]}.old")


# -- recording ------------------------------------------------------------------------


def load_link(session: Workspace, op: Op) -> Link:
    """The aggregate an op records on, at the version the op expects."""
    if op.version is None:
        assert op.track is not None
        return op.track.start()
    link: Any = session.get(UUID(op.link_id))
    assert isinstance(link, Link)
    if link.version != op.version:
        raise DomainError(
            f"link {display(op.link)} changed in the store since the plan "
            f"(version {link.version}, expected {op.version})"
        )
    return link


def record(link: Link, op: Op, recovered_by: str | None = None) -> None:
    op.record.record(link, recovered_by=recovered_by)


def recover(session: Workspace, run_id: str) -> Recovery:
    """Settle what interrupted runs left in their journals (see the module docstring)."""
    result = Recovery()
    for path in pending_journals(session.home):
        result.journals += 1
        pending: dict[str, Link] = {}
        try:
            ops = list(read_journal(path))
        except CorruptJournalError as exc:
            session.notices.append(set_aside(path, str(exc)))
            continue
        for op in ops:
            _clear_tmp(op)
            current = _current(session, op, pending)
            version = current.version if current is not None else None
            if version != op.version:
                if current is None or not _reflects(current, op):
                    result.conflicts.append(
                        (op, "the store changed since the interrupted run: left alone")
                    )
                continue  # else its event is in the store: recorded before the kill
            try:
                now = [observe(p) for p in op.paths]
            except OSError as exc:
                result.conflicts.append((op, f"cannot look at it: {exc.strerror}"))
                continue
            if now == op.before:
                result.not_done += 1
                continue
            if now != op.after:
                if op.kind == "move" and now == [op.before[0], op.before[0]]:
                    done = _finish_move(op)
                    if not done.ok:
                        result.conflicts.append((op, done.reason))
                        continue
                else:
                    result.conflicts.append((op, "changed since the interrupted run: left alone"))
                    continue
            try:
                link = pending.get(op.link_id) or load_link(session, op)
                record(link, op, recovered_by=run_id)
            except DomainError as exc:
                result.conflicts.append((op, str(exc)))
                continue
            pending[op.link_id] = link
            result.recorded.append(op)
        if pending:
            session.save_all(list(pending.values()))
        path.unlink()
    return result


def _current(session: Workspace, op: Op, pending: dict[str, Link]) -> Link | None:
    if op.link_id in pending:
        return pending[op.link_id]
    try:
        link: Any = session.get(UUID(op.link_id))
    except AggregateNotFoundError:
        return None
    return link if isinstance(link, Link) else None


def _reflects(link: Link, op: Op) -> bool:
    """True when the aggregate's state is what recording ``op`` leaves."""
    return op.record.reflected_in(link)


# -- running a list of ops --------------------------------------------------------------


def execute(
    session: Workspace,
    roots: Roots,
    journal: Journal,
    ops: Sequence[Op],
    on_outcome: Callable[[Outcome], None] | None = None,
    batch: int | None = None,
) -> list[Outcome]:
    """Journal, apply and record ``ops`` in batches (see the module docstring)."""
    guard = Guard(roots)
    outcomes: list[Outcome] = []
    size = batch or BATCH
    for chunk in _batches(ops, size):
        prepared: list[tuple[Op, Link]] = []
        for op in chunk:
            try:
                link = load_link(session, op)
                record(link, op)  # validates; saved only if the disk action succeeds
            except DomainError as exc:
                out = Outcome(op, False, str(exc))
                outcomes.append(out)
                if on_outcome:
                    on_outcome(out)
                continue
            prepared.append((op, link))
        journal.append([op for op, _ in prepared])
        sys.audit("videotheque.links.journal", len(prepared))
        done: list[Link] = []
        for op, link in prepared:
            out = apply(op, guard)
            sys.audit("videotheque.links.applied", op.link)
            if out.ok and out.already:
                out = Outcome(op, False, "already so on disk (not done by this run)", True)
            elif out.ok:
                done.append(link)
            outcomes.append(out)
            if on_outcome:
                on_outcome(out)
        if done:
            session.save_all(done)
            sys.audit("videotheque.links.saved", len(done))
    return outcomes


def _batches(ops: Sequence[Op], size: int) -> Iterator[list[Op]]:
    """Runs of at most ``size`` ops, never two ops on the same link in one run."""
    current: list[Op] = []
    ids: set[str] = set()
    for op in ops:
        if len(current) >= size or op.link_id in ids:
            yield current
            current, ids = [], set()
        current.append(op)
        ids.add(op.link_id)
    if current:
        yield current


def retarget_op(
    roots: Roots,
    link: str,
    version: int | None,
    old_target: str,
    new_target: str,
    record: Repair | Retarget,
    track: Track,
) -> Op:
    """Point ``link`` (relative to the video root) from ``old_target`` at ``new_target``,
    through a temporary name beside it, recording ``record``."""
    path = posixpath.join(roots.video, link)
    lid = str(link_id(link))
    return Op(
        kind="retarget",
        link_id=lid,
        link=link,
        version=version,
        paths=[path],
        before=[old_target],
        after=[new_target],
        record=record,
        run_id=record.run_id,
        track=track,
        tmp=tmp_name(path, lid),
    )


def tmp_name(path: str, link_id: str) -> str:
    """The temporary name a retarget uses next to the link (short, deterministic)."""
    return posixpath.join(posixpath.dirname(path), f".vtq-{link_id[:12]}.tmp")


__all__ = [
    "BATCH",
    "NOT_A_LINK",
    "CorruptJournalError",
    "Guard",
    "Journal",
    "Op",
    "Outcome",
    "Recovery",
    "apply",
    "execute",
    "observe",
    "pending_journals",
    "recover",
    "retarget_op",
    "set_aside",
    "tmp_name",
]
