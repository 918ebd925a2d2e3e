"""Big trees for benchmarks: a storage tree of sparse video files and a video tree of links.

``make_storage_tree`` writes N sparse files (a few GB each, apparent size) in ~5,000
folders, with a distinct mark in each chunk the fingerprint samples (first, middle and
last 64 KiB), so every file has its own fingerprint and a corrupted chunk is noticed.
Only the marked 4 KiB blocks take disk space (~12 KiB a file: ~1.2 GB for 100,000).
``make_link_tree`` mirrors files as symlinks under a video root (relative by default),
some of them broken on purpose. ``make_real_files`` writes files full of data, for what
reads whole files. Used by the ``check`` and ``import`` benchmarks.

    from tests.benchmarks.treegen import make_storage_tree, make_link_tree
    tree = make_storage_tree(tmp / "storage", 100_000)
    links = make_link_tree(tmp / "video", tree, broken=0.02)
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 64 * 1024  # the fingerprint's sampled chunk (commands.fingerprint.CHUNK)
KINDS = ("Films", "Séries", "Documentaires", "Concerts")


@dataclass
class StorageTree:
    root: Path
    files: list[str] = field(default_factory=list)  # relative to root
    folders: int = 0
    apparent_bytes: int = 0
    extras: int = 0  # non-video files (one .nfo per folder by default)


@dataclass
class LinkTree:
    root: Path
    links: list[str] = field(default_factory=list)  # relative to root, all of them
    broken: list[str] = field(default_factory=list)  # those whose target is missing


def marks(size: int) -> tuple[int, int, int]:
    """Offsets of the three sampled chunks of a file of ``size`` bytes."""
    return (0, (size - CHUNK) // 2, size - CHUNK)


def make_storage_tree(
    root: Path,
    count: int,
    folders: int = 5_000,
    min_size: int = 256 << 20,
    max_size: int = 4 << 30,
    extras_per_folder: int = 1,
    seed: int = 0,
    ext: str = "mkv",
) -> StorageTree:
    """``count`` sparse video files spread over ``folders`` folders under ``root``."""
    rng = random.Random(seed)
    tree = StorageTree(root=root)
    folders = max(1, min(folders, count))
    per_folder = -(-count // folders)
    made = 0
    for f in range(folders):
        if made >= count:
            break
        kind = KINDS[f % len(KINDS)]
        year = 1950 + f % 75
        rel_dir = f"{kind}/Collection {f // 100:03d}/Title {f:05d} ({year})"
        folder = root / rel_dir
        folder.mkdir(parents=True, exist_ok=True)
        tree.folders += 1
        for e in range(extras_per_folder):
            (folder / f"extra{e}.nfo").write_bytes(f"<movie>{f}</movie>".encode())
            tree.extras += 1
        for i in range(min(per_folder, count - made)):
            rel = f"{rel_dir}/Title {f:05d} part {i:02d} ({year}).{ext}"
            size = rng.randrange(min_size, max_size) & ~0xFFF
            _sparse(root / rel, size, made)
            tree.files.append(rel)
            tree.apparent_bytes += size
            made += 1
    return tree


def _sparse(path: Path, size: int, n: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.ftruncate(fd, size)
        for k, offset in enumerate(marks(size)):
            os.pwrite(fd, f"vtq-bench file {n:09d} chunk {k}".encode(), offset + 1024)
    finally:
        os.close(fd)


def make_link_tree(
    root: Path,
    tree: StorageTree,
    broken: float = 0.0,
    relative: bool = True,
    seed: int = 0,
) -> LinkTree:
    """One symlink per storage file under ``root`` (same relative layout); a share
    ``broken`` of them point at a name that does not exist."""
    rng = random.Random(seed)
    links = LinkTree(root=root)
    made_dirs: set[str] = set()
    for rel in tree.files:
        link = root / rel
        parent = os.path.dirname(rel)
        if parent not in made_dirs:
            link.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(parent)
        target_abs = tree.root / rel
        is_broken = rng.random() < broken
        if is_broken:
            target_abs = target_abs.with_name("missing " + target_abs.name)
            links.broken.append(rel)
        target = os.path.relpath(target_abs, link.parent) if relative else str(target_abs)
        os.symlink(target, link)
        links.links.append(rel)
    return links


def make_real_files(
    root: Path, count: int, size: int, seed: int = 0, ext: str = "mkv"
) -> StorageTree:
    """``count`` files of ``size`` bytes of data (not sparse) under ``root``: one random
    block repeated, with the file's number at the start of each sampled chunk."""
    rng = random.Random(seed)
    block = rng.randbytes(1 << 20)
    tree = StorageTree(root=root)
    for n in range(count):
        rel = f"Films/Real {n:04d} (2020)/Real {n:04d} (2020).{ext}"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            left = size
            while left > 0:
                f.write(block[: min(left, len(block))])
                left -= len(block)
            for k, offset in enumerate(marks(size)):
                f.seek(offset)
                f.write(f"vtq-real file {n:09d} chunk {k}".encode())
        tree.files.append(rel)
        tree.folders += 1
        tree.apparent_bytes += size
    return tree


def flip_byte(path: Path, offset: int) -> None:
    """Change one byte of ``path`` in place, keeping its mtime (bit rot does)."""
    st = os.stat(path)
    with open(path, "r+b") as f:
        f.seek(offset)
        old = f.read(1) or b"\0"
        f.seek(offset)
        f.write(bytes([old[0] ^ 0xFF]))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


# ---- floors: what the file system costs, measured in the same run --------------------------


def walk_floor(root: Path) -> tuple[float, int]:
    """Seconds for an ``os.scandir`` + stat walk of every entry under ``root``."""
    start = time.perf_counter()
    n = 0
    stack = [os.fspath(root)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                entry.stat(follow_symlinks=False)
                n += 1
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return time.perf_counter() - start, n


def find_broken_floor(root: Path) -> tuple[float, int]:
    """Seconds for ``find ROOT -xtype l`` (broken links), and how many it printed."""
    start = time.perf_counter()
    out = subprocess.run(
        ["find", os.fspath(root), "-xtype", "l"], check=True, capture_output=True
    ).stdout
    return time.perf_counter() - start, out.count(b"\n")


def best_of(n: int, fn: Callable[[], object]) -> float:
    """The fastest of ``n`` timings of ``fn()``, in seconds (warm runs: the best is the
    least disturbed by the rest of the machine)."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
