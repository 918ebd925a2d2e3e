"""Titles: normalisation, provider ids written in names, and the match decision rule.

Pure functions, standard library only. Both sides of a comparison (the parsed file name
and a provider's title) go through :func:`normalize_title`, so what matters is that the
rule is the same on both sides, not that it is linguistically perfect.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

# -- normalisation ---------------------------------------------------------------------

# Leading articles dropped before comparison ("The Matrix" == "Matrix", "Les Évadés" ==
# "Évadés"). French elided forms (l', d') are split off first, so "L'Auberge" -> "auberge".
_LEADING_ARTICLES = frozenset({"the", "a", "an", "le", "la", "les", "l", "un", "une"})
_TRAILING_ARTICLE = re.compile(r",\s*(the|a|an|le|la|les|l')\s*$", re.IGNORECASE)
# French elision: a single letter (or "qu") and an apostrophe before a vowel or h.
_ELISION = re.compile(r"(?<![^\W\d_])(qu|[ldjmnstc])['’](?=[aeiouyh])", re.IGNORECASE)
_APOSTROPHES = re.compile(r"['’`´]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_ROMAN = re.compile(r"^(xl|l?x{0,3})(ix|iv|v?i{0,3})$")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50}
_CONJUNCTIONS = frozenset({"and", "et"})
# Acronyms written with dots: "E.T." -> "ET", "S.W.A.T." -> "SWAT".
_ACRONYM = re.compile(r"(?<![^\W\d_])((?:[^\W\d_]\.){2,})")
# Letters that NFKD does not decompose into a base letter plus accents.
_FOLD = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ð": "d", "þ": "th", "ł": "l", "đ": "d"}
)


def strip_accents(text: str) -> str:
    """``text`` without combining marks ("Évadés" -> "Evades", "Cœur" -> "Coeur")."""
    folded = text.lower().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Casefolded, accents stripped, punctuation to single spaces: a comparison key for names
    ("L'Été.1985" -> "l ete 1985"); unlike :func:`normalize_title`, words are kept as they are."""
    if text.isascii():
        return _NON_ALNUM.sub(" ", text.casefold()).strip()
    return _NON_ALNUM.sub(" ", strip_accents(text.casefold())).strip()


def numeral(token: str) -> int | None:
    """An arabic or roman numeral ("4", "IV", "iv") as an int, or None."""
    if token.isdigit():
        return int(token)
    return roman_to_int(token.casefold())


def roman_to_int(token: str) -> int | None:
    """The value of a lower-case roman numeral up to 89, or None."""
    if not token or not _ROMAN.match(token):
        return None
    total = 0
    for i, char in enumerate(token):
        value = _ROMAN_VALUES[char]
        following = _ROMAN_VALUES[token[i + 1]] if i + 1 < len(token) else 0
        total += -value if value < following else value
    return total


def _token(token: str, position: int, count: int) -> str:
    if token in _CONJUNCTIONS and 0 < position < count - 1:
        return "and"
    value = roman_to_int(token)
    # A lone "i" is a pronoun ("I, Robot") unless it ends the title ("Rocky I").
    if value is not None and (token != "i" or (position == count - 1 and count > 1)):
        return str(value)
    return token


def normalize_title(title: str) -> str:
    """The comparable form of a title.

    Lower case, accents and punctuation removed, French elisions split, one leading article
    (English or French) dropped, roman numerals as digits, "&"/"et"/"and" unified.

    >>> normalize_title("L'Âge de glace II")
    'age de glace 2'
    >>> normalize_title("Matrix, The")
    'matrix'
    """
    text = _TRAILING_ARTICLE.sub("", title.strip())
    text = text.replace("&", " and ").replace("+", " plus ")
    starts_with_acronym = _ACRONYM.match(text) is not None  # "L.A." is not "la"
    text = _ACRONYM.sub(lambda m: m.group(1).replace(".", "") + " ", text)
    text = strip_accents(text)
    text = _ELISION.sub(r"\1 ", text)
    text = _APOSTROPHES.sub("", text)
    tokens = [t for t in _NON_ALNUM.split(text) if t]
    if len(tokens) > 1 and tokens[0] in _LEADING_ARTICLES and not starts_with_acronym:
        tokens = tokens[1:]
    count = len(tokens)
    return " ".join(_token(t, i, count) for i, t in enumerate(tokens))


# -- ids written in names ------------------------------------------------------------

_TMDB = re.compile(r"(?<![a-z0-9])tmdb(?:id)?\s*[-=:_]\s*(\d{1,9})(?!\d)", re.IGNORECASE)
_TVDB = re.compile(r"(?<![a-z0-9])tvdb(?:id)?\s*[-=:_]\s*(\d{1,9})(?!\d)", re.IGNORECASE)
_IMDB = re.compile(r"(?<![a-z0-9])(tt\d{7,9})(?!\d)", re.IGNORECASE)


@dataclass(frozen=True)
class ExternalIds:
    """Provider ids found in a name or a sidecar; each is a string or None."""

    tmdb: str | None = None
    tvdb: str | None = None
    imdb: str | None = None

    def __bool__(self) -> bool:
        return bool(self.tmdb or self.tvdb or self.imdb)

    def merged(self, other: ExternalIds) -> ExternalIds:
        """These ids, completed by ``other`` where these are missing."""
        return ExternalIds(
            tmdb=self.tmdb or other.tmdb,
            tvdb=self.tvdb or other.tvdb,
            imdb=self.imdb or other.imdb,
        )


def extract_ids(name: str) -> ExternalIds:
    """Provider ids written in a file or folder name.

    Understands the Plex/Jellyfin/Emby conventions ``{tmdb-603}``, ``[tmdbid=603]``,
    ``{tvdb-81189}``, ``[tvdbid-81189]``, ``{imdb-tt0133093}`` and a bare ``tt0133093``.
    When a name carries two different ids of one kind, that kind is left out (ambiguous).

    >>> extract_ids("The Matrix (1999) {tmdb-603}.mkv")
    ExternalIds(tmdb='603', tvdb=None, imdb=None)
    """

    def only(pattern: re.Pattern[str], *, lower: bool = False) -> str | None:
        found = {m.group(1).lower() if lower else m.group(1) for m in pattern.finditer(name)}
        found = {f.lstrip("0") or "0" for f in found} if not lower else found
        return found.pop() if len(found) == 1 else None

    return ExternalIds(tmdb=only(_TMDB), tvdb=only(_TVDB), imdb=only(_IMDB, lower=True))


# -- the decision rule ---------------------------------------------------------------

DEFAULT_THRESHOLD = 0.75
DEFAULT_GAP = 0.10
DEFAULT_FLOOR = 0.50


class Decision(Enum):
    """What to do with a file given the scores of its candidates."""

    ACCEPT = "accept"  # confident: record the best candidate
    AMBIGUOUS = "ambiguous"  # plausible candidates but no clear winner: queue it
    NO_MATCH = "no_match"  # nothing plausible: queue it


@dataclass(frozen=True)
class Rule:
    """Acceptance parameters.

    ``threshold``: the best score must reach it; ``gap``: and lead the second by at least
    this; ``floor``: below it, a candidate is not worth proposing at all.
    """

    threshold: float = DEFAULT_THRESHOLD
    gap: float = DEFAULT_GAP
    floor: float = DEFAULT_FLOOR

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {self.threshold}")
        if not 0.0 <= self.gap < 1.0:
            raise ValueError(f"gap must be in [0, 1), not {self.gap}")
        if not 0.0 <= self.floor <= self.threshold:
            raise ValueError(f"floor must be in [0, threshold], not {self.floor}")


def decide(scores: Sequence[float], rule: Rule = Rule()) -> Decision:
    """Accept only a best score >= threshold that leads the second by the gap.

    ``scores`` need not be sorted. A wrong match is worse than no match, so anything less
    than a clear winner is ambiguous (when something reaches the floor) or no match.
    """
    ranked = sorted(scores, reverse=True)
    if not ranked or ranked[0] < rule.floor:
        return Decision.NO_MATCH
    best = ranked[0]
    second = ranked[1] if len(ranked) > 1 else 0.0
    if best >= rule.threshold and best - second >= rule.gap - 1e-9:
        return Decision.ACCEPT
    return Decision.AMBIGUOUS
