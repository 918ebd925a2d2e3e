"""File-name parsing for `import`: guessit plus folder-aware rules.

guessit reads one name well but a library is a tree: the folders above a file carry the best
title and year (``Films/Le Fabuleux Destin d'Amélie Poulain (2001)/amelie.1080p.mkv``), the
season (``Saison 2``, ``Livre III``, ``S01``), the show (``Series/Kaamelott/Livre 1/...``) and
whether a file is an extra (``Sample/``, ``Featurettes/``, ``-trailer``). This module reads the
folders itself (regexes, cached per folder name), then calls guessit once on the file name with
what the folders taught it (type hint, expected title, absolute numbering), then merges.

Public interface (the importer relies on it):

- ``PARSER_NAME``, ``PARSER_VERSION`` (guessit's version plus ``RULES_VERSION``);
- ``parse_name(relpath) -> dict`` with exactly the keys of ``RESULT_KEYS``;
- ``parse_many(relpaths, workers=None) -> list[dict]``, same order, over a process pool.

Bump ``RULES_VERSION`` whenever a rule here changes what a name parses to.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from typing import Any

from videotheque.commands.fingerprint import worker_pool

PARSER_NAME = "guessit"
RULES_VERSION = "vtq1"


def _guessit_version() -> str:
    try:
        return metadata.version("guessit")
    except metadata.PackageNotFoundError:  # pragma: no cover - guessit is a dependency
        return "unknown"


PARSER_VERSION = f"{_guessit_version()}+{RULES_VERSION}"

RESULT_KEYS = ("kind", "title", "year", "season", "episode", "episodes", "extra")

# Below this many names, parse_many stays in-process: a pool's start-up costs more.
POOL_THRESHOLD = 64

# Options every guessit call gets: never read guessit.options.json from $HOME or the cwd.
_BASE_OPTIONS: dict[str, Any] = {"no_user_config": True}

# ---------------------------------------------------------------------------------------------
# Display form of a path (non-UTF-8 names, control characters, NFD from macOS)
# ---------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _decode_component(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        # Names that are not UTF-8 are, in practice, Latin-1/CP1252 from old Windows shares.
        text = raw.decode("cp1252", errors="replace")
    return unicodedata.normalize("NFC", _CONTROL.sub(" ", text)).strip()


def display_components(relpath: str) -> list[str]:
    """The path's components in a readable form: valid str, no surrogates, no control chars."""
    try:
        raw = relpath.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # surrogates that os.fsdecode cannot have produced
        raw = relpath.encode("utf-8", "replace")
    parts = (_decode_component(p) for p in raw.split(b"/"))
    return [p for p in parts if p and p not in (".", "..")]


# ---------------------------------------------------------------------------------------------
# Normalisation helpers
# ---------------------------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Casefolded, accents stripped, punctuation to single spaces: a comparison key."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub(" ", ascii_only).strip()


def _similar(a: str, b: str) -> bool:
    """Whether two titles name the same work (one's words contained in the other's, roughly)."""
    from rapidfuzz import fuzz

    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return False
    if fa.replace(" ", "") == fb.replace(" ", ""):
        return True
    return bool(fuzz.token_set_ratio(fa, fb) >= 85)


_ROMAN = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}


def _number(token: str) -> int | None:
    """An arabic or roman numeral (I..C) as an int."""
    if token.isdigit():
        return int(token)
    low = token.casefold()
    if not low or any(c not in _ROMAN for c in low):
        return None
    total = 0
    for i, c in enumerate(low):
        value = _ROMAN[c]
        if i + 1 < len(low) and _ROMAN[low[i + 1]] > value:
            total -= value
        else:
            total += value
    return total if 0 < total <= 100 else None


def _nice_title(title: str | None) -> str | None:
    if title is None:
        return None
    title = re.sub(r"\s+", " ", title).strip(" -_.,")
    if not title:
        return None
    if title == title.lower() and any(c.isalpha() for c in title):
        # scene names are often lowercase; capitalise words (keeps "ocean's" -> "Ocean's")
        title = " ".join(w[:1].upper() + w[1:] for w in title.split(" "))
    return title


# ---------------------------------------------------------------------------------------------
# Folder rules
# ---------------------------------------------------------------------------------------------

_MOVIE_HINT = {"films", "film", "movies", "movie", "cinema", "films hd", "movies hd", "4k movies"}
_EPISODE_HINT = {
    "series",
    "serie",
    "tv",
    "tv shows",
    "tvshows",
    "shows",
    "television",
    "feuilletons",
    "series tv",
    "tv series",
}
_JUNK = {
    "downloads",
    "download",
    "telechargements",
    "telechargement",
    "incoming",
    "complete",
    "completed",
    "torrents",
    "storage",
    "media",
    "medias",
    "video",
    "videos",
    "anime",
    "animes",
    "animation",
    "a trier",
    "divers",
    "misc",
    "new",
    "nouveau",
    "library",
    "plex",
    "jellyfin",
    "kodi",
    "share",
    "data",
    "nas",
    "public",
    "unsorted",
    "tmp",
    "temp",
    "video ts",
    "bdmv",
    "stream",
    "playlist",
    "certificate",
    "backup",
}
_ANIME_FOLDERS = {"anime", "animes"}

# Extras: Plex/Jellyfin folder names (and French ones) -> our vocabulary.
_EXTRA_FOLDERS = {
    "sample": "sample",
    "samples": "sample",
    "trailer": "trailer",
    "trailers": "trailer",
    "teaser": "trailer",
    "teasers": "trailer",
    "bande annonce": "trailer",
    "bandes annonces": "trailer",
    "featurette": "featurette",
    "featurettes": "featurette",
    "behind the scenes": "behindthescenes",
    "behindthescenes": "behindthescenes",
    "making of": "behindthescenes",
    "coulisses": "behindthescenes",
    "deleted scenes": "deleted",
    "deleted": "deleted",
    "scenes coupees": "deleted",
    "scenes supprimees": "deleted",
    "interview": "interview",
    "interviews": "interview",
    "entretiens": "interview",
    "scenes": "scene",
    "shorts": "short",
    "short": "short",
    "courts metrages": "short",
    "extras": "extra",
    "extra": "extra",
    "bonus": "extra",
    "bonuses": "extra",
    "supplements": "extra",
    "special features": "extra",
    "other": "extra",
    "others": "extra",
}
# Plex's local extras suffixes: "Avatar (2009)-trailer.mkv".
_EXTRA_SUFFIX = re.compile(
    r"[-._ ](trailer|sample|featurette|behindthescenes|deleted|deletedscene|interview|scene"
    r"|short|other|extra)$",
    re.IGNORECASE,
)
_EXTRA_SUFFIX_NAMES = {"deletedscene": "deleted", "other": "extra"}
_SAMPLE_PREFIX = re.compile(r"^sample[-._ ]", re.IGNORECASE)
_TRAILER_PHRASE = re.compile(r"\bbandes? annonces?\b")

_SEASON_WORDS = r"season|saison|series|serie|livre|book|temporada|staffel|stagione"
_SEASON_ONLY = re.compile(
    rf"^(?:(?:{_SEASON_WORDS})[\s._-]*(?P<n1>\d{{1,3}}|[ivxlc]+)|s(?P<n2>\d{{1,3}}))$",
    re.IGNORECASE,
)
_TITLED_SEASON = re.compile(
    rf"^(?P<title>.+?)[\s._-]+(?:(?:{_SEASON_WORDS})[\s._-]*(?P<n1>\d{{1,3}}|[ivxlc]+)"
    rf"|s(?P<n2>\d{{1,3}}))(?:[\s._-]*(?:\(\d{{4}}\)|complete|integrale))?$",
    re.IGNORECASE,
)
_SPECIALS = {"specials", "special", "speciaux", "season 0", "saison 0", "s00", "hors serie"}
_YEAR_ONLY = re.compile(r"^(18|19|20)\d\d$")
_ID_TAG = re.compile(r"\s*[\[{](?:tmdb|tmdbid|imdb|imdbid|tvdb|tvdbid|anidb)[-=][^\]}]*[\]}]", re.I)
_PLEX_FOLDER = re.compile(r"^(?P<title>.+?)\s*[(\[](?P<year>(?:18|19|20)\d\d)[)\]](?P<rest>.*)$")
_COUNTRY = re.compile(r"\s*\((?:US|UK|GB|FR|CA|AU|NZ|BE|CH|QC)\)\s*$")
_SCENE_LIKE = re.compile(
    r"^[^\s]+\.[^\s]+\.[^\s]+$|\b(?:720p|1080p|2160p|x264|x265|h264|bluray)\b", re.I
)


@dataclass(frozen=True, slots=True)
class _Anchor:
    """The folder that names the work: title, maybe year and season, and how sure we are."""

    title: str | None
    year: int | None = None
    season: int | None = None
    strong: bool = False  # "Title (Year)", a scene release folder with a year, a show folder


@dataclass(slots=True)
class _Context:
    """What the folders above a file say about it."""

    anchor: _Anchor | None = None
    season: int | None = None
    extra: str | None = None
    hint: str | None = None  # "movie" | "episode", from Films/, Series/, a season folder
    anime: bool = False


def _season_folder(name: str) -> tuple[int, str | None] | None:
    """``Saison 2`` -> (2, None); ``Twin Peaks Season 2`` -> (2, "Twin Peaks"); else None."""
    key = fold(name)
    if key in _SPECIALS:
        return 0, None
    m = _SEASON_ONLY.match(name.strip()) or _SEASON_ONLY.match(key)
    if m:
        n = _number(m.group("n1") or m.group("n2"))
        return (n, None) if n is not None else None
    m = _TITLED_SEASON.match(name.strip())
    if m:
        n = _number(m.group("n1") or m.group("n2"))
        title = m.group("title").replace(".", " ").replace("_", " ").strip(" -")
        if n is not None and title and fold(title) not in _JUNK | _MOVIE_HINT | _EPISODE_HINT:
            return n, title
    return None


@lru_cache(maxsize=8192)
def _anchor(name: str) -> _Anchor:
    """Parse a folder that names a work (cached: a library has ~20 files per folder)."""
    clean = _ID_TAG.sub("", name).strip()
    m = _PLEX_FOLDER.match(clean)
    if m and not _SCENE_LIKE.search(m.group("title")):
        title = _COUNTRY.sub("", m.group("title")).strip(" -_.")
        if title:
            return _Anchor(title, int(m.group("year")), None, True)
    if _SCENE_LIKE.search(clean):
        g = _guess(clean, {})
        kind = "movie" if g.get("type") == "movie" else "episode"
        scene_title = _alt_joined(g, kind)
        year = _last_int(g.get("year"))
        season = _first_int(g.get("season"))
        if scene_title:
            return _Anchor(scene_title, year, season, year is not None or season is not None)
    return _Anchor(_COUNTRY.sub("", clean).strip(" -_.") or None)


def _context(folders: Sequence[str], stem: str) -> _Context:
    ctx = _Context()
    for name in reversed(folders):
        key = fold(name)
        if (
            ctx.extra is None
            and ctx.anchor is None
            and ctx.season is None
            and key in _EXTRA_FOLDERS
        ):
            ctx.extra = _EXTRA_FOLDERS[key]
            continue
        if key in _ANIME_FOLDERS:
            ctx.anime = True
        if key in _MOVIE_HINT or key in _EPISODE_HINT or key in _JUNK or not key:
            if ctx.hint is None and key in _MOVIE_HINT:
                ctx.hint = "movie"
            elif ctx.hint is None and key in _EPISODE_HINT:
                ctx.hint = "episode"
            continue
        if ctx.anchor is not None:
            continue
        season = _season_folder(name)
        if season is not None:
            if ctx.season is None:
                ctx.season = season[0]
            ctx.hint = "episode"
            if season[1] is not None:
                ctx.anchor = _Anchor(season[1], None, season[0], True)
            continue
        if _YEAR_ONLY.match(key) and not fold(stem).startswith(key):
            continue  # a folder grouping films by year, not a film called "1995"
        anchor = _anchor(name)
        if ctx.season is not None:  # the folder above a season folder is the show
            anchor = _Anchor(anchor.title, anchor.year, ctx.season, True)
        elif anchor.season is not None:  # a scene season pack
            ctx.season = anchor.season
            ctx.hint = "episode"
        ctx.anchor = anchor
    return ctx


# ---------------------------------------------------------------------------------------------
# guessit adapter
# ---------------------------------------------------------------------------------------------


def _guess(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """guessit on one string; never raises (bad input must not abort an import)."""
    from guessit import guessit

    try:
        # a backslash is a character in a POSIX name (AC\DC), a separator to guessit
        return dict(guessit(name.replace("\\", " "), {**_BASE_OPTIONS, **options}))
    except Exception:  # guessit raises its own GuessitException on internal errors
        return {}


def _first_str(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return str(value) if isinstance(value, str) and value.strip() else None


def _first_int(value: Any) -> int | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _last_int(value: Any) -> int | None:
    if isinstance(value, list):
        value = value[-1] if value else None
    return _first_int(value)


def _int_list(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return sorted({int(v) for v in values if isinstance(v, int) and not isinstance(v, bool)})


_EDITION_WORDS = re.compile(
    r"\b(version|restauree?|remaster\w*|director\w*|extended|edition|cut|uncut|unrated|integrale"
    r"|vostfr|vf|vff|vfq|vo|multi|truefrench|french|behindthescenes|trailer|sample|bonus)\b"
)


def _alt_joined(g: dict[str, Any], kind: str) -> str | None:
    """A film's title with its " - Subtitle" put back (guessit splits French titles in two)."""
    title = _first_str(g.get("title"))
    if title is None or kind != "movie":
        return title
    alts = g.get("alternative_title")
    alts = alts if isinstance(alts, list) else [alts] if alts else []
    kept = [
        a for a in alts if isinstance(a, str) and a.strip() and not _EDITION_WORDS.search(fold(a))
    ]
    return " - ".join([title, *kept])


_PART_BEFORE_YEAR = re.compile(
    r"\b(part|partie|vol|volume)[\s._-]*(\d{1,2}|one|two|three|four|five|[ivx]{1,4})\b"
    r"(?=[\s._\-(\[]*(?:18|19|20)\d\d\b)",
    re.IGNORECASE,
)
_TRAILING_SMALL_WORDS = {
    "of", "for", "with", "to", "and", "the", "a", "from", "by", "about", "de", "du", "des", "la",
    "le", "les", "et",
}  # fmt: skip


def _restore_title_words(title: str | None, g: dict[str, Any], stem: str) -> str | None:
    """Put back words guessit took out of a title.

    "Dune.Part.Two.2024": a part/volume before the year belongs to the title (after it, as
    in "Lawrence.of.Arabia.1962.Part1", it is a file split). "the.last.of.us": a title cannot
    end with "of", so the "us" guessit read as a country is the title's last word.
    """
    if title is None:
        return None
    if g.get("part") is not None or g.get("volume") is not None:
        m = _PART_BEFORE_YEAR.search(stem)
        if m and fold(m.group(0)) not in fold(title):
            title = f"{title} {m.group(1).capitalize()} {m.group(2)}"
    words = fold(title).split()
    if g.get("country") is not None and words and words[-1] in _TRAILING_SMALL_WORDS:
        m = re.search(re.escape(fold(title)) + r" (\w+)", fold(stem))
        if m:
            title = f"{title} {m.group(1)}"
    return title


# "Livre III - 15" / "Saison 2 - 05" in a file name: guessit knows neither word.
_WORD_SEASON_EP = re.compile(
    r"\b(?:livre|saison|season|book)[\s._-]*(\d{1,2}|[IVX]+)[\s._-]+(?:-[\s._]*)?(?:ep?[\s.]*)?(\d{1,3})\b",
    re.IGNORECASE,
)
_WORD_SEASON = re.compile(r"\b(?:livre|saison)[\s._-]*(\d{1,2}|[IVX]+)\b", re.IGNORECASE)
_EXPLICIT_SEASON = re.compile(r"(?:\bs\d{1,2}[\s._-]?e\d|\b\d{1,2}x\d{1,3}\b|\bs\d{1,2}\b)", re.I)
_ANIME_STYLE = re.compile(r"^\s*\[[^\]]*\]|\s-\s(?:0\d\d|\d{4})\b")


def _rewrite_seasons(stem: str) -> str:
    def season_ep(m: re.Match[str]) -> str:
        n = _number(m.group(1))
        return m.group(0) if n is None else f"S{n:02d}E{int(m.group(2)):02d}"

    def season(m: re.Match[str]) -> str:
        n = _number(m.group(1))
        return m.group(0) if n is None else f"S{n:02d}"

    return _WORD_SEASON.sub(season, _WORD_SEASON_EP.sub(season_ep, stem))


_VIDEO_EXTENSIONS = {
    "mkv", "mp4", "avi", "m4v", "mov", "wmv", "ts", "m2ts", "webm", "mpg", "mpeg", "vob", "ogm",
    "ogv", "divx", "flv", "3gp", "iso", "rmvb", "mts",
}  # fmt: skip


def _split_ext(filename: str) -> tuple[str, str]:
    """("Heat (1995)", ".mkv"); a known video extension goes even when nothing is left."""
    stem, dot, ext = filename.rpartition(".")
    known = ext.casefold() in _VIDEO_EXTENSIONS
    if dot and (known or (0 < len(ext) <= 5 and ext.isalnum() and stem.strip(". "))):
        return stem, "." + ext
    return filename, ""


def _extra_from_stem(stem: str) -> str | None:
    m = _EXTRA_SUFFIX.search(stem.strip())
    if m:
        word = m.group(1).lower()
        return _EXTRA_SUFFIX_NAMES.get(word, word)
    if _SAMPLE_PREFIX.match(stem) or fold(stem) == "sample":
        return "sample"
    key = fold(stem)
    if key in ("trailer", "teaser") or _TRAILER_PHRASE.search(key):
        return "trailer"
    tokens = key.split()
    if "sample" in tokens[1:]:
        return "sample"
    if "trailer" in tokens[1:] and tokens[-1] in ("trailer", "vf", "vo", "vostfr", "hd", "1080p"):
        return "trailer"
    return None


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


_MAX_SEASON = 999
_MAX_EPISODE = 99_999


def _result(
    kind: str,
    title: str | None,
    year: int | None,
    season: int | None,
    episodes: Iterable[int],
    extra: str | None,
) -> dict[str, Any]:
    # bounds keep absurd numbers out of the catalog (and out of DuckDB INTEGER columns)
    eps = sorted({e for e in episodes if 0 <= e <= _MAX_EPISODE})
    return {
        "kind": kind,
        "title": _nice_title(title),
        "year": year if year is not None and 1870 <= year <= 2100 else None,
        "season": season if season is not None and 0 <= season <= _MAX_SEASON else None,
        "episode": eps[0] if eps else None,
        "episodes": eps,
        "extra": extra,
    }


def parse_name(relpath: str) -> dict[str, Any]:
    """Parse a path relative to the storage root into kind, title, year, season, episodes.

    Never raises: a name the rules cannot handle still gets a result (a film titled after
    the file name), because one odd name must not abort an import.
    """
    try:
        return _parse(relpath)
    except Exception:
        parts = display_components(relpath) or [""]
        return _result("movie", _split_ext(parts[-1])[0].replace(".", " "), None, None, [], None)


def _parse(relpath: str) -> dict[str, Any]:
    parts = display_components(relpath)
    if not parts:
        return _result("movie", None, None, None, [], None)
    filename, folders = parts[-1], parts[:-1]
    stem, ext = _split_ext(filename)
    ctx = _context(folders, stem)
    anchor = ctx.anchor

    extra = ctx.extra or _extra_from_stem(stem)
    explicit_season = bool(_EXPLICIT_SEASON.search(stem)) or bool(_WORD_SEASON.search(stem))
    options: dict[str, Any] = {}
    if ctx.hint == "movie" and ctx.season is None:
        # steers "Blade Runner 2049" away from S20E49; an "episode" hint is not passed on
        # because it makes guessit drop ranges such as "2x07-2x08"
        options["type"] = "movie"
    if anchor is not None and anchor.title and any(c.isdigit() for c in anchor.title):
        # "1917", "9", "Mob Psycho 100", "Blade Runner 2049": numbers guessit would take for a
        # year or an episode. Only then: an expected title also truncates longer file titles.
        options["expected_title"] = [anchor.title]
    if (
        ctx.season is None
        and not explicit_season
        and (ctx.anime or _ANIME_STYLE.search(stem) is not None)
    ):
        options["episode_prefer_number"] = True
    g = _guess(_rewrite_seasons(stem) + ext, options)

    g_kind = "episode" if g.get("type") == "episode" else "movie"
    g_title = _restore_title_words(_alt_joined(g, g_kind), g, stem)
    g_year = _last_int(g.get("year"))
    g_season = _first_int(g.get("season"))
    g_episodes = _int_list(g.get("episode"))

    # Season: an explicit marker in the name, else the folder, else guessit's guess.
    season = g_season if explicit_season and g_season is not None else ctx.season
    if season is None and not (g_season is not None and g_season == g_year):
        season = g_season  # (guessit reads "Show (2011) - 148" as season 2011 when absolute)
    if ctx.season is not None and not explicit_season and g_episodes:
        # "the.office.101.hdtv" in "Season 1/": 101 is S01E01 when it starts with the season
        g_episodes = [e % 100 if e >= 100 and e // 100 == ctx.season else e for e in g_episodes]

    # Kind: extras first; then a season folder; then guessit (steered by the hint).
    kind = "movie"
    if extra is not None:
        kind = "extra"
    elif ctx.season is not None or (
        g_kind == "episode" and (g_episodes or season is not None or "date" in g)
    ):
        kind = "episode"

    # A file named like its folder, with no season: a film called "21" or "9", not episode 21.
    if (
        kind == "episode"
        and season is None
        and ctx.hint != "episode"
        and anchor is not None
        and anchor.title
        and fold(stem) == fold(anchor.title)
    ):
        kind, g_episodes, g_title = "movie", [], anchor.title
    # "1917.mkv": guessit reads a year and no title.
    if (
        kind != "episode"
        and g_title is None
        and g_year is not None
        and fold(stem).startswith(str(g_year))
    ):
        g_title, g_year = str(g_year), None

    # Title and year: a strong folder wins; a weak one wins when it names the same work.
    title, year = g_title, g_year
    if anchor is not None and anchor.title:
        use_anchor = (
            anchor.strong or g_title is None or extra is not None or _similar(anchor.title, g_title)
        )
        if use_anchor:
            # of two names for the same work, the folder's usually has the accents and case,
            # but the file's may be the longer one ("Frieren/Sousou no Frieren - 05.mkv")
            if (
                anchor.strong
                or extra is not None
                or g_title is None
                or len(fold(anchor.title)) >= len(fold(g_title))
            ):
                title = anchor.title
            year = anchor.year if anchor.year is not None else g_year
    if title is None:
        title = re.sub(r"[._]+", " ", stem).strip() or None

    if kind == "movie":
        return _result(kind, title, year, None, [], None)
    return _result(kind, title, year, season, g_episodes, extra)


# ---------------------------------------------------------------------------------------------
# Many names, over all cores
# ---------------------------------------------------------------------------------------------


def _parse_chunk(relpaths: list[str]) -> list[dict[str, Any]]:
    return [parse_name(p) for p in relpaths]


def parse_many(
    relpaths: list[str], workers: int | None = None, pool: Executor | None = None
) -> list[dict[str, Any]]:
    """parse_name over many paths, same order, spread over a process pool.

    Chunks are contiguous runs of the input so that the files of one folder land in one worker
    and share its folder cache. Small inputs stay in-process (a pool costs ~0.3 s to start).
    If the pool cannot start or breaks, the remaining names are parsed in-process. ``pool``:
    a ``fingerprint.worker_pool`` kept over several calls (an import parses in chunks).
    """
    names = list(relpaths)
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    if workers == 1 or len(names) < POOL_THRESHOLD:
        return _parse_chunk(names)
    size = max(16, math.ceil(len(names) / (workers * 8)))
    chunks = [names[i : i + size] for i in range(0, len(names), size)]
    results: list[dict[str, Any]] = []
    try:
        if pool is not None:
            for chunk_result in pool.map(_parse_chunk, chunks):
                results.extend(chunk_result)
        else:
            with worker_pool(min(workers, len(chunks))) as own:
                for chunk_result in own.map(_parse_chunk, chunks):
                    results.extend(chunk_result)
    except (BrokenProcessPool, OSError):
        results.extend(_parse_chunk(names[len(results) :]))
    return results
