"""Walking the storage tree: regular video files, with size and mtime, and what went wrong.

The walk never follows a symlink (so it never leaves the root and cannot loop), skips
non-regular files, remembers folders it could not read (their files must not be taken
for vanished), and keeps going whatever a single entry does.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from videotheque.commands.errors import StorageUnreachableError
from videotheque.domain.paths import display


@dataclass
class ScanError:
    path: str  # relative to the root, stored form
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"path": display(self.path), "reason": self.reason}


@dataclass
class Scan:
    root: str
    files: dict[str, tuple[int, float]] = field(default_factory=dict)  # rel -> (size, mtime)
    errors: list[ScanError] = field(default_factory=list)
    unreadable_dirs: list[str] = field(default_factory=list)  # rel folders not listed
    recent: dict[str, tuple[int, float]] = field(default_factory=dict)  # skipped: too new
    ignored: int = 0  # entries that are not video files
    entries: int = 0  # everything the root holds, video or not

    def is_under_unreadable(self, rel: str) -> bool:
        return any(d == "" or rel == d or rel.startswith(d + "/") for d in self.unreadable_dirs)


def scan_storage(
    root: str,
    extensions: tuple[str, ...],
    min_age: float = 0.0,
    now: float | None = None,
    on_file: Callable[[int], None] | None = None,
) -> Scan:
    """Walk ``root`` (absolute, a str from os.fsdecode) for files with these extensions."""
    suffixes = tuple(sorted({"." + e.lower().lstrip(".") for e in extensions}))
    files: dict[str, tuple[int, float]] = {}
    entries = ignored = 0
    cutoff = (now if now is not None else time.time()) - min_age
    scan = Scan(root=root)
    seen_dirs: set[tuple[int, int]] = set()
    try:
        st = os.stat(root)
        seen_dirs.add((st.st_dev, st.st_ino))
    except OSError:
        pass
    stack: list[str] = [""]
    count = 0
    while stack:
        rel_dir = stack.pop()
        abs_dir = os.path.join(root, rel_dir) if rel_dir else root
        try:
            it = os.scandir(abs_dir)
        except OSError as exc:
            scan.unreadable_dirs.append(rel_dir)
            scan.errors.append(ScanError(rel_dir or ".", f"folder unreadable: {_reason(exc)}"))
            continue
        prefix = rel_dir + "/" if rel_dir else ""
        with it:
            while True:
                try:
                    entry = next(it)
                except StopIteration:
                    break
                except OSError as exc:
                    scan.unreadable_dirs.append(rel_dir)
                    scan.errors.append(
                        ScanError(rel_dir or ".", f"folder listing failed: {_reason(exc)}")
                    )
                    break
                entries += 1
                name = entry.name
                rel = prefix + name
                try:
                    # os.path.splitext's extension, without its cost (100,000s of calls); a
                    # folder or a link named like a video is told apart below.
                    lower = name.lower()
                    if not lower.endswith(suffixes):
                        if entry.is_dir(follow_symlinks=False):
                            _enter(scan, entry, rel, seen_dirs, stack)
                        else:
                            ignored += 1
                        continue
                    if entry.is_symlink():
                        ignored += 1  # never leave the root through a link
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        _enter(scan, entry, rel, seen_dirs, stack)
                        continue
                    if lower[0] == "." and not lower[: lower.rfind(".")].strip("."):
                        ignored += 1  # ".mkv", "..mkv": no name
                        continue
                    est = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    scan.errors.append(ScanError(rel, "vanished during the scan"))
                    continue
                except OSError as exc:
                    scan.errors.append(ScanError(rel, _reason(exc)))
                    continue
                if not stat.S_ISREG(est.st_mode):
                    scan.errors.append(ScanError(rel, f"not a regular file ({_kind(est.st_mode)})"))
                    continue
                # Only with a minimum age: a clock-skewed share dates files in the future,
                # and without --min-age they must not be skipped forever.
                if min_age > 0 and est.st_mtime > cutoff:
                    scan.recent[rel] = (est.st_size, est.st_mtime)
                    continue
                if est.st_size == 0:
                    scan.errors.append(ScanError(rel, "empty file (0 bytes)"))
                    continue
                files[rel] = (est.st_size, est.st_mtime)
                count += 1
                if on_file is not None and count % 1000 == 0:
                    on_file(count)
    scan.files = files
    scan.entries, scan.ignored = entries, ignored
    if on_file is not None:
        on_file(count)
    return scan


def _enter(
    scan: Scan, entry: os.DirEntry[str], rel: str, seen: set[tuple[int, int]], stack: list[str]
) -> None:
    """Walk into a folder (a symlink is never one here: ``is_dir`` does not follow it),
    once: a bind mount that loops back is an error, not an endless walk."""
    est = entry.stat(follow_symlinks=False)
    key = (est.st_dev, est.st_ino)
    if key in seen:
        scan.errors.append(ScanError(rel, "folder loop: already walked"))
        return
    seen.add(key)
    stack.append(rel)


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def check_root(root: str) -> None:
    """Refuse a root that is missing, unreadable or empty: an unmounted share looks like
    that, and importing it would take every file for vanished."""
    shown = display(root)
    if not os.path.exists(root):
        raise StorageUnreachableError(
            f"storage root {shown} does not exist (unmounted share?): nothing recorded"
        )
    if not os.path.isdir(root):
        raise StorageUnreachableError(f"storage root {shown} is not a folder: nothing recorded")
    try:
        with os.scandir(root) as it:
            empty = next(it, None) is None
    except OSError as exc:
        raise StorageUnreachableError(
            f"storage root {shown} is unreadable ({exc.strerror}): nothing recorded"
        ) from exc
    if empty:
        raise StorageUnreachableError(
            f"storage root {shown} is empty (unmounted share?): nothing recorded"
        )
