"""An in-process title provider for the use-case tests: no socket, no HTTP, no JSON.

``FakeTmdb`` answers the calls ``adapters.providers.resolver.Resolver`` makes of a TMDB
client (``search_movie``, ``search_tv``, ``movie``, ``tv``, ``find_imdb``) from the
``Candidate`` records a test gives it, and keeps every call in ``calls``. A search finds
the titles one of whose names holds every word of the query (case and accents aside),
of the year asked when there is one, as TMDB's search does.
``tests/fakes/provider_server.py`` is the socket one, for the tests of the HTTP clients.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from videotheque.commands.adapters.providers.base import (
    MOVIE,
    SERIES,
    Candidate,
    ProviderError,
)
from videotheque.commands.adapters.providers.resolver import Resolver
from videotheque.domain.titles import Rule, normalize_title


def film(provider_id: str, title: str, year: int | None, **more: Any) -> Candidate:
    """A TMDB film as a search result gives it (no runtime, no alternative titles)."""
    return Candidate("tmdb", provider_id, MOVIE, title, year=year, **more)


def show(provider_id: str, title: str, year: int | None, **more: Any) -> Candidate:
    return Candidate("tmdb", provider_id, SERIES, title, year=year, **more)


@dataclass
class FakeTmdb:
    titles: list[Candidate] = field(default_factory=list)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    # searches for these titles fail, as a provider down after its retries does
    down_for: set[str] = field(default_factory=set)

    def _search(self, kind: str, query: str, year: int | None) -> list[Candidate]:
        if query in self.down_for:
            raise ProviderError("tmdb", "GET /search: 503 Service Unavailable")
        words = set(normalize_title(query).split())
        return [
            c
            for c in self.titles
            if c.kind == kind
            and (year is None or c.year == year)
            and any(words <= set(normalize_title(n).split()) for n in c.names())
        ]

    def _details(self, kind: str, provider_id: str) -> Candidate | None:
        for c in self.titles:
            if c.kind == kind and c.provider_id == provider_id:
                return replace(c, detailed=True)
        return None

    async def search_movie(self, query: str, year: int | None = None) -> list[Candidate]:
        self.calls.append(("search_movie", (query, year)))
        return self._search(MOVIE, query, year)

    async def search_tv(self, query: str, year: int | None = None) -> list[Candidate]:
        self.calls.append(("search_tv", (query, year)))
        return self._search(SERIES, query, year)

    async def movie(self, movie_id: str) -> Candidate | None:
        self.calls.append(("movie", movie_id))
        return self._details(MOVIE, movie_id)

    async def tv(self, tv_id: str) -> Candidate | None:
        self.calls.append(("tv", tv_id))
        return self._details(SERIES, tv_id)

    async def find_imdb(self, imdb_id: str, kind: str) -> Candidate | None:
        self.calls.append(("find_imdb", (imdb_id, kind)))
        found = [c for c in self.titles if c.kind == kind and c.ids.imdb == imdb_id]
        return found[0] if len(found) == 1 else None

    def searched(self) -> list[str]:
        """The titles searched for, in order."""
        return [args[0] for name, args in self.calls if name.startswith("search_")]


def resolver(
    titles: Iterable[Candidate], rule: Rule | None = None, down_for: Iterable[str] = ()
) -> tuple[Resolver, FakeTmdb]:
    """A resolver asking a fake TMDB that knows ``titles`` (and the fake, to look at)."""
    fake = FakeTmdb(list(titles), down_for=set(down_for))
    return Resolver(tmdb=fake, rule=rule), fake  # type: ignore[arg-type]
