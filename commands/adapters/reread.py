"""Re-reading catalogued files to verify them (``check --verify-hash``): the sampled
fingerprint of ``commands.adapters.fingerprint`` and, with ``full``, the whole-file hash,
read in a few workers while the caller records what was read.

The items read are the caller's (``check`` passes its ``VerifyTarget`` rows); only their
``path`` (relative to the storage root) is used here, and each comes back in its ``Read``.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from videotheque.commands.adapters.fingerprint import (
    PROCESS_THRESHOLD,
    fingerprint_fd,
    full_hash,
    pool_options,
)

HASH_CHUNK = 128  # paths one hashing task reads


class HasPath(Protocol):
    @property
    def path(self) -> str: ...


T = TypeVar("T", bound=HasPath)


@dataclass
class Read(Generic[T]):
    """What reading one item gave: its fingerprint (and full hash), or why not."""

    target: T
    fingerprint: str | None
    full_hash: str | None
    size: int
    error: str | None


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_ADVISE = hasattr(os, "posix_fadvise")


def _open_regular(path: str) -> tuple[int, int]:
    """An fd on the regular file at ``path`` and its size (a FIFO or a link swapped in
    since the walk is refused, never waited on)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def _read_sampled(path: str) -> tuple[str, None, int]:
    """The sampled fingerprint (``commands.adapters.fingerprint``'s scheme). Unlike an import's
    reads, the pages are left to the kernel's LRU: a check is re-run (a nightly
    ``--oldest N``) and a warm re-read is ten times faster than a cold one; RANDOM advice
    keeps readahead from reading megabytes around each chunk."""
    fd, size = _open_regular(path)
    try:
        if _ADVISE:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        return fingerprint_fd(fd, size), None, size
    finally:
        os.close(fd)


def _read_full(path: str) -> tuple[str, str, int]:
    """The sampled fingerprint and the whole-file hash (the sampled chunks come back from
    the page cache for the full read)."""
    fd, size = _open_regular(path)
    try:
        fp = fingerprint_fd(fd, size)
    finally:
        os.close(fd)
    return fp, full_hash(path), size


def _read_chunk(storage: str, chunk: Sequence[T], full: bool) -> list[Read[T]]:
    read = _read_full if full else _read_sampled
    out: list[Read[T]] = []
    for t in chunk:
        try:
            fp, fh, size = read(f"{storage}/{t.path}")
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            out.append(Read(t, None, None, 0, f"cannot read: {why}"))
            continue
        out.append(Read(t, fp, fh, size, None))
    return out


def reread(storage: str, targets: Sequence[T], full: bool, threads: int) -> Iterator[Read[T]]:
    """Read the targets in a few workers (the disk serves several reads at once) while the
    caller records what was read; results come back in order, a bounded window ahead.

    Sampled reads of many files go to worker processes, as the import's fingerprints do:
    threads hashing cached files hand the GIL over at every system call (30,000 cached
    files on two cores: 10,500 files/s in four threads, 17,500 in one). Whole-file reads
    (``full``) stay in threads: they read megabytes between two system calls. If the
    process pool cannot start or breaks, the rest is read in threads."""
    chunks = [targets[i : i + HASH_CHUNK] for i in range(0, len(targets), HASH_CHUNK)]
    if threads <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield from _read_chunk(storage, chunk, full)
        return
    done = 0
    if not full and len(targets) >= PROCESS_THRESHOLD:
        workers = max(threads, os.cpu_count() or 1)
        try:
            with ProcessPoolExecutor(workers, **pool_options()) as processes:
                for reads in _in_order(processes, storage, chunks, full, workers):
                    done += 1
                    yield from reads
            return
        except (BrokenProcessPool, OSError):
            pass  # the rest in threads
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for reads in _in_order(pool, storage, chunks[done:], full, threads):
            yield from reads


def _in_order(
    pool: Executor,
    storage: str,
    chunks: Sequence[Sequence[T]],
    full: bool,
    workers: int,
) -> Iterator[list[Read[T]]]:
    """Each chunk's reads, in order, with at most ``2 * workers`` chunks in flight."""
    window: deque[Future[list[Read[T]]]] = deque()
    pending = iter(chunks)
    for chunk in pending:
        window.append(pool.submit(_read_chunk, storage, chunk, full))
        if len(window) >= workers * 2:
            break
    while window:
        done = window.popleft().result()
        nxt = next(pending, None)
        if nxt is not None:
            window.append(pool.submit(_read_chunk, storage, nxt, full))
        yield done
