"""Content fingerprints: size plus xxh3_128 over three sampled 64 KiB chunks.

The first, middle and last 64 KiB are hashed (the whole file when it is smaller than the
three chunks), so a file is known in microseconds whatever its size, and a moved,
renamed or copied file keeps its identity. The algorithm name is stored with every
fingerprint so the scheme can evolve.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

import xxhash

CHUNK = 64 * 1024
ALGORITHM = "xxh3_128-3x64k-v1"
FULL_ALGORITHM = "xxh3_128-full-v1"
_ADVISE = hasattr(os, "posix_fadvise")


_SEEK_HOLES = hasattr(os, "SEEK_DATA") and hasattr(os, "SEEK_HOLE")
_ZEROS = memoryview(bytes(CHUNK))


def fingerprint_fd(fd: int, size: int) -> str:
    h = xxhash.xxh3_128()
    if size <= 3 * CHUNK:
        _hash_range(h, fd, 0, size, size)
    else:
        for offset in (0, (size - CHUNK) // 2, size - CHUNK):
            _hash_range(h, fd, offset, CHUNK, size)
    return f"{size}:{h.hexdigest()}"


def _hash_range(h: xxhash.xxh3_128, fd: int, start: int, length: int, size: int) -> None:
    """Hash ``length`` bytes from ``start`` (fewer if the file ends first), as plain reads
    would see them. The holes of a sparse file are hashed as the zeros they read as,
    without reading them: the kernel would fill and cache a zero page for each 4 KiB
    (sparse files are what the demo library and the benchmarks are made of, and what a
    download in progress often is). A dense file costs two cheap ``lseek`` more per range."""
    end = start + length
    pos = start
    while pos < end:
        stop = end
        if _SEEK_HOLES:
            try:
                data = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError as exc:
                # ENXIO: nothing but a hole up to the end; anything else: no support.
                data = size if exc.errno == errno.ENXIO else pos
            if data > pos:
                gap = min(data, end, size) - pos
                if gap <= 0:
                    return  # the end of the file
                while gap > 0:
                    n = min(gap, CHUNK)
                    h.update(_ZEROS[:n])
                    gap -= n
                    pos += n
                continue
            try:
                stop = min(max(os.lseek(fd, pos, os.SEEK_HOLE), pos + 1), end)
            except OSError:
                stop = end
        data_bytes = os.pread(fd, min(stop - pos, 1 << 20), pos)
        if not data_bytes:
            return  # the file ended early (it shrank)
        h.update(data_bytes)
        pos += len(data_bytes)


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
        return fingerprint_fd(fd, size)
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
    threads: int = 4,
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
    # Work goes out in slices, not one task per file: a thread pool's per-task cost (a
    # future, a lock, a wake-up: ~20 us) is as much as hashing a file from the cache.
    step = max(16, min(256, len(items) // (threads * 4) or 1))
    slices = [items[i : i + step] for i in range(0, len(items), step)]
    results: list[tuple[str, str | None, str | None]] = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for done in pool.map(lambda ps: [one(p) for p in ps], slices):
            results.extend(done)
            if on_done is not None:
                on_done(len(results))
    return results
