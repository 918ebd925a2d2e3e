"""A fast path for the names most libraries have: the layouts Radarr, Sonarr and the
Plex / Jellyfin / Kodi naming guides write.

``parse_fast(relpath)`` answers with the same dict as the full parse
(``adapters.naming.parse_name``: guessit plus folder-aware rules), or ``None`` when the name
is not in one of these shapes, and the full parse then reads it. It is strict on purpose:
regexes anchored on whole path components, titles without digits (a number can be a year,
an episode or part of the title), no word guessit gives a meaning to (languages, sources,
editions, countries...), no extras word anywhere. What it does not recognise exactly it
leaves to guessit. ``tests/unit/test_fastnames.py`` runs both parsers over every labelled
name the project has and asserts that wherever the fast path answers, the answers are equal.

The shapes (``QUALITY`` is Sonarr/Radarr's "Quality Full", e.g. ``Bluray-1080p``,
``WEBDL-720p Proper``; extensions ``mkv``, ``mp4``, ``avi``, ``m4v``):

- film in its folder: ``[Films/]Title (2010)/Title (2010)[ QUALITY].mkv``
- film alone: ``[Films/]Title (2010)[ QUALITY].mkv``
- episode in a season folder: ``[Series/]Show[ (2008)]/Season 01|Saison 1|Specials/`` then
  ``Show[ (2008)] - S01E01[-E02|E02][ - Episode Title][ QUALITY].mkv`` or the scene form
  ``Show.S01E01.1080p.WEB-DL.x264-GROUP.mkv``
- scene episode alone: ``[Series/]Show.Name.S01E01[E02].1080p.WEB-DL.x264-GROUP.mkv``

Bump ``FAST_VERSION`` whenever a shape here changes what it accepts.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import Any

from videotheque.domain.titles import fold

FAST_VERSION = "fast3"  # fast3: season words of more languages leave a name to the full parse

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\]")
_EXTENSION = re.compile(r"^(?P<stem>.+)\.(?:mkv|mp4|avi|m4v|MKV|MP4|AVI|M4V)$")

# A title read off a folder or a file: letters, spaces and a little punctuation, starting with
# a letter; no digit, dot, bracket or underscore (those are where the full parse's rules and
# guessit's guesses begin).
_WORD = r"[^\W\d_]+(?:['’-][^\W\d_]+)*[,!]?"
_TITLE = rf"{_WORD}(?:(?: | & | - ){_WORD})*"
_YEAR = r"(?:18[7-9]\d|19\d\d|20\d\d)"
_QUALITY = (
    r"(?:Bluray|WEBDL|WEBRip|HDTV|DVD|SDTV|Remux)(?:-(?:480|576|720|1080|2160)p)?"
    r"(?: Proper)?"
)
_TITLE_YEAR = re.compile(rf"^(?P<title>{_TITLE}) \((?P<year>{_YEAR})\)$")
_FILM_FILE = re.compile(rf"^(?P<title>{_TITLE}) \((?P<year>{_YEAR})\)(?: {_QUALITY})?$")
_SHOW_FOLDER = re.compile(rf"^(?P<title>{_TITLE})(?: \((?P<year>{_YEAR})\))?$")
_SEASON_FOLDER = re.compile(r"^(?:(?:Season|Saison) (?P<n>\d{1,2})|Specials)$")
_MARKER = r"[Ss](?P<s>\d{2})[Ee](?P<e>\d{2,3})(?P<more>(?:-?[Ee]\d{2,3}){0,2})"
_SONARR_FILE = re.compile(
    rf"^(?:(?P<show>{_TITLE})(?: \((?P<year>{_YEAR})\))?(?: - | ))?{_MARKER}"
    rf"(?: - (?P<episode_title>{_TITLE}))?(?: {_QUALITY})?$"
)
_SCENE_TAIL = (
    r"(?:\.(?:480p|576p|720p|1080p|2160p|WEB-DL|WEBRip|WEB|HDTV|BluRay|x264|x265|H264|HEVC"
    r"|AMZN|NF|DSNP|ATVP|HULU|PROPER|REPACK))+"
)
_SCENE_FILE = re.compile(
    rf"^(?P<show>[^\W\d_]+(?:\.[^\W\d_]+)*)\.{_MARKER}{_SCENE_TAIL}(?:-(?P<group>[A-Za-z][A-Za-z0-9]+))?$"
)
_MORE = re.compile(r"(-?)[Ee](\d{2,3})")

_MOVIE_FOLDERS = {"films", "film", "movies", "movie"}
_SHOW_FOLDERS = {"series", "serie", "tv", "tv shows", "tvshows", "shows"}
# Words that make a name an extra, a personal video or a season folder in one rule or
# another (ours or a media server's): a name holding one is left to the full parse.
_DOUBT_WORDS = {
    "trailer", "trailers", "teaser", "teasers", "sample", "samples", "featurette",
    "featurettes", "behindthescenes", "behind", "deleted", "deletedscene", "deletedscenes",
    "interview", "interviews", "scene", "scenes", "short", "shorts", "other", "others",
    "extra", "extras", "bonus", "bonuses", "supplements", "bande", "bandes", "annonce",
    "annonces", "making", "coulisses", "entretiens", "special", "specials", "features",
    "season", "saison", "series", "serie", "livre", "book", "temporada", "staffel",
    "stagione", "saeson", "sasong", "seasong", "seizoen", "kausi", "sezon", "sezona",
    "sezonul", "сезон", "시즌", "シーズン", "anime", "animes", "home", "perso", "personal",
    "camera", "phone", "dcim",
    "vacances", "holiday", "holidays", "family", "famille", "clip", "clips", "img", "vid",
    "mov", "dsc", "gopro", "video", "videos", "part", "partie", "vol", "volume", "chapter",
    "episode", "ep", "complete", "integrale", "collection", "trilogy", "saga", "pack",
}  # fmt: skip
# Words guessit has no meaning for however they are placed, though its configuration lists
# them (in longer patterns): kept in titles guessit reads.
_SAFE_WORDS = {
    "a", "an", "and", "the", "of", "to", "with", "for", "from", "after", "before", "all",
    "in", "into", "on", "onto", "over", "under", "at", "as", "by", "if", "its", "my", "not",
    "now", "own", "life", "land", "know", "open", "end", "art", "air", "fight", "free",
    "high", "low", "kids", "kitchen", "music", "planet", "song", "son", "sun", "west",
    "east", "coast", "club", "clear", "straight", "getting", "war", "star", "le", "la",
    "les", "des", "du", "de", "et", "sur",
}  # fmt: skip
# Names guessit reads as languages or countries (its allowed ones), and other words it
# takes out of a title.
_GUESSIT_WORDS = {
    "english", "french", "german", "spanish", "italian", "dutch", "polish", "portuguese",
    "russian", "swedish", "hungarian", "hindi", "japanese", "korean", "hebrew", "czech",
    "catalan", "norwegian", "romanian", "telugu", "ukrainian", "brazilian", "flemish",
    "en", "eng", "fr", "fre", "fra", "de", "ger", "deu", "es", "spa", "it", "ita", "nl",
    "nld", "dut", "pl", "pol", "pt", "por", "ru", "rus", "sv", "swe", "hu", "hun", "hi",
    "hin", "ja", "jpn", "ko", "kor", "he", "heb", "cs", "cze", "ces", "ca", "cat", "no",
    "nor", "ro", "ron", "rum", "te", "tel", "uk", "ukr", "und", "mul", "multi", "vo",
    "vost", "vostfr", "truefrench", "us", "usa", "gb", "au", "america", "australia",
    "britain", "kingdom", "united", "states", "dc", "hd", "sd", "dvd", "web", "rip",
    "bluray", "hdtv", "remux", "proper", "repack", "cut", "edition", "extended",
    "uncut", "unrated", "remastered", "imax", "limited", "internal", "final", "pilot",
    "unaired", "fansub", "sub", "subs", "dub", "dubbed", "i", "ii", "iii", "iv", "v",
    "vi", "vii", "viii", "ix", "x", "xi", "xii", "l", "c", "d", "m", "xxx",
}  # fmt: skip


def parse_fast(relpath: str) -> dict[str, Any] | None:
    """The parse of a name in a documented layout, or None (then ask the full parse)."""
    if _CONTROL.search(relpath):
        return None
    try:
        relpath.encode("utf-8")
    except UnicodeEncodeError:  # a non-UTF-8 name (surrogate escapes): the full parse decodes
        return None
    if not relpath.isascii() and not unicodedata.is_normalized("NFC", relpath):
        return None
    parts = relpath.split("/")
    if any(not p or p != p.strip() or p in (".", "..") for p in parts):
        return None
    m = _EXTENSION.match(parts[-1])
    if m is None:
        return None
    stem, folders = m.group("stem"), parts[:-1]
    in_season = len(folders) >= 2 and _SEASON_FOLDER.match(folders[-1]) is not None
    plain = folders[:-1] if in_season else folders
    if any(not _plain_folder(f) for f in plain) or _has_doubt(stem):
        return None
    if in_season:
        return _in_season_folder(stem, folders)
    if folders and (t := _TITLE_YEAR.match(folders[-1])) is not None:
        return _film_in_folder(stem, t, folders[:-1])
    if all(fold(f) in _MOVIE_FOLDERS for f in folders):
        film = _film_alone(stem)
        if film is not None:
            return film
    if all(fold(f) in _SHOW_FOLDERS for f in folders):
        return _scene_alone(stem)
    return None


# --- the shapes --------------------------------------------------------------------------------


def _film_in_folder(stem: str, folder: re.Match[str], above: list[str]) -> dict[str, Any] | None:
    f = _FILM_FILE.match(stem)
    if f is None or f.group("year") != folder.group("year"):
        return None
    title = folder.group("title")
    if fold(f.group("title")) != fold(title) or not _good_title(title):
        return None
    if not all(fold(a) not in _SHOW_FOLDERS for a in above):
        return None  # a film in a TV folder: the full parse lets guessit decide the kind
    return _film(title, int(folder.group("year")))


def _film_alone(stem: str) -> dict[str, Any] | None:
    f = _FILM_FILE.match(stem)
    if f is None or " - " in f.group("title"):
        return None
    title, year = f.group("title"), int(f.group("year"))
    if not _good_title(title) or not _guessit_keeps(title):
        return None
    if not 1910 <= year <= 2030:  # guessit takes 1900-2034 for a year; well inside that
        return None
    return _film(title, year)


def _in_season_folder(stem: str, folders: list[str]) -> dict[str, Any] | None:
    show = _SHOW_FOLDER.match(folders[-2])
    if show is None or not _good_title(show.group("title")):
        return None
    if any(fold(a) in _MOVIE_FOLDERS for a in folders[:-2]):
        return None  # a season in a films folder: not a shape the guides write
    number = _SEASON_FOLDER.match(folders[-1]).group("n")  # type: ignore[union-attr]
    season = int(number) if number is not None else 0  # Sonarr's "Specials" is season 0
    f = _SONARR_FILE.match(stem)
    if f is not None:
        if f.group("show") is not None and (
            not _same_words(f.group("show"), show.group("title"))
            or f.group("year") != show.group("year")
        ):
            return None
        if f.group("episode_title") is not None and not _good_title(f.group("episode_title")):
            return None
    else:
        f = _SCENE_FILE.match(stem)
        if f is None or not _same_words(f.group("show"), show.group("title")):
            return None
        if not _good_group(f.group("group")):
            return None
    if int(f.group("s")) != season:
        return None
    episodes = _episodes(f)
    if episodes is None:
        return None
    year = show.group("year")
    return _episode(show.group("title"), int(year) if year else None, season, episodes)


def _same_words(in_file: str, folder_title: str) -> bool:
    """The file names the show exactly as its folder does, case included: where the two
    differ ("LOST.S01E01" in "Lost/"), which one the title takes is the full parse's call."""
    return in_file.replace(".", " ").split() == folder_title.split()


def _scene_alone(stem: str) -> dict[str, Any] | None:
    f = _SCENE_FILE.match(stem)
    if f is None or not _good_group(f.group("group")):
        return None
    words = f.group("show").split(".")
    if any(len(w) < 2 and w.casefold() not in ("a",) for w in words):
        return None
    title = " ".join(words)
    if _has_doubt(title) or not _guessit_keeps(title):
        return None
    episodes = _episodes(f)
    if episodes is None:
        return None
    return _episode(title, None, int(f.group("s")), episodes)


# --- pieces ------------------------------------------------------------------------------------


def _film(title: str, year: int) -> dict[str, Any]:
    return {
        "kind": "movie",
        "title": title,
        "year": year,
        "season": None,
        "episode": None,
        "episodes": [],
        "extra": None,
        "seasons": [],
        "alternatives": [],
    }


def _episode(title: str, year: int | None, season: int, episodes: list[int]) -> dict[str, Any]:
    return {
        "kind": "episode",
        "title": title,
        "year": year,
        "season": season,
        "episode": episodes[0],
        "episodes": episodes,
        "extra": None,
        "seasons": [season],
        "alternatives": [],
    }


def _episodes(m: re.Match[str]) -> list[int] | None:
    """S01E01 -> [1]; S01E01E02 -> [1, 2]; S01E01-E03 -> [1, 2, 3] (a range, as guessit
    reads it). Numbers must go up; anything else is left to the full parse."""
    episodes = [int(m.group("e"))]
    for dash, number in _MORE.findall(m.group("more")):
        n = int(number)
        if n <= episodes[-1] or n - episodes[-1] > 5:
            return None
        episodes.extend(range(episodes[-1] + 1, n + 1) if dash else [n])
    return episodes


def _good_title(title: str) -> bool:
    """No extras, season or personal-video word; not all lowercase (the full parse changes
    those); no word a season rule reads as a roman numeral."""
    return title != title.lower() and not title.endswith(",") and not _has_doubt(title)


def _good_group(group: str | None) -> bool:
    if group is None:
        return True
    return fold(group) not in _DOUBT_WORDS and fold(group) not in _GUESSIT_WORDS


def _guessit_keeps(title: str) -> bool:
    """Whether guessit, reading this title from the file name, keeps every word of it."""
    vocabulary = _guessit_vocabulary()
    return bool(vocabulary) and not any(w in vocabulary for w in fold(title).split())


@lru_cache(maxsize=8192)
def _plain_folder(name: str) -> bool:
    key = fold(name)
    return key in _MOVIE_FOLDERS or key in _SHOW_FOLDERS or not _has_doubt(name)


def _has_doubt(text: str) -> bool:
    # the casefolded words too: fold keeps Latin letters only ("Сезон" is a season word)
    words = {*fold(text).split(), *text.casefold().split()}
    return any(w in _DOUBT_WORDS for w in words)


@lru_cache(maxsize=1)
def _guessit_vocabulary() -> frozenset[str]:
    """Every word of guessit's own configuration (sources, editions, streaming services,
    episode words...) plus the languages and countries it recognises, less the plain
    English words listed in ``_SAFE_WORDS``: read from the installed guessit."""
    words: set[str] = set(_GUESSIT_WORDS)

    def walk(value: Any) -> None:
        if isinstance(value, str):
            words.update(w.casefold() for w in re.findall(r"[A-Za-z]+", value))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    try:
        text = resources.files("guessit").joinpath("config/options.json").read_text("utf-8")
        walk(json.loads(text))
    except (OSError, ValueError, ModuleNotFoundError):  # pragma: no cover - guessit is a dep
        return frozenset()  # unknown vocabulary: _guessit_keeps says no to everything
    return frozenset(words - _SAFE_WORDS)
