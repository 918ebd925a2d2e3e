"""Content fingerprints: size plus xxh3_128 over three sampled 64 KiB chunks.

The first, middle and last 64 KiB are hashed (the whole file when it is smaller than the
three chunks), so a file is known in microseconds whatever its size, and a moved,
renamed or copied file keeps its identity. The algorithm name is stored with every
fingerprint so the scheme can evolve.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import xxhash

CHUNK = 64 * 1024
ALGORITHM = "xxh3_128-3x64k-v1"
FULL_ALGORITHM = "xxh3_128-full-v1"
_ADVISE = hasattr(os, "posix_fadvise")


def fingerprint_fd(fd: int, size: int) -> str:
    h = xxhash.xxh3_128()
    if size <= 3 * CHUNK:
        remaining = size
        offset = 0
        while remaining > 0:
            data = os.pread(fd, min(remaining, 1 << 20), offset)
            if not data:
                break
            h.update(data)
            offset += len(data)
            remaining -= len(data)
    else:
        for offset in (0, (size - CHUNK) // 2, size - CHUNK):
            h.update(os.pread(fd, CHUNK, offset))
    return f"{size}:{h.hexdigest()}"


def fingerprint(path: str | bytes | os.PathLike[str]) -> str:
    """The fingerprint of the file at ``path`` (raises OSError when it cannot be read)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        size = os.fstat(fd).st_size
        if _ADVISE:
            # Without this the kernel's readahead reads megabytes around each chunk.
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        result = fingerprint_fd(fd, size)
        if _ADVISE:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        return result
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


def fingerprint_many(
    paths: Iterable[str],
    threads: int = 8,
    on_done: Callable[[int], None] | None = None,
) -> list[tuple[str, str | None, str | None]]:
    """``(path, fingerprint, error)`` for each path, in order; reads overlap in threads
    (a cold disk or a network share serves several reads at once)."""
    items = list(paths)

    def one(path: str) -> tuple[str, str | None, str | None]:
        try:
            return path, fingerprint(path), None
        except OSError as exc:
            return path, None, exc.strerror or str(exc)

    if len(items) < 64 or threads <= 1:
        out = []
        for i, p in enumerate(items):
            out.append(one(p))
            if on_done is not None and i % 256 == 0:
                on_done(i + 1)
        if on_done is not None:
            on_done(len(items))
        return out
    results: list[tuple[str, str | None, str | None]] = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for i, r in enumerate(pool.map(one, items, chunksize=32)):
            results.append(r)
            if on_done is not None and i % 256 == 0:
                on_done(i + 1)
    if on_done is not None:
        on_done(len(items))
    return results
