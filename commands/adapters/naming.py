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

The result: ``kind`` (one of ``KINDS``: movie, episode, extra, or other for what is neither
film nor episode), ``title`` (in the case the name writes it), ``year``, ``season`` (the
first of ``seasons``: a season pack lists them all), ``episode`` (the first of
``episodes``), ``extra`` (the extras vocabulary of Plex and Jellyfin), and ``alternatives``:
other readings of a number that is a year or part of a title, ``[{"kind", "title",
"year"}]``, which ``enrich`` tries when the first reading finds no confident match.

How far the rules are from guessit on guessit's own suite, and why, is measured and listed
by tests/unit/test_naming_guessit_suite.py and tests/fixtures/guessit_suite_disagreements.yml.

Names in the layouts Radarr, Sonarr and the media-server guides write are answered first by
``commands/adapters/fastnames.py`` (regexes, no guessit; its answer equals ``_parse``'s, which
``tests/unit/test_fastnames.py`` checks on every labelled name): ``PARSER_VERSION`` names
its version too.

Bump ``RULES_VERSION`` whenever a rule here changes what a name parses to.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from typing import Any

from videotheque.commands.adapters.fastnames import FAST_VERSION, parse_fast
from videotheque.commands.adapters.fingerprint import worker_pool
from videotheque.domain.titles import fold, numeral

PARSER_NAME = "guessit"
# vtq5: "Season 2016/...2016x231"; vtq4: rules measured on Jellyfin's, Sonarr's, Radarr's tests
RULES_VERSION = "vtq5"


def _guessit_version() -> str:
    try:
        return metadata.version("guessit")
    except metadata.PackageNotFoundError:  # pragma: no cover - guessit is a dependency
        return "unknown"


PARSER_VERSION = f"{_guessit_version()}+{RULES_VERSION}+{FAST_VERSION}"

RESULT_KEYS = (
    "kind",
    "title",
    "year",
    "season",
    "episode",
    "episodes",
    "extra",
    "seasons",
    "alternatives",
)
# "kind" is one of these: "other" is what is neither film nor episode (home videos, dated
# clips, camera names, names with no title): kept in the catalog, never identified blindly.
KINDS = ("movie", "episode", "extra", "other")

# Below this many names, parse_many stays in-process: a pool's start-up costs more.
POOL_THRESHOLD = 64

# Options every guessit call gets: never read guessit.options.json from $HOME or the cwd.
_BASE_OPTIONS: dict[str, Any] = {"no_user_config": True}

# ---------------------------------------------------------------------------------------------
# Display form of a path (non-UTF-8 names, control characters, NFD from macOS)
# ---------------------------------------------------------------------------------------------

_WINDOWS_PATH = re.compile(r"^[A-Za-z]:\\")
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
    if _WINDOWS_PATH.match(relpath):  # "D:\\TV\\Show\\..." from a Windows tool
        relpath = relpath[3:].replace("\\", "/")
    try:
        raw = relpath.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # surrogates that os.fsdecode cannot have produced
        raw = relpath.encode("utf-8", "replace")
    parts = (_decode_component(p) for p in raw.split(b"/"))
    return [p for p in parts if p and p not in (".", "..")]


# ---------------------------------------------------------------------------------------------
# Normalisation helpers
# ---------------------------------------------------------------------------------------------


def _same_words(a: str, b: str) -> bool:
    """Same letters and digits, accents included: only case and punctuation differ."""

    def key(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFC", text.casefold()) if c.isalnum())

    return key(a) == key(b)


def _similar(a: str, b: str) -> bool:
    """Whether two titles name the same work (one's words contained in the other's, roughly)."""
    from rapidfuzz import fuzz  # a compiled extension, needed only when folders are compared

    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return False
    if fa.replace(" ", "") == fb.replace(" ", ""):
        return True
    return bool(fuzz.token_set_ratio(fa, fb) >= 85)


_ACRONYM_END = re.compile(r"(?:^|[\s.])(?:\w\.){2,}$")


def _nice_title(title: str | None) -> str | None:
    if title is None:
        return None
    title = re.sub(r"\s+", " ", title).strip(" -_,")
    # the case is the name's, as guessit gives it ("mad men"): the provider's title replaces
    # it once matched. A final dot stays on an acronym ("S.H.I.E.L.D.", "S.W.A.T.").
    keep_dot = _ACRONYM_END.search(title) is not None
    return (title.lstrip(" -_.,") if keep_dot else title.strip(" -_.,")) or None


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
    "clip": "clip",
    "clips": "clip",
    "backdrops": "extra",  # Jellyfin's theme videos
    "bloopers": "extra",
}
# Plex's local extras suffixes: "Avatar (2009)-trailer.mkv", "Avatar (2009) - scene2.mkv".
# A space alone is no separator ("The Big Short", "The Interview", "Not a Scene" are titles)
# but before a word no title ends with ("Heat (1995) Featurette").
_EXTRA_SUFFIX = re.compile(
    r"(?:\s*[-._]\s*|\s+(?=(?:featurette|behindthescenes|deletedscene)\d{0,2}$))"
    r"(trailer|sample|featurette|behindthescenes|deleted|deletedscene|interview"
    r"|scene|short|other|extra|clip)\d{0,2}$",
    re.IGNORECASE,
)
_EXTRA_SUFFIX_NAMES = {"deletedscene": "deleted", "other": "extra"}
# "Inception (2010) - Behind the Scenes.mkv": the spelled-out form of the same kinds.
_EXTRA_PHRASE = re.compile(
    r"\s-\s*(?P<what>behind the scenes|making of|deleted scenes?|featurettes?|interviews?"
    r"|trailer|teaser|bloopers|gag reel)$",
    re.IGNORECASE,
)
_EXTRA_PHRASE_NAMES = {
    "behind the scenes": "behindthescenes",
    "making of": "behindthescenes",
    "deleted scene": "deleted",
    "deleted scenes": "deleted",
    "featurettes": "featurette",
    "interviews": "interview",
    "teaser": "trailer",
    "bloopers": "extra",
    "gag reel": "extra",
}
# Tokens of a scene release name: "x264-SCENE" and "HDTV-TRAILER" end with a release group,
# never with an extras suffix (which follows a clean "Title (Year)").
_RELEASE_TOKENS = re.compile(
    r"\b(?:\d{3,4}[pi]|[xh][ .]?26[45]|hevc|avc|xvid|divx|blu-?ray|brrip|bdrip|web-?dl|web-?rip"
    r"|hdtv|pdtv|dvdrip|dvd|hdrip|remux|aac\d?|ac3|dts|ddp?\d|s\d{1,4}e\d{1,4}|\d{1,2}x\d{2})\b",
    re.IGNORECASE,
)
_SAMPLE_PREFIX = re.compile(r"^sample[-._ ]", re.IGNORECASE)
_TRAILER_PHRASE = re.compile(r"\bbandes? annonces?\b")

# "Season" in the languages the media servers read (Jellyfin's list): a season folder's word.
_SEASON_WORDS = (
    r"season|saison|series|serie|livre|book|temporada|staffel|stagione|saeson|sæson|sasong"
    r"|säsong|seasong|seizoen|kausi|sezonul|sezona|sezóna|sezon|시즌|シーズン|сезон"
)
_SEASON_ONLY = re.compile(
    rf"^(?:(?:{_SEASON_WORDS})[\s._-]*(?P<n1>\d{{1,3}}|(?:19|20)\d\d|[ivxlc]+)|s(?P<n2>\d{{1,4}})"
    r"|(?P<n3>\d{1,2})\.?[\s_-]*staffel)"
    r"(?:[\s._-]*[(\[](?:19|20)\d\d[)\]])?$",  # "Season 7 (2016)", "3. Staffel"
    re.IGNORECASE,
)
_TITLED_SEASON = re.compile(
    rf"^(?P<title>.+?)[\s._-]+(?:(?:{_SEASON_WORDS})[\s._-]*(?P<n1>\d{{1,3}}|[ivxlc]+)"
    rf"|s(?P<n2>\d{{1,3}}))(?:[\s._-]*(?:\(\d{{4}}\)|complete|integrale))?$",
    re.IGNORECASE,
)
_SEASON_ONLY_TAIL = re.compile(
    rf"(?:[\s._-]+(?:(?:{_SEASON_WORDS})[\s._-]*(?:\d{{1,3}}|[ivxlc]+)|s\d{{1,3}}))+$", re.I
)
_SPECIALS = {"specials", "special", "speciaux", "season 0", "saison 0", "s00", "hors serie"}
_YEAR_ONLY = re.compile(r"^(18|19|20)\d\d$")
_ID_TAG = re.compile(r"\s*[\[{](?:tmdb|tmdbid|imdb|imdbid|tvdb|tvdbid|anidb)[-=][^\]}]*[\]}]", re.I)
_PLEX_FOLDER = re.compile(r"^(?P<title>.+?)\s*[(\[](?P<year>(?:18|19|20)\d\d)[)\]](?P<rest>.*)$")
_COUNTRY = re.compile(r"\s*\((?:US|UK|GB|FR|CA|AU|NZ|BE|CH|QC)\)\s*$")
_SCENE_LIKE = re.compile(
    r"^[^\s]+\.[^\s]+\.[^\s]+$|\b(?:720p|1080p|2160p|x264|x265|h264|bluray)\b", re.I
)
# A folder that reads as a release ("Greenberg.REPACK.LiMiTED.DVDRip.XviD-ARROW", "Psych S02
# Season 2 Complete English DVD", "Show - 10x12 - Title [SDTV]"): guessit parses it, and it
# names the work for sure.
_RELEASE_FOLDER = re.compile(
    r"\b(?:\d{3,4}p|[xh]\.?26[45]|hevc|xvid|divx|blu-?ray|br-?rip|bd-?rip|web-?dl|web-?rip|hdtv"
    r"|dvd-?rip|dvdscr|hdrip|remux|s\d{1,4}(?:e\d{1,4})?|season[\s._]*\d{1,2}|\d\s?cds?|cd\s?\d"
    r"|\d{1,2}x\d{2,3})\b",
    re.I,
)
_TRAILING_PARENS = re.compile(r"\s*\((?!(?:18|19|20)\d\d\))[^()]*\)\s*$")
# Names no person wrote: hashes, random ids, reversed release names, camera counters.
_HEXISH = re.compile(r"^[0-9a-f]{16,}$|^[0-9a-z]{6,}(?:-[0-9a-z]{5,}){3,}$", re.I)
_REVERSED_RELEASE = re.compile(r"\b(?:p0801|p027|p0612|462\.?h|\d\dE\d\dS)\b", re.I)
_NUMERIC_ID = re.compile(r"^\d{5,8}[_-]\d{1,3}$")


def _obfuscated(stem: str) -> bool:
    """A file or folder name that says nothing about the work (an obfuscated release)."""
    s = stem.strip()
    if _HEXISH.match(s) or _NUMERIC_ID.match(s) or _REVERSED_RELEASE.search(s):
        return True
    if len(s) >= 16 and re.fullmatch(r"[A-Za-z0-9]+", s):
        # "mxNMuJWeO7PUWCMEwqKSsS6D8Vs9S6V3PHD": long, no separator, case and digits mixed
        changes = sum(1 for a, b in itertools.pairwise(s) if a.isupper() != b.isupper())
        return any(c.isdigit() for c in s) and changes >= len(s) // 4
    return False


@dataclass(frozen=True, slots=True)
class _Anchor:
    """The folder that names the work: title, maybe year and season, and how sure we are."""

    title: str | None
    year: int | None = None
    season: int | None = None
    strong: bool = False  # "Title (Year)", a scene release folder with a year, a show folder
    episodes: tuple[int, ...] = ()  # a release folder of one episode ("Show.S01E02.720p")
    release: bool = False  # a release folder: it names the file inside, whatever that says
    episodic: bool = False  # guessit reads the folder as an episode (a dated show, a pack)
    named: bool = False  # "Title (Year)", the way Plex, Jellyfin and Radarr name a film's folder
    show: bool = False  # the folder above a season folder (a show, not a collection)


@dataclass(slots=True)
class _Context:
    """What the folders above a file say about it."""

    anchor: _Anchor | None = None
    season: int | None = None
    extra: str | None = None
    hint: str | None = None  # "movie" | "episode", from Films/, Series/, a season folder
    anime: bool = False


_CJK_NUMBERS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}
_CJK_SEASON = re.compile(r"^(?P<title>.*?)\s*第\s*(?P<n>\d{1,3}|[一二三四五六七八九十])\s*[季部]$")


def _season_folder(name: str) -> tuple[int, str | None] | None:
    """``Saison 2`` -> (2, None); ``Twin Peaks Season 2`` -> (2, "Twin Peaks"); else None."""
    key = fold(name)
    if key in _SPECIALS:
        return 0, None
    m = _CJK_SEASON.match(name.strip())
    if m:  # "庆余年第二季": the second season of 庆余年
        n_text = m.group("n")
        return (
            int(n_text) if n_text.isdigit() else _CJK_NUMBERS[n_text],
            m.group("title").strip() or None,
        )
    m = _SEASON_ONLY.match(name.strip()) or _SEASON_ONLY.match(key)
    if m:
        n = numeral(m.group("n1") or m.group("n2") or m.group("n3"))
        return (n, None) if n is not None else None
    m = _TITLED_SEASON.match(name.strip())
    if m:
        n = numeral(m.group("n1") or m.group("n2"))
        title = m.group("title").replace(".", " ").replace("_", " ").strip(" -")
        # "How the Universe Works (2010) Season 1 S01": the show's name, not its year or season
        inner = _SEASON_ONLY_TAIL.sub("", title).strip(" -")
        plex = _PLEX_FOLDER.match(inner)
        title = plex.group("title").strip(" -") if plex else inner
        if n is not None and title and fold(title) not in _JUNK | _MOVIE_HINT | _EPISODE_HINT:
            return n, title
    return None


# "The.Matrix.1999.1080p": words of two letters or more joined by dots (not "S.W.A.T.")
_DOTTED_RELEASE = re.compile(r"^\S*\w{2,}\.\w{2,}\.\w{2,}")


def _trim(title: str) -> str:
    """Separators off both ends, but the final dot of an acronym ("S.W.A.T.") kept."""
    title = title.strip(" -_,")
    return title.lstrip(".") if _ACRONYM_END.search(title) else title.strip(" -_.,")


_OLD_YEAR = re.compile(r"[(\[](18[7-9]\d)[)\]]")
_GROUP_TAG = re.compile(r"^\s*\[[^\]]*\]\s*")


@lru_cache(maxsize=8192)
def _anchor(name: str) -> _Anchor:
    """Parse a folder that names a work (cached: a library has ~20 files per folder)."""
    clean = _ID_TAG.sub("", name).strip()
    m = _PLEX_FOLDER.match(clean)
    if (
        m
        and not _DOTTED_RELEASE.search(m.group("title"))
        and not _SCENE_LIKE.search(m.group("title").replace(".", " "))
    ):
        title = _trim(_TRAILING_PARENS.sub("", _COUNTRY.sub("", m.group("title"))))
        if title:
            return _Anchor(title, int(m.group("year")), None, True, named=True)
    release = bool(_RELEASE_FOLDER.search(clean))
    if release or _SCENE_LIKE.search(clean):
        g = _guess(clean, {})
        kind = "movie" if g.get("type") == "movie" else "episode"
        scene_title = _alt_joined(g, kind, clean)
        year = _last_int(g.get("year"))
        season = _first_int(g.get("season"))
        episodes = tuple(_int_list(g.get("episode"))) if season is not None else ()
        if scene_title:
            strong = release or year is not None or season is not None
            episodic = kind == "episode"
            return _Anchor(scene_title, year, season, strong, episodes, release, episodic)
    # "[YuiSubs] Tensura Nikki": a fansub group's tag is no part of the show's name
    untagged = _GROUP_TAG.sub("", clean)
    if not re.search(r"[^\W\d_]{2}", untagged):
        untagged = clean  # "[REC] 2": the brackets are the title's
    title = _trim(_TRAILING_PARENS.sub("", _COUNTRY.sub("", untagged)))
    return _Anchor(title or None)


def _has_alnum(name: str) -> bool:
    return any(c.isalnum() for c in name)


def _context(folders: Sequence[str], stem: str) -> _Context:
    ctx = _Context()
    for folder in reversed(folders):
        # "Movies/7 Psychos.mkv/7 Psychos.mkv": a folder named like the file it holds
        stem, _, ext = folder.rpartition(".")
        name = stem if ext.casefold() in _VIDEO_EXTENSIONS and stem.strip(". ") else folder
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
        if key in _MOVIE_HINT or key in _EPISODE_HINT or key in _JUNK or not _has_alnum(name):
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
        if _obfuscated(name):
            continue  # "XD607ebb-BRc59935-...": the release folder above says what it is
        anchor = _anchor(name)
        if ctx.season is not None:  # the folder above a season folder is the show
            anchor = _Anchor(
                anchor.title, anchor.year, ctx.season, True, show=True, named=anchor.named
            )
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
    from guessit import guessit  # slow to import (rebulk, babelfish): only when parsing

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


def _alt_joined(g: dict[str, Any], kind: str, stem: str) -> str | None:
    """A film's title with its " - Subtitle" put back (guessit splits French titles in two).

    Only a subtitle written before the year is the title's ("Astérix - Mission Cléopâtre
    (2002)"); after the year it is a director, a language or a comment ("Paris 2054,
    Renaissance (2005) - De Christian Volckman"), and without a year nothing says which.
    """
    title = _first_str(g.get("title"))
    if title is None or kind != "movie":
        return title
    year = _first_int(g.get("year"))
    alts = g.get("alternative_title")
    alts = alts if isinstance(alts, list) else [alts] if alts else []
    folded = fold(stem)
    year_at = _word_at(folded, str(year)) if year is not None else -1
    kept = [
        a
        for a in alts
        if isinstance(a, str)
        and a.strip()
        and not _EDITION_WORDS.search(fold(a))
        and 0 <= _word_at(folded, fold(a)) < year_at
    ]
    return " - ".join([title, *kept])


def _word_at(folded: str, words: str) -> int:
    m = re.search(rf"\b{re.escape(words)}\b", folded) if words else None
    return m.start() if m else -1


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
    r"\b(?:livre|saison|season|book)[\s._-]*(\d{1,2}|[IVX]+)"
    r"(?:\s+-\s+|\s+|[\s._-]*ep?[\s.]*)(\d{1,3})\b(?![-&.]\d)",
    re.IGNORECASE,
)  # "Livre III - 15", "Saison 2 05", "Season 1 Ep 3"; never "Season.1-3" or "Season.1.3.4"
_WORD_SEASON = re.compile(r"\b(?:livre|saison)[\s._-]*(\d{1,2}|[IVX]+)\b", re.IGNORECASE)
_EXPLICIT_SEASON = re.compile(
    r"(?:\bs\d{1,4}[\s._-]?e\d|\b(?:\d{1,2}|(?:19|20)\d\d)x\d{1,3}\b|\bs\d{1,2}\b)", re.I
)
_ANIME_STYLE = re.compile(r"^\s*\[[^\]]*\]|\s-\s(?:0\d\d|\d{4})\b")


# "S02E01v2" (a second release of the episode), "S06E01b" (the second half of a split one):
# guessit reads neither as an episode marker.
_MARKER_SUFFIX = re.compile(r"\b(s\d{1,4}e\d{1,4})(?:v\d|[ab])\b", re.IGNORECASE)
# "Show_2018_06_22_Guest": a date written with underscores, which guessit reads as S2018E06.
_DATE_IN_NAME = re.compile(r"(?<![0-9])(?:19|20)\d\d[-._ ]?[01]\d[-._ ]?[0-3]\d(?![0-9])")
_UNDERSCORE_DATE = re.compile(r"(?<![0-9])((?:19|20)\d\d)_([01]\d)_([0-3]\d)(?![0-9])")


# "1x01-x03", "02x03-E15" (a range), "02x03 - x04 - x15" (a list): guessit reads the first
# episode only, or a range one short; written as S..E.. it reads them all.
_CROSS_MULTI = re.compile(
    r"(?<![0-9a-z])(\d{1,4})x(\d{1,3})((?:(?:-|\s*-\s*)[xe]\d{1,3})+)(?![0-9])", re.IGNORECASE
)
_CROSS_MORE = re.compile(r"(\s*-\s*|-)[xe](\d{1,3})", re.IGNORECASE)


def _cross_multi(m: re.Match[str]) -> str:
    more = "".join(
        f"{'-' if sep == '-' else ''}E{int(n):02d}" for sep, n in _CROSS_MORE.findall(m.group(3))
    )
    return f"S{int(m.group(1)):02d}E{int(m.group(2)):02d}{more}"


def _rewrite_seasons(stem: str) -> str:
    def season_ep(m: re.Match[str]) -> str:
        n = numeral(m.group(1))
        return m.group(0) if n is None else f"S{n:02d}E{int(m.group(2)):02d}"

    def season(m: re.Match[str]) -> str:
        n = numeral(m.group(1))
        return m.group(0) if n is None else f"S{n:02d}"

    stem = _UNDERSCORE_DATE.sub(r"\1.\2.\3", _MARKER_SUFFIX.sub(r"\1", stem))
    stem = _CROSS_MULTI.sub(_cross_multi, stem)
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
    plex = _PLEX_FOLDER.match(_ID_TAG.sub("", stem).strip())
    if plex and not plex.group("rest").strip():
        return None  # "Sample (2020)", "Trailer (2020)": a film's own name
    m = _EXTRA_SUFFIX.search(stem.strip())
    if m and not _RELEASE_TOKENS.search(stem[: m.start()]):
        word = m.group(1).lower()
        return _EXTRA_SUFFIX_NAMES.get(word, word)
    m = _EXTRA_PHRASE.search(stem.strip())
    if m and not _RELEASE_TOKENS.search(stem[: m.start()]):
        what = m.group("what").lower()
        return _EXTRA_PHRASE_NAMES.get(what, what)
    if _SAMPLE_PREFIX.match(stem) or fold(stem) == "sample":
        return "sample"
    key = fold(stem)
    if key in ("trailer", "teaser") or _TRAILER_PHRASE.search(key):
        return "trailer"
    tokens = key.split()
    if "sample" in tokens[1:]:
        return "sample"
    if (
        "trailer" in tokens[1:]
        and tokens[-1] in ("trailer", "vf", "vo", "vostfr", "hd", "1080p")
        and not (tokens[-1] == "trailer" and _RELEASE_TOKENS.search(stem))  # "x264-TRAILER"
    ):
        return "trailer"
    return None


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


_MAX_SEASON = 2100  # seasons numbered by year: "Pawn.Stars.S2014E18"
_MAX_EPISODE = 99_999


def _result(
    kind: str,
    title: str | None,
    year: int | None,
    season: int | None,
    episodes: Iterable[int],
    extra: str | None,
    seasons: Iterable[int] = (),
    alternatives: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    # bounds keep absurd numbers out of the catalog (and out of DuckDB INTEGER columns)
    eps = sorted({e for e in episodes if 0 <= e <= _MAX_EPISODE})
    season = season if season is not None and 0 <= season <= _MAX_SEASON else None
    all_seasons = sorted({s for s in seasons if 0 <= s <= _MAX_SEASON})
    if season is not None and season not in all_seasons:
        all_seasons = sorted({season, *all_seasons})
    if season is None:
        all_seasons = []
    return {
        "kind": kind,
        "title": _nice_title(title),
        "year": year if year is not None and 1870 <= year <= 2100 else None,
        "season": all_seasons[0] if all_seasons else None,
        "episode": eps[0] if eps else None,
        "episodes": eps,
        "extra": extra,
        "seasons": all_seasons,
        "alternatives": list(alternatives),
    }


def parse_name(relpath: str) -> dict[str, Any]:
    """Parse a path relative to the storage root into kind, title, year, season, episodes.

    Never raises: a name the rules cannot handle still gets a result (kind "other", titled
    after the file name), because one odd name must not abort an import.
    """
    try:
        return parse_fast(relpath) or _parse(relpath)
    except Exception:
        parts = display_components(relpath) or [""]
        return _result("other", _split_ext(parts[-1])[0].replace(".", " "), None, None, [], None)


# "7 - 12 Angry Men", "2. Infestation", "02-04 - Title", "02": a name that starts with a
# number (or a range), read as the episode in a season folder.
_LEADING_NUMBER = re.compile(r"^\s*(\d{1,3})(?:-(\d{1,3}))?(?=[\s._]|-(?!\d)|$)")
# "S01E01 - Pilot.mkv", "1x01 - Pilot.avi", "01 - Title.mkv": a file named by its episode
# only; the show is the folder's name.
_LEADING_EPISODE = re.compile(
    r"^\s*(?:s\d{1,4}[\s._-]*e\d{1,4}|\d{1,4}x\d{1,3}|e\d{1,4}|ep?[\s.]*\d{1,4}|\d{1,3}(?=\s*[-.]\s))"
    r"(?![0-9])",
    re.IGNORECASE,
)
# Cameras and phones: IMG_1234, VID_20190714_123456, MVI_0042, DSC01234, PXL_2021..., GOPR0042,
# DJI_0001, 20190714_123456 (Samsung), WhatsApp's VID-20190714-WA0001, screen recordings.
_CAMERA_NAME = re.compile(
    r"^(?:(?:img|vid|mov|mvi|dsc[fn]?|pxl|gopr|gp\d\d|gh\d\d|gx\d\d|dji|cimg|sam|wp|mah|hpim"
    r"|pict|p\d{3})[_\- ]?\d{3,}|\d{8}[_-]\d{6}|(?:vid|img)-\d{8}-wa\d+"
    r"|screen[\s_-]?recording|rpreplay|capture[\s_-]?\d)",
    re.IGNORECASE,
)
# "2019-07-14 Vacances Bretagne", "2019_07_14-anniversaire": a date first is a personal clip
# (a dated episode writes its show first: "The.Daily.Show.2019.07.14").
_LEADING_DATE = re.compile(r"^(?:19|20)\d\d[-_. ]?[01]\d[-_. ]?[0-3]\d(?:\b|_)")
_PERSONAL_FOLDERS = {
    "home videos", "home video", "home movies", "videos perso", "videos personnelles",
    "films de famille", "videos de famille", "family videos", "camera roll", "dcim",
    "camera uploads", "whatsapp video", "screen recordings", "screencasts",
}  # fmt: skip
# Folders that usually hold personal clips, but where a film with a year may sit too
# ("Holidays/Home Alone (1990).mkv"): personal only for a name without a year.
_PERSONAL_FOLDERS_WEAK = {
    "camera", "iphone", "android", "gopro", "phone", "telephone", "vacances", "holidays",
    "perso", "personal",
}  # fmt: skip
# What a file is called when nobody named it: "movie.mkv", "video.mp4", "untitled.mov".
_NO_TITLE = {
    "movie", "movies", "video", "videos", "film", "clip", "untitled", "new video", "sans titre",
    "output", "recording", "vid", "episode", "file",
}  # fmt: skip


_COLLECTION = re.compile(
    r"\b(?:trilogy|trilogie|quadrilogy|quadrilogie|saga|collection|anthology|anthologie|coffret"
    r"|box ?set|integrale|complete|duology|pentalogy|hexalogy|films|movies)\b"
)


# the whole name a number ("300"), or a title ending with a year-like number ("Blade.Runner.2049")
_BARE_NUMBER = re.compile(r"^\s*\d{3,4}\s*$|^[^-]*\w[\s._]+(?:19|20)\d\d\s*$")
_EPISODE_WORD = re.compile(r"\b(?:e|ep|episode|episodio|épisode)[\s._-]*\d", re.IGNORECASE)


# guessit's "episode" with no number: a dated show, a bonus, an OVA/ONA, a pack of episodes
_EPISODIC_WITHOUT_NUMBER = {"date", "bonus", "episode_count", "season_count"}
_PACK = re.compile(
    r"\b(?:complete|integrale|l integrale|lintegrale|coffret|miniseries|mini series"
    r"|complete series|series|seasons?|saisons?)\b"
)


def _is_personal(folders: Sequence[str], stem: str, ctx: _Context, year: int | None) -> bool:
    if any(fold(f) in _PERSONAL_FOLDERS for f in folders):
        return True
    if (
        year is None
        and ctx.season is None
        and any(fold(f) in _PERSONAL_FOLDERS_WEAK for f in folders)
    ):
        return True
    if _CAMERA_NAME.match(stem.strip()):
        return True
    return bool(_LEADING_DATE.match(stem.strip()) and ctx.hint != "episode" and ctx.season is None)


_YEAR_IN_TITLE = re.compile(
    r"(?P<head>.+?)\s+(?P<y>(?:19|20)\d\d)|(?P<y2>(?:19|20)\d\d)\s+(?P<tail>.+)"
)


def _alternatives(
    kind: str, title: str | None, year: int | None, stem: str, year_from_file: bool
) -> list[dict[str, Any]]:
    """Other readings of a number that is a year or part of the title.

    "Blade.Runner.2049.mkv" is "Blade Runner" (2049) to guessit, or "Blade Runner 2049";
    "2001.A.Space.Odyssey" is "A Space Odyssey" (2001) or "2001 A Space Odyssey". A year in
    brackets, "(2017)", is never ambiguous. The provider decides
    (see commands/usecases/enricher.py).
    """
    if kind != "movie" or not title:
        return []
    if year is not None and year_from_file:
        y = str(year)
        if re.search(rf"[(\[]\s*{y}\s*[)\]]", stem):
            return []
        folded = fold(stem)
        if not (folded.startswith(y + " ") or folded.endswith(" " + y)):
            return []  # "Heat.1995.1080p", "Blade.Runner.1982.Final.Cut": a year among tokens
        before = _word_at(folded, y) < _word_at(folded, fold(title))
        joined = f"{y} {title}" if before else f"{title} {y}"
        return [{"kind": "movie", "title": joined, "year": None}]
    if year is None:
        m = _YEAR_IN_TITLE.fullmatch(title)
        if m:
            rest = m.group("head") or m.group("tail")
            number = int(m.group("y") or m.group("y2"))
            return [{"kind": "movie", "title": rest, "year": number}]
    return []


def _parse(relpath: str) -> dict[str, Any]:
    parts = display_components(relpath)
    if not parts:
        return _result("other", None, None, None, [], None)
    filename, folders = parts[-1], parts[:-1]
    stem, ext = _split_ext(filename)
    ctx = _context(folders, stem)
    anchor = ctx.anchor

    extra = ctx.extra or _extra_from_stem(stem)
    obfuscated = _obfuscated(stem)
    explicit_season = bool(_EXPLICIT_SEASON.search(stem)) or bool(_WORD_SEASON.search(stem))
    leading_episode = bool(_LEADING_EPISODE.match(stem)) and ctx.hint != "movie"
    options: dict[str, Any] = {}
    if ctx.hint == "movie" and ctx.season is None:
        # steers "Blade Runner 2049" away from S20E49; an "episode" hint is not passed on
        # because it makes guessit drop ranges such as "2x07-2x08"
        options["type"] = "movie"
    if (
        anchor is not None
        and anchor.title
        and not anchor.release
        and any(c.isdigit() for c in anchor.title)
    ):
        # "1917", "9", "Mob Psycho 100", "Blade Runner 2049": numbers guessit would take for a
        # year or an episode. Only then: an expected title also truncates longer file titles.
        options["expected_title"] = [anchor.title]
    if (
        ctx.season is None
        and not explicit_season
        and (ctx.anime or _ANIME_STYLE.search(stem) is not None)
    ):
        options["episode_prefer_number"] = True
    named = _rewrite_seasons(stem)
    if ctx.season is not None and ctx.season >= 1900:
        # "Season 2016/Show - 2016x231.mkv": guessit takes "2016x231" for a screen size; the
        # season folder says it is season 2016, episode 231 (alone, "2048x858" is a size)
        named = re.sub(
            rf"(?<![0-9a-z]){ctx.season}x(\d{{1,3}})(?![0-9])",
            lambda m: f"S{ctx.season}E{int(m.group(1)):02d}",
            named,
            flags=re.IGNORECASE,
        )
    g = _guess(named + ext, options)

    g_kind = "episode" if g.get("type") == "episode" else "movie"
    g_title = _restore_title_words(_alt_joined(g, g_kind, stem), g, stem)
    g_year = _last_int(g.get("year"))
    g_seasons = _int_list(g.get("season"))
    g_season = _first_int(g.get("season"))
    g_episodes = _int_list(g.get("episode"))
    dated = _DATE_IN_NAME.search(stem) if "date" in g and not explicit_season else None
    if dated is not None and not re.search(r"\d", stem[: dated.start()]):
        # "Show.2025.09.01.The.170.Million.Pound.Scam": a dated episode; a number after the
        # date is its title's, no season and episode ("Show.101.Event.2010.11.23" keeps 101)
        g_seasons, g_season, g_episodes = [], None, []
    own = _PLEX_FOLDER.match(_ID_TAG.sub("", stem).strip())
    if own and not own.group("rest").strip() and g_kind == "movie" and extra is None:
        # "Trailer (2020).mkv": the documented "Title (Year)" says exactly what it is
        own_title = _TRAILING_PARENS.sub("", own.group("title")).replace("\\", " ")
        g_title = _trim(own_title) or g_title
        g_year = int(own.group("year"))
    if g_kind == "movie" and g_year is None and not obfuscated:
        # "Movie Name (1897) [DVD]": guessit takes no year before 1900, even in brackets
        old_year = _OLD_YEAR.search(stem)
        if old_year is not None:
            g_year = int(old_year.group(1))
    if obfuscated:
        # "c48db7d2aeb0....mkv" in "Hells.Kitchen.US.S17E08.1080p...": the folder says it all
        g_title, g_year, g_seasons, g_season, g_episodes = None, None, [], None, []
        if anchor is not None and anchor.release:
            g_season = anchor.season
            g_seasons = [anchor.season] if anchor.season is not None else []
            g_episodes = list(anchor.episodes)
            g_kind = "episode" if anchor.season is not None or anchor.episodic else "movie"
            explicit_season = anchor.season is not None
    elif (
        anchor is not None
        and anchor.release
        and anchor.episodes
        and not explicit_season
        and not leading_episode
    ):
        # "Zoo.S02E05.1080p.WEB-DL/160725_02.mkv": the release folder names one episode
        g_season, g_seasons, g_episodes = anchor.season, [anchor.season or 0], list(anchor.episodes)
        explicit_season = True

    # Season: an explicit marker in the name, else the folder, else guessit's guess.
    season = g_season if explicit_season and g_season is not None else ctx.season
    seasons = g_seasons if explicit_season and g_season is not None else []
    if season is None and not (
        g_season is not None and g_season == g_year and options.get("episode_prefer_number")
    ):
        season, seasons = g_season, g_seasons  # ("Show (2011) - 148" is no season 2011)
    leading = _LEADING_NUMBER.match(stem) if ctx.season is not None and extra is None else None
    if leading is not None and anchor is not None and anchor.title:
        show_words = fold(anchor.title).split()
        if leading.group(1) in show_words or str(int(leading.group(1))) in show_words:
            leading = None  # "The 100/Season 2/100 - 201.mkv": the show's number, not the episode
    if leading is not None and not explicit_season:
        # "Season 2/7 - 12 Angry Men.avi", "Season 1/1 Pilot (1080p HD).mkv", "02-04 - x.avi":
        # in a season folder, the number a name starts with is its episode (or range)
        first, last = int(leading.group(1)), int(leading.group(2) or leading.group(1))
        g_episodes = list(range(first, last + 1)) if first <= last else [first]
    elif (
        ctx.season is not None
        and not explicit_season
        and g_season is not None
        and g_season != ctx.season
        and len(g_episodes) == 1
        and re.search(rf"(?<!\d){g_season}{g_episodes[0]:02d}(?!\d)", stem)
    ):
        # "Season 2/Hunter X Hunter - 101.mkv", "Season 21/One Piece 1001.mkv": guessit reads
        # S01E01 and S10E01; a number not starting with the folder's season is the episode's
        g_episodes = [g_season * 100 + g_episodes[0]]
    if ctx.season is not None and not explicit_season and g_episodes:
        # "the.office.101.hdtv" in "Season 1/": 101 is S01E01 when it starts with the season
        g_episodes = [e % 100 if e >= 100 and e // 100 == ctx.season else e for e in g_episodes]

    # "Blade.Runner.2049.mkv", "300.mkv": a bare number guessit reads as S20E49 or S03E00, in
    # a name with nothing else of an episode (no marker, no release tokens, no show folder).
    # "Movie Name (1897) [DVD].mp4": a year in brackets guessit reads as S18E97.
    spelled = f"{g_season}{g_episodes[0]:02d}" if g_season is not None and g_episodes else ""
    bracketed_year = (
        len(g_episodes) == 1
        and _YEAR_ONLY.match(spelled) is not None
        and re.search(rf"[(\[]\s*{spelled}\s*[)\]]", stem) is not None
    )
    if (
        extra is None
        and g_kind == "episode"
        and g_episodes
        and not explicit_season
        and ctx.season is None
        and ctx.hint != "episode"
        and "episode_prefer_number" not in options
        and "date" not in g
        and (bracketed_year or (_BARE_NUMBER.search(stem) and not _RELEASE_TOKENS.search(stem)))
        and not _EPISODE_WORD.search(stem)
    ):
        as_movie = _guess(stem + ext, {**options, "type": "movie"})
        movie_title = _first_str(as_movie.get("title"))
        if movie_title is not None:
            g_kind, g_title, g_year = "movie", movie_title, _last_int(as_movie.get("year"))
            if g_year is None and bracketed_year:
                g_year = int(spelled)
            g_episodes, season, seasons = [], None, []

    # Kind: extras first; then a season folder; then guessit (steered by the hint).
    kind = "movie"
    if extra is not None:
        kind = "extra"
    elif ctx.season is not None or (
        g_kind == "episode"
        and options.get("type") != "movie"
        and (
            g_episodes
            or season is not None
            or _EPISODIC_WITHOUT_NUMBER.intersection(g)
            or ctx.hint == "episode"  # "Series/Baccano!/Baccano!_-_T1_-_Trailer..."
            or _ANIME_STYLE.search(stem) is not None  # "[EveTaku] Kyouso Giga ONA v2"
            or (obfuscated and anchor is not None and anchor.episodic)  # a dated show's release
        )
    ):
        kind = "episode"
    elif g_kind == "episode" and options.get("type") != "movie" and _PACK.search(fold(stem)):
        kind = "episode"  # a pack: "Breaking.Bad.COMPLETE.1080p", "Friends.INTEGRALE"

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
    year_from_file = g_year is not None
    if (
        kind != "episode"
        and g_title is None
        and g_year is not None
        and fold(stem).startswith(str(g_year))
    ):
        g_title, g_year = str(g_year), None

    # Title and year: a strong folder wins; a weak one wins when it names the same work; a
    # folder above a file named by its episode only ("Breaking Bad/S01E01 - Pilot") is the show.
    title, year = g_title, g_year
    if anchor is not None and anchor.title:
        own_name = (
            g_title is not None
            and g_year is not None
            and not anchor.show
            and not anchor.release
            and kind == "movie"
            and (anchor.year != g_year or _COLLECTION.search(fold(anchor.title)) is not None)
            and not _similar(anchor.title, g_title)
        )  # a collection folder above a film that names itself: "(1)The Girl ... (2009)"
        use_anchor = not own_name and (
            anchor.strong
            or g_title is None
            or extra is not None
            or leading_episode
            or _similar(anchor.title, g_title)
        )
        if use_anchor:
            # of two names for the same work, the folder's usually has the accents and case,
            # but the file's may be the longer one ("Frieren/Sousou no Frieren - 05.mkv")
            if g_title is not None and not anchor.named and _same_words(anchor.title, g_title):
                # the same words, spelled differently ("Dexter"/"dexter", "Marvel's"/"Marvels"):
                # the file's, as guessit reads it, unless it is all lowercase
                if g_title == g_title.lower() and anchor.title != anchor.title.lower():
                    title = anchor.title
            elif (
                anchor.strong
                or extra is not None
                or g_title is None
                or leading_episode
                or len(fold(anchor.title)) >= len(fold(g_title))
            ):
                title = anchor.title
            year = anchor.year if anchor.year is not None else g_year
            year_from_file = anchor.year is None and year_from_file
        if leading_episode and kind == "movie" and extra is None and (g_episodes or season):
            kind = "episode"
    if title is None and not obfuscated:
        title = re.sub(r"[._]+", " ", stem).strip() or None

    if extra is None and (
        _is_personal(folders, stem, ctx, year)
        or title is None
        or (kind == "movie" and year is None and fold(title) in _NO_TITLE)
    ):
        # a home video, a dated clip, a camera's name, a file nobody named: not a film
        plain = re.sub(r"[._]+", " ", stem).strip() or title
        return _result("other", plain, None, None, [], None)
    if kind == "movie":
        alternatives = _alternatives(kind, title, year, stem, year_from_file)
        return _result(kind, title, year, None, [], None, alternatives=alternatives)
    return _result(kind, title, year, season, g_episodes, extra, seasons)


# ---------------------------------------------------------------------------------------------
# Many names, over all cores
# ---------------------------------------------------------------------------------------------


def _parse_chunk(relpaths: list[str]) -> list[dict[str, Any]]:
    return [parse_name(p) for p in relpaths]


def parse_many(
    relpaths: list[str],
    workers: int | None = None,
    pool: Executor | None = None,
    on_done: Callable[[int], Any] | None = None,
) -> list[dict[str, Any]]:
    """parse_name over many paths, same order, spread over a process pool.

    Chunks are contiguous runs of the input so that the files of one folder land in one worker
    and share its folder cache. Small inputs stay in-process (a pool costs ~0.3 s to start).
    If the pool cannot start or breaks, the remaining names are parsed in-process. ``pool``:
    a ``fingerprint.worker_pool`` kept over several calls (an import parses in chunks).
    ``on_done(n)`` is told how many names are parsed so far (a progress bar).
    """
    names = list(relpaths)
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    if workers == 1 or len(names) < POOL_THRESHOLD:
        parsed = _parse_chunk(names)
        if on_done is not None:
            on_done(len(parsed))
        return parsed
    size = max(16, math.ceil(len(names) / (workers * 8)))
    chunks = [names[i : i + size] for i in range(0, len(names), size)]
    results: list[dict[str, Any]] = []
    try:
        if pool is not None:
            for chunk_result in pool.map(_parse_chunk, chunks):
                results.extend(chunk_result)
                if on_done is not None:
                    on_done(len(results))
        else:
            with worker_pool(min(workers, len(chunks))) as own:
                for chunk_result in own.map(_parse_chunk, chunks):
                    results.extend(chunk_result)
                    if on_done is not None:
                        on_done(len(results))
    except (BrokenProcessPool, OSError):
        results.extend(_parse_chunk(names[len(results) :]))
        if on_done is not None:
            on_done(len(results))
    return results


# ---- the parser the use cases take by default ---------------------------------------------

# What ``import`` and ``repair-links`` call to read names: paths in, one dict each out.
Parser = Callable[[list[str]], list[dict[str, Any]]]


def default_parser() -> Parser:
    """The parser of ``import`` and ``repair-links`` when none is given. Looked up on this
    module at call time, so a test may swap it (``monkeypatch.setattr(naming, ...)``)."""
    return parse_many


def parser_label() -> str:
    """The name and version recorded with an import's run."""
    return f"{PARSER_NAME} {PARSER_VERSION}"
