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

CHUNK = 64 * 1024  # the fingerprint's sampled chunk (commands.adapters.fingerprint.CHUNK)
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


# ---- names in documented layouts (Radarr, Sonarr, Plex/Jellyfin/Kodi guides) ---------------

_EPISODE_TITLES = (
    "Pilot", "The Beginning", "Winter Is Coming", "Ozymandias", "The Rains of Castamere",
    "Nosedive", "Hello, Bandit", "The One Where Ross Finds Out", "Right Place, Wrong Time",
    "Chapter One", "Part 2", "Day 1", "The Long Night", "Who's Who", "Rock & Roll",
    "Mother's Day", "A Study in Pink", "Blink", "The Constant", "San Junipero",
    "Felina", "Fly", "Kiss Kiss, Bang Bang", "Seven Thirty-Seven", "Dead Freight",
    "Le Grand Départ", "La Dame du Lac", "Spider-Man Returns", "Ten Years Later", "Hurt",
)  # fmt: skip
_QUALITIES = ("Bluray-1080p", "WEBDL-1080p", "WEBRip-720p", "HDTV-720p", "Bluray-2160p",
              "DVD", "Remux-2160p", "WEBDL-1080p Proper", "SDTV")  # fmt: skip
_GROUPS = ("NTb", "FLUX", "KiNGS", "SVA", "DIMENSION", "KILLERS", "NTG", "CAKES", "GGEZ",
           "EDITH", "TEPES", "MeGusta", "SiGMA", "playWEB")  # fmt: skip
_SCENE_TAILS = ("1080p.WEB-DL.x264", "720p.HDTV.x264", "2160p.AMZN.WEB-DL.x265",
                "1080p.NF.WEBRip.x264", "1080p.BluRay.x264", "720p.WEB.H264")  # fmt: skip


def _catalogue_titles() -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Real film and show titles (with their years) from the project's matching set."""
    import json

    data = json.loads(
        (Path(__file__).resolve().parents[1] / "fixtures" / "matching_set.json").read_text(
            encoding="utf-8"
        )
    )["catalogue"]
    films = sorted(
        {
            (t, f["year"])
            for f in data["films"]
            if f.get("year")
            for t in {f["title"], *(f.get("translations") or {}).values()}
            if t and "/" not in t and ":" not in t
        }
    )
    shows = sorted(
        {
            (t, s["year"])
            for s in data["series"]
            if s.get("year")
            for t in {s["name"], *(s.get("translations") or {}).values()}
            if t and "/" not in t and ":" not in t
        }
    )
    return films, shows


def documented_names(count: int, seed: int = 0) -> list[str]:
    """``count`` relative paths in the layouts Radarr and Sonarr write by default and the
    Plex, Jellyfin and Kodi guides document, with real titles (digits, accents, commas,
    subtitles included), plus a share of scene-style names. A library's order: the files
    of one folder together."""
    rng = random.Random(seed)
    films, shows = _catalogue_titles()
    names: list[str] = []
    n = 0
    while len(names) < count:
        n += 1
        if rng.random() < 0.45:
            title, year = films[rng.randrange(len(films))]
            q = rng.choice(_QUALITIES)
            layout = rng.randrange(6)
            if layout == 0:  # Radarr default
                names.append(f"Films/{title} ({year})/{title} ({year}) {q}.mkv")
            elif layout == 1:  # Plex / Jellyfin guide
                names.append(f"Movies/{title} ({year})/{title} ({year}).mkv")
            elif layout == 2:  # Kodi, flat
                names.append(f"Movies/{title} ({year}).{rng.choice(('mkv', 'mp4', 'avi'))}")
            elif layout == 3:
                names.append(f"{title} ({year})/{title} ({year}) {q}.mp4")
            elif layout == 4:  # Plex extras beside the film
                names.append(f"Movies/{title} ({year})/{title} ({year})-trailer.mkv")
            else:  # a scene release kept as downloaded
                dotted = title.replace(" ", ".")
                tail = rng.choice(_SCENE_TAILS)
                names.append(f"Films/{dotted}.{year}.{tail}-{rng.choice(_GROUPS)}.mkv")
            continue
        show, year = shows[rng.randrange(len(shows))]
        layout = rng.randrange(6)
        season = rng.randrange(1, 8)
        episodes = rng.randrange(4, 13)
        with_year = layout in (0, 3)
        name = f"{show} ({year})" if with_year else show
        root = rng.choice(("Series", "TV", "TV Shows", "Shows"))
        sfolder = f"Season {season:02d}" if layout != 1 else f"Season {season}"
        for e in range(1, episodes + 1):
            if len(names) >= count:
                break
            code = f"S{season:02d}E{e:02d}"
            if e == episodes and rng.random() < 0.2:
                code += rng.choice((f"-E{e + 1:02d}", f"E{e + 1:02d}"))
            ep_title = rng.choice(_EPISODE_TITLES)
            q = rng.choice(_QUALITIES)
            if layout in (0, 1):  # Sonarr default "Standard" format
                names.append(f"{root}/{name}/{sfolder}/{name} - {code} - {ep_title} {q}.mkv")
            elif layout == 2:  # Plex guide
                names.append(f"{root}/{name}/{sfolder}/{name} - {code.lower()}.mkv")
            elif layout == 3:  # Jellyfin guide
                names.append(f"{root}/{name}/{sfolder}/{name} {code}.mkv")
            elif layout == 4:  # scene names in a season folder
                dotted = show.replace(" ", ".")
                tail = rng.choice(_SCENE_TAILS)
                names.append(
                    f"{root}/{name}/{sfolder}/{dotted}.{code}.{tail}-{rng.choice(_GROUPS)}.mkv"
                )
            else:  # scene names, flat
                dotted = show.replace(" ", ".")
                tail = rng.choice(_SCENE_TAILS)
                names.append(f"{root}/{dotted}.{code}.{tail}-{rng.choice(_GROUPS)}.mkv")
    return names
