"""Content fingerprints: size plus xxh3_128 over three sampled 64 KiB chunks.

The first, middle and last 64 KiB are hashed (the whole file when it is smaller than the
three chunks), so a file is known in microseconds whatever its size, and a moved,
renamed or copied file keeps its identity. The algorithm name is stored with every
fingerprint so the scheme can evolve.
"""

from __future__ import annotations

import ctypes
import errno
import multiprocessing
import multiprocessing.context
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any

import xxhash

CHUNK = 64 * 1024
ALGORITHM = "xxh3_128-3x64k-v1"
FULL_ALGORITHM = "xxh3_128-full-v1"
_ADVISE = hasattr(os, "posix_fadvise")


_SEEK_HOLES = hasattr(os, "SEEK_DATA") and hasattr(os, "SEEK_HOLE")
_ZEROS = memoryview(bytes(CHUNK))


def fingerprint_fd(fd: int, size: int, blocks: int | None = None) -> str:
    """The fingerprint of the open file ``fd`` of ``size`` bytes. ``blocks`` (``st_blocks``)
    says whether it can have holes: a file with a block for every byte is read plainly."""
    if size <= 3 * CHUNK:
        ranges: tuple[tuple[int, int], ...] = ((0, size),)
    else:
        middle = (size - CHUNK) // 2
        ranges = ((0, CHUNK), (middle, middle + CHUNK), (size - CHUNK, size))
    h = xxhash.xxh3_128()
    if not _SEEK_HOLES or (blocks is not None and blocks * 512 >= size):
        for start, end in ranges:
            _read_range(h, fd, start, end)
    else:
        _hash_sparse(h, fd, ranges, size)
    return f"{size}:{h.hexdigest()}"


def _read_range(h: xxhash.xxh3_128, fd: int, start: int, end: int) -> bool:
    """Hash the bytes from ``start`` to ``end`` as read; False when the file ended first."""
    pos = start
    while pos < end:
        data = os.pread(fd, min(end - pos, 1 << 20), pos)
        if not data:
            return False  # the file ended early (it shrank)
        h.update(data)
        pos += len(data)
    return True


def _hash_sparse(
    h: xxhash.xxh3_128, fd: int, ranges: tuple[tuple[int, int], ...], size: int
) -> None:
    """Hash the ranges as plain reads would see them, the holes of a sparse file as the
    zeros they read as, without reading them: the kernel would fill and cache a zero page
    for each 4 KiB (sparse files are what the demo library and the benchmarks are made of,
    and what a download in progress often is). The last hole found is remembered, so a
    file that is one hole after its first block costs two ``lseek`` in all."""
    hole_start = hole_end = 0  # the last hole found: [hole_start, hole_end)
    for start, end in ranges:
        pos = start
        while pos < end:
            if hole_start <= pos < hole_end:
                data = hole_end
            else:
                try:
                    data = os.lseek(fd, pos, os.SEEK_DATA)
                except OSError as exc:
                    if exc.errno != errno.ENXIO:  # no support for holes here: plain reads
                        if not _read_range(h, fd, pos, end):
                            return
                        break
                    data = size  # nothing but a hole up to the end
                if data > pos:
                    hole_start, hole_end = pos, data
            if data > pos:
                stop = min(data, end)
                while pos < stop:
                    n = min(stop - pos, CHUNK)
                    h.update(_ZEROS[:n])
                    pos += n
                continue
            try:
                hole = os.lseek(fd, pos, os.SEEK_HOLE)
            except OSError:
                hole = end
            stop = min(max(hole, pos + 1), end)
            if not _read_range(h, fd, pos, stop):
                return
            pos = stop


def fingerprint(path: str | bytes | os.PathLike[str]) -> str:
    """The fingerprint of the file at ``path`` (raises OSError when it cannot be read)."""
    # O_NONBLOCK: a FIFO put in place of a file after the walk must not hang the import.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", os.fsdecode(path))
        size = st.st_size
        if _ADVISE:
            # Without this the kernel's readahead reads megabytes around each chunk.
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        # The sampled pages stay in the page cache (clean, reclaimable by the kernel): a
        # later import or `check --verify-hash` of the same files then reads no disk.
        return fingerprint_fd(fd, size, st.st_blocks)
    finally:
        os.close(fd)


def full_hash(path: str | bytes | os.PathLike[str], block: int = 4 << 20) -> str:
    """xxh3_128 of the whole file (for bit-rot checks)."""
    h = xxhash.xxh3_128()
    with open(path, "rb", buffering=0) as f:
        if _ADVISE:
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        buf = bytearray(block)
        view = memoryview(buf)
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
    return h.hexdigest()


# Up to this many files are hashed in threads of this process; more in worker processes.
PROCESS_THRESHOLD = 2048
SLICE = 256  # files per task sent to a worker


def _one(path: str) -> tuple[str, str | None, str | None]:
    try:
        return path, fingerprint(path), None
    except OSError as exc:
        return path, None, exc.strerror or str(exc)


def _hash_slice(paths: list[str]) -> list[tuple[str, str | None, str | None]]:
    return [_one(p) for p in paths]


def worker_pool_context() -> multiprocessing.context.BaseContext:
    """How worker processes are started (fingerprints, ``check``'s reads, name parsing).

    fork when this process runs no other thread (the usual case: DuckDB's threads end
    with its connection): the workers start at once, with nothing to import. Otherwise
    forkserver (forking a threaded process can deadlock a child), whose server imports the
    main module once (~0.4 s for the CLI) before it forks the workers."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and _threads() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _worker_init(parent: int | None) -> None:
    """In a worker: Ctrl-C is the parent's to handle (it ends the workers at once), and
    the worker ends with its parent, however the parent ends (``kill -9``, the OOM killer).

    A forked worker would otherwise wait on its queue for ever: it holds a copy of the
    queue's write end, so it never reads an end of file, and copies of every file the
    parent had open, the home's lock among them (every later command would be refused as
    locked, by a pid that no longer exists). ``parent`` is the pid a forked worker must
    have (None for a worker of a fork server, whose server ends with the parent): if it is
    already gone, the worker ends now."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    expected = parent if parent is not None else os.getppid()
    if sys.platform.startswith("linux"):
        try:  # PR_SET_PDEATHSIG (1): the kernel sends SIGKILL when the parent ends
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            _watch_parent(expected)
    else:
        _watch_parent(expected)
    if os.getppid() != expected:  # the parent ended before the line above
        os._exit(1)


def _watch_parent(parent: int) -> None:
    """Where the kernel cannot be asked: look once a second."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def pool_options() -> dict[str, Any]:
    """``ProcessPoolExecutor`` keywords for a pool of workers that end with this process."""
    context = worker_pool_context()
    parent = os.getpid() if context.get_start_method() == "fork" else None
    return {"mp_context": context, "initializer": _worker_init, "initargs": (parent,)}


@contextmanager
def worker_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers never keep the parent waiting when it is interrupted.

    Ctrl-C reaches every process of the terminal's group. A worker of a plain pool takes it
    as the failure of its current task and goes on with the next ones, and the pool's exit
    waits for them all (Ctrl-C took 12 to 22 s to answer during a name parsing). Here the
    workers ignore SIGINT, and when the parent is interrupted (or fails) they are
    terminated and the queued work is dropped: the parent answers at once."""
    pool = ProcessPoolExecutor(workers, **pool_options())
    try:
        yield pool
    except BaseException:
        terminate(pool)
        raise
    pool.shutdown(wait=True)


def terminate(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: queued work dropped, running workers killed (SIGTERM)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.terminate()
        except (OSError, ValueError, AttributeError):
            pass


def _threads() -> int:
    """Threads of this process, native ones included (Linux), else Python's count."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def fingerprint_many(
    paths: Iterable[str],
    threads: int = 4,
    on_done: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> list[tuple[str, str | None, str | None]]:
    """``(path, fingerprint, error)`` for each path, in order.

    Reads overlap (a cold disk or a network share serves several at once), in worker
    processes for many files: hashing from the page cache is CPU work, and threads of one
    process hashing small reads hand the GIL over at every system call (four threads were
    twice as slow as one on 100,000 cached files, four processes twice as fast). A few
    files are hashed in threads: a pool of processes costs ~0.1 s to start. ``workers``
    defaults to the cores, at least ``threads``; if the pool cannot start or breaks, the
    rest is hashed in threads."""
    items = list(paths)
    workers = workers if workers is not None else max(threads, os.cpu_count() or 1)
    if len(items) < PROCESS_THRESHOLD or workers <= 1:
        return _in_threads(items, threads, on_done)
    slices = [items[i : i + SLICE] for i in range(0, len(items), SLICE)]
    results: list[tuple[str, str | None, str | None]] = []
    try:
        with worker_pool(workers) as pool:
            for done in pool.map(_hash_slice, slices):
                results.extend(done)
                if on_done is not None:
                    on_done(len(results))
    except (BrokenProcessPool, OSError):
        rest = _in_threads(items[len(results) :], threads, None)
        results.extend(rest)
        if on_done is not None:
            on_done(len(results))
    return results


def _in_threads(
    items: list[str], threads: int, on_done: Callable[[int], None] | None
) -> list[tuple[str, str | None, str | None]]:
    if len(items) < 64 or threads <= 1:
        out = []
        for i, p in enumerate(items):
            out.append(_one(p))
            if on_done is not None and i % 256 == 0:
                on_done(i + 1)
        if on_done is not None:
            on_done(len(items))
        return out
    # Work goes out in slices, not one task per file: a thread pool's per-task cost (a
    # future, a lock, a wake-up: ~20 us) is as much as hashing a file from the cache.
    step = max(16, min(256, len(items) // (threads * 4) or 1))
    slices = [items[i : i + step] for i in range(0, len(items), step)]
    results: list[tuple[str, str | None, str | None]] = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for done in pool.map(_hash_slice, slices):
            results.extend(done)
            if on_done is not None:
                on_done(len(results))
    return results
