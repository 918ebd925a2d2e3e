"""Build the demo library: a realistic home video collection made of sparse files.

The story
---------
Claire and Marc keep their films and series on a NAS at home. Over fifteen years the
``storage/`` share has filled up the way real shares do: DVD rips in AVI from the 2000s,
scene releases dropped straight into ``Films/`` (``The.Matrix.1999.1080p.BluRay.x264.mkv``),
tidy ``Films/Title (Year)/`` folders made by hand, French titles next to English ones
(``Le Fabuleux Destin d'Amélie Poulain``, ``La Haine``, ``Intouchables``), a remake that shares
its title with the original (``Dune (1984)`` and ``Dune (2021)``), titles that look like years
(``2001``, ``1917``), and a ``Downloads/`` folder nobody has sorted. Series follow whatever
the release group or the French box set used: ``Season 01``, ``Saison 1``, ``Livre 1`` for
Kaamelott, ``Series 1`` for Sherlock, and a two-part Friends episode in one file. A sample and
a trailer sit among the films.

Years ago Kodi scraped most of it and left Kodi ``.nfo`` sidecars (``<uniqueid>`` with real
TMDB, TVDB and IMDb ids); a few files never got one, and one folder carries its id in its name
(``{tmdb-18}``), the way Jellyfin and Plex like it.

``video/`` is the tree the media server reads: relative symlinks into ``storage/`` named
``Films/Title (Year)/Title (Year).ext`` and ``Series/Show (Year)/Season 01/Show - S01E02.ext``.
Marc made most of them by hand; the newest downloads, one series and an episode or two were
never linked, which leaves work for ``organize``. ``trash/`` starts empty.

Every media file is sparse: its apparent size is realistic (films 700 MB to 8 GB, episodes
200 MB to 2 GB, the sample 20 MB) but only a fake container header and a few KiB of seeded
bytes at the start, the middle and the end are written, so the whole library takes a few MB on
disk, and each file still has its own content fingerprint (xxh3_128 over the first, middle and
last 64 KiB). Everything (contents, sizes, modification times) is derived from the seed: the
same seed builds the same library, byte for byte. No network access is needed.

The ids in the NFO files are the real TMDB / TVDB / IMDb ids of these works; a series whose
ids were not certain gets an NFO with its title and year only.

The catalogue (films, series and their episodes, extras, size ranges, the subtitle) is data:
``library.json`` beside this module. This module turns it into files.
"""

from __future__ import annotations

import functools
import json
import os
import random
import struct
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DemoLibrary",
    "DemoLink",
    "DemoMedia",
    "build_demo_library",
]

Kind = Literal["movie", "episode", "extra"]

_MB = 1024 * 1024
_BLOCK = 4096  # bytes written at each of the three sampled spots
_MTIME_FROM = int(datetime(2012, 1, 1, tzinfo=UTC).timestamp())
_MTIME_TO = int(datetime(2024, 6, 30, tzinfo=UTC).timestamp())

# ---------------------------------------------------------------------------------------------
# Public result types


@dataclass(frozen=True)
class DemoLink:
    """A symlink of the ``video/`` tree: ``link`` is relative to the video root, ``target`` is
    the storage file it points to, relative to the storage root."""

    link: Path
    target: Path


@dataclass(frozen=True)
class DemoMedia:
    """What a video file of the demo *is*, for checking what the importer makes of it.

    ``path`` is relative to the storage root. ``episodes`` holds one number per episode the
    file contains (two for a double episode); it is empty for movies and extras.
    """

    path: Path
    kind: Kind
    title: str
    year: int | None
    season: int | None
    episodes: tuple[int, ...]
    size: int
    nfo: Path | None


@dataclass(frozen=True)
class DemoLibrary:
    """The library :func:`build_demo_library` made.

    ``files`` lists every created storage file (videos and sidecars), relative to ``storage``,
    sorted; ``media`` describes the video files among them; ``links`` the ``video/`` symlinks.
    """

    root: Path
    storage: Path
    video: Path
    trash: Path
    seed: int
    files: tuple[Path, ...]
    links: tuple[DemoLink, ...]
    media: tuple[DemoMedia, ...]

    @property
    def apparent_size(self) -> int:
        """Sum of the video files' apparent sizes, in bytes."""
        return sum(m.size for m in self.media)


# ---------------------------------------------------------------------------------------------
# The catalogue of the demo: its data is in library.json, beside this module


@dataclass(frozen=True)
class _Film:
    path: str  # relative to storage
    title: str  # title as the NFO and the video/ tree show it
    original_title: str
    year: int
    quality: str
    tmdb: int | None = None
    imdb: str | None = None
    nfo: Literal["same", "movie", "none"] = "same"  # <video stem>.nfo, movie.nfo, or no NFO
    linked: bool = True


@dataclass(frozen=True)
class _Extra:
    path: str
    title: str
    year: int
    size_mb: tuple[int, int]


@dataclass(frozen=True)
class _Episode:
    path: str  # relative to the show's folder
    season: int
    episodes: tuple[int, ...]
    linked: bool = True


@dataclass(frozen=True)
class _Show:
    folder: str  # relative to storage
    title: str
    original_title: str
    year: int
    quality: str
    episodes: tuple[_Episode, ...]
    tvdb: int | None = None
    tmdb: int | None = None
    imdb: str | None = None
    nfo: bool = True


@dataclass(frozen=True)
class _Catalogue:
    film_sizes: dict[str, tuple[int, int]]  # apparent size ranges in MiB, by quality
    episode_sizes: dict[str, tuple[int, int]]
    films: tuple[_Film, ...]
    extras: tuple[_Extra, ...]
    shows: tuple[_Show, ...]
    subtitle: tuple[str, str]  # a real, small sidecar next to Amélie that import ignores


CATALOGUE = "library.json"  # beside this module; installed with the package


@functools.cache
def _catalogue() -> _Catalogue:
    """The films, series, extras and sizes of the demo, from ``library.json``."""
    data = json.loads(resources.files(__package__).joinpath(CATALOGUE).read_text("utf-8"))

    def ranges(table: dict[str, list[int]]) -> dict[str, tuple[int, int]]:
        return {quality: (low, high) for quality, (low, high) in table.items()}

    def show(raw: dict[str, Any]) -> _Show:
        episodes = tuple(
            _Episode(**{**e, "episodes": tuple(e["episodes"])}) for e in raw["episodes"]
        )
        return _Show(**{**raw, "episodes": episodes})

    return _Catalogue(
        film_sizes=ranges(data["sizes_mib"]["film"]),
        episode_sizes=ranges(data["sizes_mib"]["episode"]),
        films=tuple(_Film(**f) for f in data["films"]),
        extras=tuple(_Extra(**{**e, "size_mb": tuple(e["size_mb"])}) for e in data["extras"]),
        shows=tuple(show(s) for s in data["shows"]),
        subtitle=(data["subtitle"]["path"], data["subtitle"]["text"]),
    )


# ---------------------------------------------------------------------------------------------
# Building


def build_demo_library(root: Path, *, seed: int = 7) -> DemoLibrary:
    """Create ``root/storage``, ``root/video`` and ``root/trash`` filled with the demo library.

    Deterministic for a given ``seed``. Refuses with :class:`FileExistsError` when ``root``
    exists and is not an empty directory: the demo never writes into someone's folder.
    """
    root = Path(root)
    _check_root(root)
    storage, video, trash = root / "storage", root / "video", root / "trash"
    for folder in (storage, video, trash):
        folder.mkdir(parents=True)

    files: list[Path] = []
    media: list[DemoMedia] = []
    links: list[DemoLink] = []
    catalogue = _catalogue()

    for film in catalogue.films:
        rel = Path(film.path)
        rng = _rng(seed, rel)
        size = _size(rng, catalogue.film_sizes[film.quality])
        mtime = _mtime(rng)
        _write_sparse(storage / rel, size, rng, mtime)
        files.append(rel)
        nfo: Path | None = None
        if film.nfo != "none":
            nfo = rel.with_suffix(".nfo") if film.nfo == "same" else rel.parent / "movie.nfo"
            xml = _movie_nfo(film)
            _write_text(storage / nfo, xml, mtime + 60)
            files.append(nfo)
        media.append(DemoMedia(rel, "movie", film.title, film.year, None, (), size, nfo))
        if film.linked:
            name = f"{_safe(film.title)} ({film.year})"
            link = Path("Films") / name / f"{name}{rel.suffix}"
            _symlink(video / link, storage / rel, mtime)
            links.append(DemoLink(link, rel))

    for extra in catalogue.extras:
        rel = Path(extra.path)
        rng = _rng(seed, rel)
        size = _size(rng, extra.size_mb)
        _write_sparse(storage / rel, size, rng, _mtime(rng))
        files.append(rel)
        media.append(DemoMedia(rel, "extra", extra.title, extra.year, None, (), size, None))

    for show in catalogue.shows:
        show_nfo: Path | None = None
        if show.nfo:
            show_nfo = Path(show.folder) / "tvshow.nfo"
            nfo_mtime = _mtime(_rng(seed, show_nfo))
            _write_text(storage / show_nfo, _tvshow_nfo(show), nfo_mtime)
            files.append(show_nfo)
        for ep in show.episodes:
            rel = Path(show.folder) / ep.path
            rng = _rng(seed, rel)
            size = _size(rng, catalogue.episode_sizes[show.quality])
            mtime = _mtime(rng)
            _write_sparse(storage / rel, size, rng, mtime)
            files.append(rel)
            media.append(
                DemoMedia(rel, "episode", show.title, show.year, ep.season, ep.episodes, size, None)
            )
            if ep.linked:
                numbers = "-".join(f"E{n:02d}" for n in ep.episodes)
                name = f"{_safe(show.title)} ({show.year})"
                link = (
                    Path("Series")
                    / name
                    / f"Season {ep.season:02d}"
                    / f"{_safe(show.title)} - S{ep.season:02d}{numbers}{rel.suffix}"
                )
                _symlink(video / link, storage / rel, mtime)
                links.append(DemoLink(link, rel))

    sub_rel, sub_text = Path(catalogue.subtitle[0]), catalogue.subtitle[1]
    _write_text(storage / sub_rel, sub_text, _mtime(_rng(seed, sub_rel)))
    files.append(sub_rel)

    return DemoLibrary(
        root=root,
        storage=storage,
        video=video,
        trash=trash,
        seed=seed,
        files=tuple(sorted(files)),
        links=tuple(sorted(links, key=lambda link: link.link)),
        media=tuple(sorted(media, key=lambda m: m.path)),
    )


def _check_root(root: Path) -> None:
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise FileExistsError(f"demo: {root} exists and is not a directory; choose a new path")
    if root.is_dir() and any(root.iterdir()):
        raise FileExistsError(
            f"demo: {root} is not empty; give a new or empty directory "
            "(the demo never writes into an existing library)"
        )


def _rng(seed: int, rel: Path) -> random.Random:
    # One generator per file, seeded by (seed, path): adding a file to the catalogue does not
    # change the others. Seeding with a str is deterministic across runs and platforms.
    return random.Random(f"videotheque-demo:{seed}:{rel.as_posix()}")


def _size(rng: random.Random, range_mb: tuple[int, int]) -> int:
    low, high = range_mb
    return rng.randint(low * _MB, high * _MB + _MB - 1)


def _mtime(rng: random.Random) -> int:
    return rng.randint(_MTIME_FROM, _MTIME_TO)


def _write_sparse(path: Path, size: int, rng: random.Random, mtime: int) -> None:
    """A sparse file of ``size`` bytes with seeded bytes at its start, middle and end.

    Only three blocks are written, so the file takes ~12 KiB on disk whatever its size; the
    fingerprint's three 64 KiB windows each cover one of them.
    """
    head = _container_header(path.suffix.lower(), size)
    head += rng.randbytes(_BLOCK - len(head))
    middle = rng.randbytes(_BLOCK)
    tail = rng.randbytes(_BLOCK)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(head)
        out.seek(size // 2 - _BLOCK // 2)
        out.write(middle)
        out.seek(size - _BLOCK)
        out.write(tail)
        out.truncate(size)
    os.utime(path, (mtime, mtime))


def _container_header(suffix: str, size: int) -> bytes:
    """The first bytes of a container of this kind, enough for `file(1)` to recognise it."""
    if suffix == ".mkv":
        # EBML header with DocType "matroska" (the real first element of a Matroska file).
        body = b"".join(
            (
                b"\x42\x86\x81\x01",  # EBMLVersion 1
                b"\x42\xf7\x81\x01",  # EBMLReadVersion 1
                b"\x42\xf2\x81\x04",  # EBMLMaxIDLength 4
                b"\x42\xf3\x81\x08",  # EBMLMaxSizeLength 8
                b"\x42\x82\x88matroska",  # DocType
                b"\x42\x87\x81\x04",  # DocTypeVersion 4
                b"\x42\x85\x81\x02",  # DocTypeReadVersion 2
            )
        )
        return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(body)]) + body
    if suffix in {".mp4", ".m4v"}:
        brand = b"M4V " if suffix == ".m4v" else b"isom"
        return struct.pack(">I4s4sI", 32, b"ftyp", brand, 0x200) + b"isomiso2avc1mp41"
    if suffix == ".avi":
        riff_size = min(size - 8, 0xFFFFFFFF)
        return b"RIFF" + struct.pack("<I", riff_size) + b"AVI LIST"
    return b""


def _write_text(path: Path, text: str, mtime: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))


def _symlink(link: Path, target: Path, mtime: int) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target, link.parent))
    os.utime(link, (mtime, mtime), follow_symlinks=False)


def _safe(title: str) -> str:
    """A title as a file name: no path separators or characters media servers trip on."""
    for bad, good in ((":", " -"), ("/", "-"), ("?", ""), ("*", ""), ('"', "'")):
        title = title.replace(bad, good)
    return " ".join(title.split())


# ---------------------------------------------------------------------------------------------
# Kodi NFO files


def _movie_nfo(film: _Film) -> str:
    root = ET.Element("movie")
    _elements(root, [("title", film.title), ("originaltitle", film.original_title)])
    _elements(root, [("year", str(film.year))])
    _uniqueids(root, [("tmdb", film.tmdb), ("imdb", film.imdb)])
    return _xml(root)


def _tvshow_nfo(show: _Show) -> str:
    root = ET.Element("tvshow")
    _elements(root, [("title", show.title), ("originaltitle", show.original_title)])
    _elements(root, [("year", str(show.year))])
    _uniqueids(root, [("tvdb", show.tvdb), ("tmdb", show.tmdb), ("imdb", show.imdb)])
    return _xml(root)


def _elements(parent: ET.Element, items: Sequence[tuple[str, str]]) -> None:
    for tag, text in items:
        ET.SubElement(parent, tag).text = text


def _uniqueids(parent: ET.Element, ids: Sequence[tuple[str, int | str | None]]) -> None:
    first = True
    for kind, value in ids:
        if value is None:
            continue
        attrs = {"type": kind, "default": "true"} if first else {"type": kind}
        ET.SubElement(parent, "uniqueid", attrs).text = str(value)
        first = False


def _xml(root: ET.Element) -> str:
    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n{body}\n'
