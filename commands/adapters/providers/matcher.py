"""Scoring candidates against a parsed file name, with rapidfuzz.

The score of a candidate is the best similarity between the query's title (and its
variants) and any name the candidate is known by (title, original title, alternative
titles, translations, aliases), all normalised by :func:`domain.titles.normalize_title`,
minus penalties:

- year: off by one 0.05 (a December release, a festival year), by two 0.15, more 0.35;
  a candidate without a year when the name has one 0.10;
- kind: a series proposed for a film (or the reverse) 0.20;
- obscurity, only when the name has no year: ``0.07 x log10(most popular / this one)``,
  capped at 0.20, among the candidates that match the title about as well as the best.
  With the default gap (0.10) a same-titled candidate wins only when it is about 30 times
  more popular than the next one (Inception against a short film called Inception);
  Dune 2021 against Dune 1984 (4 times) stays ambiguous;
- runtime, when both the file's duration and the candidate's runtime are known: more than
  10% apart 0.15 (:func:`domain.media_facts.runtime_penalty`). Two films of one title and
  one year are told apart that way; no evidence is no penalty.

Alternative titles count slightly less than the title and original title (x 0.97): a
title that is only someone's alias should not beat a film that carries it as its name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from videotheque.commands.adapters.providers.base import Candidate
from videotheque.domain.media_facts import runtime_penalty
from videotheque.domain.titles import Decision, Rule, decide, normalize_title

ALT_WEIGHT = 0.97
KIND_PENALTY = 0.20
MISSING_YEAR_PENALTY = 0.10
OBSCURITY_STEP = 0.07
OBSCURITY_CAP = 0.20
_YEAR_PENALTIES = {0: 0.0, 1: 0.05, 2: 0.15}
_FAR_YEAR_PENALTY = 0.35


@dataclass(frozen=True)
class Query:
    """What a file name says: a title (and variants), maybe a year, a kind."""

    title: str
    year: int | None
    kind: str
    variants: tuple[str, ...] = ()
    duration: float | None = None  # minutes, the file's (MediaInfo), when known

    def titles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for t in (self.title, *self.variants) if t))


@dataclass(frozen=True)
class Scored:
    """A candidate with its score and the name that scored best."""

    candidate: Candidate
    score: float
    title_score: float
    matched: str


@dataclass(frozen=True)
class MatchResult:
    decision: Decision
    ranked: tuple[Scored, ...] = field(default_factory=tuple)

    @property
    def best(self) -> Scored | None:
        return self.ranked[0] if self.ranked else None


def similarity(a: str, b: str) -> float:
    """Similarity of two normalised titles in [0, 1]: plain and word-order-insensitive."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100.0


def year_penalty(query_year: int | None, candidate_year: int | None) -> float:
    if query_year is None:
        return 0.0
    if candidate_year is None:
        return MISSING_YEAR_PENALTY
    return _YEAR_PENALTIES.get(abs(query_year - candidate_year), _FAR_YEAR_PENALTY)


def title_score(query: Query, candidate: Candidate) -> tuple[float, str]:
    """The best similarity over the query's titles and the candidate's names."""
    best, matched = 0.0, candidate.title
    primary = {candidate.title, candidate.original_title}
    for q in query.titles():
        nq = normalize_title(q)
        for name in candidate.names():
            value = similarity(nq, normalize_title(name))
            if name not in primary:
                value *= ALT_WEIGHT
            if value > best:
                best, matched = value, name
    return best, matched


def obscurity_penalty(popularity: float | None, most_popular: float | None) -> float:
    if popularity is None or not most_popular or most_popular <= 0:
        return 0.0
    ratio = most_popular / max(popularity, 0.01)
    return min(OBSCURITY_CAP, OBSCURITY_STEP * math.log10(max(ratio, 1.0)))


def rank(query: Query, candidates: Iterable[Candidate]) -> tuple[Scored, ...]:
    """Candidates scored and sorted best first; one entry per provider id."""
    unique: dict[tuple[str, str], Candidate] = {}
    for c in candidates:
        key = (c.provider, c.provider_id)
        # A detailed record (with alternative titles) replaces a search result.
        if key not in unique or (c.detailed and not unique[key].detailed):
            unique[key] = c
    pool = list(unique.values())
    scored: list[Scored] = []
    titles = {id(c): title_score(query, c) for c in pool}
    most_popular: float | None = None
    if query.year is None:
        # Popularity only separates candidates that match the title about equally well.
        best_title = max((t for t, _ in titles.values()), default=0.0)
        contenders = [
            c.popularity for c in pool
            if c.popularity is not None and titles[id(c)][0] >= best_title - 0.05
        ]  # fmt: skip
        most_popular = max(contenders, default=None)
    for c in pool:
        t_score, matched = titles[id(c)]
        score = t_score - year_penalty(query.year, c.year)
        if c.kind != query.kind:
            score -= KIND_PENALTY
        if most_popular is not None:
            score -= obscurity_penalty(c.popularity, most_popular)
        if query.duration:
            score -= runtime_penalty(query.duration * 60.0, c.runtime)
        scored.append(Scored(c, round(max(0.0, min(1.0, score)), 4), round(t_score, 4), matched))
    scored.sort(key=lambda s: (-s.score, -(s.candidate.popularity or 0.0), s.candidate.provider_id))
    return tuple(scored)


def match(query: Query, candidates: Sequence[Candidate], rule: Rule = Rule()) -> MatchResult:
    ranked = rank(query, candidates)
    return MatchResult(decide([s.score for s in ranked], rule), ranked)
