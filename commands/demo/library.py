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
"""

from __future__ import annotations

import os
import random
import struct
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

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

# Apparent size ranges in MiB, by release quality.
_FILM_SIZES: dict[str, tuple[int, int]] = {
    "dvd": (700, 1400),
    "720p": (1100, 4400),
    "1080p": (2000, 7600),
    "2160p": (6000, 8000),
}
_EPISODE_SIZES: dict[str, tuple[int, int]] = {
    "dvd": (200, 400),
    "720p": (500, 1200),
    "1080p": (1100, 2000),
}


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
# The catalogue of the demo (data, not code)


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


_FILMS: tuple[_Film, ...] = (
    _Film(
        "Films/Le Fabuleux Destin d'Amélie Poulain (2001)/"
        "Le.Fabuleux.Destin.d.Amelie.Poulain.2001.FRENCH.1080p.BluRay.x264.mkv",
        "Le Fabuleux Destin d'Amélie Poulain",
        "Le Fabuleux Destin d'Amélie Poulain",
        2001,
        "1080p",
        tmdb=194,
        imdb="tt0211915",
    ),
    _Film(
        "Films/La Haine (1995)/La Haine (1995).avi",
        "La Haine",
        "La Haine",
        1995,
        "dvd",
        tmdb=406,
        imdb="tt0113247",
    ),
    _Film(
        "Films/Intouchables.2011.FRENCH.720p.BluRay.x264.mkv",
        "Intouchables",
        "Intouchables",
        2011,
        "720p",
        tmdb=77338,
        imdb="tt1675434",
    ),
    _Film(
        "Films/Dune (1984)/Dune (1984).mkv",
        "Dune",
        "Dune",
        1984,
        "1080p",
        tmdb=841,
        imdb="tt0087182",
    ),
    _Film(
        "Films/Dune (2021)/Dune (2021).mkv",
        "Dune",
        "Dune",
        2021,
        "2160p",
        tmdb=438631,
        imdb="tt1160419",
    ),
    _Film(
        "Films/The.Matrix.1999.1080p.BluRay.x264.mkv",
        "The Matrix",
        "The Matrix",
        1999,
        "1080p",
        tmdb=603,
        imdb="tt0133093",
    ),
    _Film(
        "Films/Inception (2010)/Inception (2010).mkv",
        "Inception",
        "Inception",
        2010,
        "1080p",
        tmdb=27205,
        imdb="tt1375666",
    ),
    _Film(
        "Films/Léon (1994)/Leon.1994.Version.Longue.FRENCH.1080p.BluRay.x264.mkv",
        "Léon",
        "Léon",
        1994,
        "1080p",
        tmdb=101,
        imdb="tt0110413",
        nfo="movie",
    ),
    _Film(
        "Films/Le Cinquième Élément (1997) {tmdb-18}/Le Cinquième Élément (1997) {tmdb-18}.mkv",
        "Le Cinquième Élément",
        "The Fifth Element",
        1997,
        "1080p",
        tmdb=18,
        imdb="tt0119116",
        nfo="none",
    ),
    _Film(
        "Films/2001 A Space Odyssey (1968)/2001.A.Space.Odyssey.1968.1080p.BluRay.x264.mkv",
        "2001 A Space Odyssey",
        "2001: A Space Odyssey",
        1968,
        "1080p",
        tmdb=62,
        imdb="tt0062622",
    ),
    _Film(
        "Films/1917 (2019)/1917.2019.1080p.WEB-DL.H264.mp4",
        "1917",
        "1917",
        2019,
        "1080p",
        tmdb=530915,
        imdb="tt8579674",
    ),
    _Film(
        "Films/Le Voyage de Chihiro (2001)/Le Voyage de Chihiro (2001).mkv",
        "Le Voyage de Chihiro",
        "千と千尋の神隠し",
        2001,
        "1080p",
        tmdb=129,
        imdb="tt0245429",
    ),
    _Film(
        "Films/Pulp Fiction (1994)/Pulp.Fiction.1994.720p.BluRay.x264.mp4",
        "Pulp Fiction",
        "Pulp Fiction",
        1994,
        "720p",
        tmdb=680,
        imdb="tt0110912",
    ),
    _Film(
        "Films/Blade Runner (1982)/Blade Runner (1982).m4v",
        "Blade Runner",
        "Blade Runner",
        1982,
        "720p",
        tmdb=78,
        imdb="tt0083658",
        nfo="movie",
    ),
    _Film(
        "Films/Blade Runner 2049 (2017)/Blade.Runner.2049.2017.2160p.UHD.BluRay.x265.mkv",
        "Blade Runner 2049",
        "Blade Runner 2049",
        2017,
        "2160p",
        tmdb=335984,
        imdb="tt1856101",
        linked=False,
    ),
    _Film(
        "Films/Retour vers le futur (1985)/Retour.vers.le.futur.1985.FRENCH.DVDRip.XviD.avi",
        "Retour vers le futur",
        "Back to the Future",
        1985,
        "dvd",
        tmdb=105,
        imdb="tt0088763",
    ),
    _Film(
        "Films/Alien (1979)/Alien.1979.Directors.Cut.1080p.BluRay.x264.mkv",
        "Alien",
        "Alien",
        1979,
        "1080p",
        tmdb=348,
        imdb="tt0078748",
    ),
    _Film(
        "Films/The Dark Knight (2008)/The.Dark.Knight.2008.1080p.BluRay.x264.mkv",
        "The Dark Knight",
        "The Dark Knight",
        2008,
        "1080p",
        tmdb=155,
        imdb="tt0468569",
    ),
    _Film(
        "Films/Forrest Gump (1994)/Forrest Gump (1994).mp4",
        "Forrest Gump",
        "Forrest Gump",
        1994,
        "720p",
        tmdb=13,
        imdb="tt0109830",
    ),
    _Film(
        "Films/Le Dîner de cons (1998)/Le Dîner de cons (1998).avi",
        "Le Dîner de cons",
        "Le Dîner de cons",
        1998,
        "dvd",
        nfo="none",
    ),
    _Film(
        "Downloads/Fight.Club.1999.720p.BRRip.x264.mp4",
        "Fight Club",
        "Fight Club",
        1999,
        "720p",
        tmdb=550,
        imdb="tt0137523",
        linked=False,
    ),
    _Film(
        "Downloads/OSS.117.Le.Caire.Nid.D.Espions.2006.FRENCH.DVDRip.XviD.avi",
        "OSS 117 Le Caire, nid d'espions",
        "OSS 117 : Le Caire, nid d'espions",
        2006,
        "dvd",
        nfo="none",
        linked=False,
    ),
)

_EXTRAS: tuple[_Extra, ...] = (
    _Extra("Films/Inception (2010)/Sample/inception-sample.mkv", "Inception", 2010, (20, 20)),
    _Extra("Films/Dune (2021)/Dune (2021)-trailer.mp4", "Dune", 2021, (60, 140)),
)

_SHOWS: tuple[_Show, ...] = (
    _Show(
        "Series/Kaamelott",
        "Kaamelott",
        "Kaamelott",
        2005,
        "dvd",
        (
            _Episode("Livre 1/Kaamelott.S01E01.FRENCH.DVDRip.XviD.avi", 1, (1,)),
            _Episode("Livre 1/Kaamelott.S01E02.FRENCH.DVDRip.XviD.avi", 1, (2,)),
            _Episode("Livre 1/Kaamelott - Livre 1 - 03.avi", 1, (3,)),
            _Episode("Livre 1/Kaamelott - Livre 1 - 04.avi", 1, (4,)),
            _Episode("Livre 2/Kaamelott.S02E01.FRENCH.DVDRip.XviD.avi", 2, (1,)),
        ),
    ),
    _Show(
        "Series/Breaking Bad",
        "Breaking Bad",
        "Breaking Bad",
        2008,
        "720p",
        (
            _Episode("Season 01/Breaking.Bad.S01E01.mkv", 1, (1,)),
            _Episode("Season 01/Breaking.Bad.S01E02.720p.BluRay.x264.mkv", 1, (2,)),
            _Episode("Season 01/Breaking.Bad.S01E03.720p.BluRay.x264.mkv", 1, (3,)),
            _Episode("Season 02/Breaking.Bad.S02E01.720p.BluRay.x264.mkv", 2, (1,), linked=False),
        ),
        tvdb=81189,
        tmdb=1396,
        imdb="tt0903747",
    ),
    _Show(
        "Series/Game of Thrones",
        "Game of Thrones",
        "Game of Thrones",
        2011,
        "1080p",
        (
            _Episode("Saison 1/Game.of.Thrones.S01E01.FRENCH.1080p.BluRay.x264.mkv", 1, (1,)),
            _Episode("Saison 1/Game.of.Thrones.S01E02.FRENCH.1080p.BluRay.x264.mkv", 1, (2,)),
            _Episode("Saison 1/Game.of.Thrones.S01E03.FRENCH.1080p.BluRay.x264.mkv", 1, (3,)),
        ),
        tvdb=121361,
        tmdb=1399,
        imdb="tt0944947",
    ),
    _Show(
        "Series/Friends",
        "Friends",
        "Friends",
        1994,
        "dvd",
        (
            _Episode("Season 01/Friends.S01E01.DVDRip.XviD.avi", 1, (1,)),
            _Episode("Season 01/Friends.S01E16E17.DVDRip.XviD.avi", 1, (16, 17)),
        ),
        tvdb=79168,
        tmdb=1668,
        imdb="tt0108778",
    ),
    _Show(
        "Series/Sherlock",
        "Sherlock",
        "Sherlock",
        2010,
        "720p",
        (
            _Episode("Series 1/Sherlock.S01E01.A.Study.in.Pink.720p.WEB-DL.mp4", 1, (1,)),
            _Episode("Series 1/Sherlock.S01E02.The.Blind.Banker.720p.WEB-DL.mp4", 1, (2,)),
        ),
        tvdb=176941,
        tmdb=19885,
        imdb="tt1475582",
    ),
    _Show(
        "Series/Le Bureau des Légendes",
        "Le Bureau des Légendes",
        "Le Bureau des Légendes",
        2015,
        "720p",
        (
            _Episode("Saison 1/Le.Bureau.des.Legendes.S01E01.FRENCH.720p.WEB.m4v", 1, (1,), False),
            _Episode("Saison 1/Le.Bureau.des.Legendes.S01E02.FRENCH.720p.WEB.m4v", 1, (2,), False),
        ),
        nfo=False,
    ),
)

# A subtitle next to Amélie: a real, small sidecar that import must ignore.
_SUBTITLE = (
    "Films/Le Fabuleux Destin d'Amélie Poulain (2001)/"
    "Le.Fabuleux.Destin.d.Amelie.Poulain.2001.FRENCH.1080p.BluRay.x264.fr.srt",
    "1\n00:00:12,000 --> 00:00:15,500\n"
    "Le 3 septembre 1973, à 18 h 28 min 32 s,\n"
    "une mouche bleue de la famille des Calliphoridae...\n",
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

    for film in _FILMS:
        rel = Path(film.path)
        rng = _rng(seed, rel)
        size = _size(rng, _FILM_SIZES[film.quality])
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

    for extra in _EXTRAS:
        rel = Path(extra.path)
        rng = _rng(seed, rel)
        size = _size(rng, extra.size_mb)
        _write_sparse(storage / rel, size, rng, _mtime(rng))
        files.append(rel)
        media.append(DemoMedia(rel, "extra", extra.title, extra.year, None, (), size, None))

    for show in _SHOWS:
        show_nfo: Path | None = None
        if show.nfo:
            show_nfo = Path(show.folder) / "tvshow.nfo"
            nfo_mtime = _mtime(_rng(seed, show_nfo))
            _write_text(storage / show_nfo, _tvshow_nfo(show), nfo_mtime)
            files.append(show_nfo)
        for ep in show.episodes:
            rel = Path(show.folder) / ep.path
            rng = _rng(seed, rel)
            size = _size(rng, _EPISODE_SIZES[show.quality])
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

    sub_rel, sub_text = Path(_SUBTITLE[0]), _SUBTITLE[1]
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
