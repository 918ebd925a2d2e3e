"""Finding the title of one file: ids first, then searches, scored by the matcher.

Order (``auto``): ids written in the name or in an NFO sidecar skip the search (TMDB
details or ``/find`` for films; TVDB then TMDB for series). Otherwise films are searched
on TMDB, series on TVDB then TMDB. A search is made with the year first; without it when
that finds nothing good (a year off by one on the file). When no candidate is clearly
right, the details (alternative titles, translations) of the three most plausible ones
are fetched and the candidates scored again: a film known in France under another title
is found that way. When the file's duration is known and the leaders are still tied (one
title, one year), their details are fetched too (at most three): the runtime decides; a
file under an hour has its accepted match's details fetched, to flag a sample.
Offline (``nfo``), the sidecar itself is the answer.

Errors from providers propagate: :class:`ProviderError` (a failure, retried next run) and
:class:`ProviderAuthError` (the run stops).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from videotheque.commands.adapters.providers.base import MOVIE, SERIES, Candidate
from videotheque.commands.adapters.providers.matcher import (
    MatchResult,
    Query,
    Scored,
    match,
    year_penalty,
)
from videotheque.commands.adapters.providers.nfo import NfoInfo
from videotheque.commands.adapters.providers.tmdb import TmdbClient
from videotheque.commands.adapters.providers.tvdb import TvdbClient
from videotheque.domain.titles import Decision, ExternalIds, Rule

DETAILS_TOP = 3
# A file shorter than this (minutes) matched without a runtime has its match's details
# fetched: it may be a sample (longer files are checked when the runtime is known anyway).
SAMPLE_CHECK_MIN = 60.0
ID_SCORE = 1.0


@dataclass(frozen=True)
class Resolution:
    """The outcome for one file: a decision, the ranked candidates, what was asked."""

    decision: Decision
    provider: str | None
    ranked: tuple[Scored, ...]
    query: dict[str, Any]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def best(self) -> Scored | None:
        return self.ranked[0] if self.ranked else None


Search = Callable[[str, int | None], Awaitable[list[Candidate]]]
Details = Callable[[str], Awaitable[Candidate | None]]


class Resolver:
    """Decides for one file with the providers it is given (any may be None)."""

    def __init__(
        self,
        *,
        tmdb: TmdbClient | None = None,
        tvdb: TvdbClient | None = None,
        rule: Rule | None = None,
        details_top: int = DETAILS_TOP,
    ) -> None:
        self.tmdb = tmdb
        self.tvdb = tvdb
        self.rule = rule or Rule()
        self.details_top = details_top

    @property
    def online(self) -> bool:
        return self.tmdb is not None or self.tvdb is not None

    def handles(self, kind: str) -> bool:
        """Whether some configured provider can match this kind of file."""
        return self.tmdb is not None or (kind == SERIES and self.tvdb is not None)

    async def resolve(
        self, query: Query, ids: ExternalIds | None = None, nfo: NfoInfo | None = None
    ) -> Resolution:
        ids = ids or ExternalIds()
        notes: list[str] = []
        if nfo is not None:
            ids = ids.merged(nfo.ids)
            if nfo.title or nfo.original_title:
                # A media manager wrote it after matching: better than a parsed file name.
                variants = tuple(t for t in (nfo.original_title, query.title) if t)
                query = replace(
                    query,
                    title=nfo.title or nfo.original_title or query.title,
                    year=nfo.year or query.year,
                    variants=variants,
                )
        asked: dict[str, Any] = {"title": query.title, "year": query.year, "kind": query.kind}

        if not self.online:
            return self._offline(query, nfo, asked)

        by_id = await self._by_id(query.kind, ids)
        if by_id is not None:
            asked["via"] = "id"
            asked["ids"] = {k: v for k, v in vars(ids).items() if v}
            scored = Scored(by_id, ID_SCORE, ID_SCORE, by_id.title)
            return Resolution(Decision.ACCEPT, by_id.provider, (scored,), asked, tuple(notes))
        if ids:
            notes.append("ids in the name or sidecar are unknown to the provider")

        if not query.title.strip():
            asked["via"] = "search"
            return Resolution(Decision.NO_MATCH, None, (), asked, ("no title in the name",))

        asked["via"] = "search"
        attempts: list[tuple[str, MatchResult]] = []
        for provider, search, details in self._searches(query.kind):
            result = await self._search(query, search, details)
            # A fallback may only break a tie it has seen: when the first provider hesitated
            # between N same-titled candidates, the second must know at least N of them too
            # (else it "wins" by not knowing the right one).
            if (
                attempts
                and result.decision is Decision.ACCEPT
                and _contenders(result, self.rule) < _contenders(attempts[0][1], self.rule)
            ):
                notes.append(f"{provider} accepted a title the others hesitated over")
                result = MatchResult(Decision.AMBIGUOUS, result.ranked)
            attempts.append((provider, result))
            if result.decision is Decision.ACCEPT:
                break
        if not attempts:
            return Resolution(Decision.NO_MATCH, None, (), asked, ("no provider for this kind",))
        provider, result = _pick(attempts)
        asked["provider"] = provider
        return Resolution(result.decision, provider, result.ranked, asked, tuple(notes))

    # -- strategies ---------------------------------------------------------------

    def _offline(self, query: Query, nfo: NfoInfo | None, asked: dict[str, Any]) -> Resolution:
        asked["via"] = "nfo"
        candidate = nfo.candidate(query.kind) if nfo is not None else None
        if candidate is None:
            reason = "no usable sidecar" if nfo is None else "the sidecar has no id or title"
            return Resolution(Decision.NO_MATCH, None, (), asked, (reason,))
        scored = Scored(candidate, ID_SCORE, ID_SCORE, candidate.title)
        return Resolution(Decision.ACCEPT, candidate.provider, (scored,), asked)

    async def _by_id(self, kind: str, ids: ExternalIds) -> Candidate | None:
        if kind == SERIES:
            if ids.tvdb and self.tvdb is not None and (found := await self.tvdb.series(ids.tvdb)):
                return found
            if ids.tmdb and self.tmdb is not None and (found := await self.tmdb.tv(ids.tmdb)):
                return found
            if (
                ids.imdb
                and self.tvdb is not None
                and (found := await self.tvdb.find_imdb(ids.imdb))
            ):
                return found
        elif ids.tmdb and self.tmdb is not None and (found := await self.tmdb.movie(ids.tmdb)):
            return found
        if ids.imdb and self.tmdb is not None:
            return await self.tmdb.find_imdb(ids.imdb, kind)
        return None

    def _searches(self, kind: str) -> list[tuple[str, Search, Details]]:
        found: list[tuple[str, Search, Details]] = []
        if kind == SERIES:
            if self.tvdb is not None:
                found.append(("tvdb", self.tvdb.search_series, self.tvdb.series))
            if self.tmdb is not None:
                found.append(("tmdb", self.tmdb.search_tv, self.tmdb.tv))
        elif self.tmdb is not None:
            found.append(("tmdb", self.tmdb.search_movie, self.tmdb.movie))
        return found

    async def _search(self, query: Query, search: Search, details: Details) -> MatchResult:
        candidates = await search(query.title, query.year)
        result = match(query, candidates, self.rule)
        if query.year is not None and _weak(result, self.rule):
            # The year on the file may be off (or wrong): look without it.
            candidates = _merge(candidates, await search(query.title, None))
            result = match(query, candidates, self.rule)
        if not candidates:
            # Nothing at all: try the title written another way ("et" for "&", no subtitle).
            for variant in title_variants(query.title):
                candidates = await search(variant, None)
                if candidates:
                    query = replace(query, variants=(*query.variants, variant))
                    result = match(query, candidates, self.rule)
                    break
        result = await self._refine(query, candidates, result, details)
        return await self._by_runtime(query, result, details)

    async def _by_runtime(self, query: Query, result: MatchResult, details: Details) -> MatchResult:
        """Undecided leaders whose runtime is unknown (search results do not carry it):
        fetch their details so the file's duration can tell them apart."""
        best = result.best
        if not query.duration or best is None:
            return result
        if result.decision is Decision.ACCEPT:
            return await self._winner_runtime(query.duration, result, details)
        tied = [s for s in result.ranked if s.score >= best.score - self.rule.gap]
        if len(tied) < 2:
            return result  # not a tie: a runtime can only lower scores
        todo = [s for s in tied if s.candidate.runtime is None and not s.candidate.detailed]
        fetched: list[Candidate] = []
        for scored in todo[: self.details_top]:
            detailed = await details(scored.candidate.provider_id)
            if detailed is not None:
                fetched.append(_keep_popularity(detailed, scored.candidate))
        if not fetched:
            return result
        known = [s.candidate for s in result.ranked]
        return match(query, _merge(known, fetched), self.rule)

    async def _winner_runtime(
        self, duration: float, result: MatchResult, details: Details
    ) -> MatchResult:
        """A file under an hour matched to a search result (no runtime): fetch the
        winner's runtime, only so that a sample can be flagged; the decision stands."""
        best = result.best
        if best is None or duration >= SAMPLE_CHECK_MIN:
            return result
        c = best.candidate
        if c.runtime is not None or c.detailed:
            return result
        detailed = await details(c.provider_id)
        if detailed is None or detailed.provider_id != c.provider_id:
            return result
        winner = replace(best, candidate=_keep_popularity(detailed, c))
        return MatchResult(result.decision, (winner, *result.ranked[1:]))

    async def _refine(
        self, query: Query, candidates: list[Candidate], result: MatchResult, details: Details
    ) -> MatchResult:
        """Fetch alternative titles where they could change the decision, and decide again.

        Undecided: the most plausible candidates that do not match the title exactly.
        Accepted: the candidates more popular than the winner, which the search returned
        for a reason (a title in another language) and which may be the real answer.
        """
        best = result.best
        if best is None:
            return result
        if result.decision is Decision.ACCEPT:
            floor = best.candidate.popularity or 0.0
            todo = [
                s for s in result.ranked[1:]
                if not s.candidate.detailed
                and s.title_score < 1.0
                and (s.candidate.popularity or 0.0) > floor
                and year_penalty(query.year, s.candidate.year) < 0.2
            ]  # fmt: skip
            todo.sort(key=lambda s: -(s.candidate.popularity or 0.0))
        else:
            todo = [s for s in result.ranked if not s.candidate.detailed and s.title_score < 1.0]
            # Most plausible first: the year fits, then the score.
            todo.sort(key=lambda s: (year_penalty(query.year, s.candidate.year), -s.score))
        fetched: list[Candidate] = []
        for scored in todo[: self.details_top]:
            detailed = await details(scored.candidate.provider_id)
            if detailed is not None:
                fetched.append(_keep_popularity(detailed, scored.candidate))
        if not fetched:
            return result
        return match(query, _merge(candidates, fetched), self.rule)


_SUBTITLE = re.compile(r"\s+[-:–]\s+")
_AND = re.compile(r"\s+(?:et|and)\s+", re.IGNORECASE)


def title_variants(title: str) -> list[str]:
    """Other spellings of a title to search when it finds nothing, at most two."""
    found: list[str] = []
    if "&" in title:
        found.append(title.replace("&", " et " if " et " not in title else " and "))
    elif _AND.search(title):
        found.append(_AND.sub(" & ", title))
    head = _SUBTITLE.split(title)[0]
    if head != title and len(head) >= 3:
        found.append(head)
    return [" ".join(v.split()) for v in found][:2]


def _contenders(result: MatchResult, rule: Rule) -> int:
    """How many candidates are about as good as the best one."""
    best = result.best
    if best is None:
        return 0
    return sum(1 for s in result.ranked if s.title_score >= best.title_score - rule.gap)


def _pick(attempts: list[tuple[str, MatchResult]]) -> tuple[str, MatchResult]:
    """The accepted attempt; else the first one with candidates (the primary provider)."""
    for attempt in attempts:
        if attempt[1].decision is Decision.ACCEPT:
            return attempt
    for attempt in attempts:
        if attempt[1].ranked and attempt[1].decision is Decision.AMBIGUOUS:
            return attempt
    for attempt in attempts:
        if attempt[1].ranked:
            return attempt
    return attempts[0]


def _weak(result: MatchResult, rule: Rule) -> bool:
    best = result.best
    return best is None or best.score < rule.threshold


def _merge(first: Sequence[Candidate], second: Sequence[Candidate]) -> list[Candidate]:
    """Candidates of both lists, one per id, a detailed record winning over a summary."""
    merged: dict[str, Candidate] = {}
    for c in (*first, *second):
        if c.provider_id not in merged or (c.detailed and not merged[c.provider_id].detailed):
            merged[c.provider_id] = c
    return list(merged.values())


def _keep_popularity(detailed: Candidate, summary: Candidate) -> Candidate:
    if detailed.popularity is None and summary.popularity is not None:
        return replace(detailed, popularity=summary.popularity)
    return detailed


def kind_of(name: dict[str, Any]) -> str:
    """``series`` for an episode name, ``movie`` otherwise (``kind``, or guessit's ``type``)."""
    kind = name.get("kind") or name.get("type")
    return SERIES if kind in ("episode", "series", SERIES) else MOVIE
