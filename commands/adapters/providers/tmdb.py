"""TMDB API v3: search and details of films and series, parsed into candidates.

Auth: a v4 read token (``TMDB_READ_TOKEN``, sent as a Bearer header, preferred because a
header is never part of a URL) or a v3 key (``TMDB_API_KEY``, the ``api_key`` parameter).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from videotheque.commands.adapters.providers.base import (
    MOVIE,
    SERIES,
    Candidate,
    ProviderConfigError,
    answer_reader,
    as_id,
    as_list,
    as_number,
    parser,
    year_of,
)
from videotheque.commands.adapters.providers.http import ProviderHttp, RetryPolicy, Secret
from videotheque.domain.titles import ExternalIds

PROVIDER = "tmdb"
DEFAULT_URL = "https://api.themoviedb.org/3"
DEFAULT_RATE = 40.0
URL_ENV = "VIDEOTHEQUE_TMDB_URL"
KEY_ENV = "TMDB_API_KEY"
TOKEN_ENV = "TMDB_READ_TOKEN"
DETAILS_APPEND = "alternative_titles,external_ids,translations"


def has_credentials(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return bool(env.get(TOKEN_ENV) or env.get(KEY_ENV))


def make_http(
    env: Mapping[str, str] | None = None,
    *,
    rate: float = DEFAULT_RATE,
    timeout: float = 10.0,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ProviderHttp:
    """The HTTP session for TMDB, configured from the environment."""
    env = os.environ if env is None else env
    token = Secret(env.get(TOKEN_ENV, ""))
    key = Secret(env.get(KEY_ENV, ""))
    if not token and not key:
        raise ProviderConfigError(
            f"TMDB needs {KEY_ENV} (a v3 API key) or {TOKEN_ENV} (a read access token)"
        )
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    if token:
        headers["Authorization"] = f"Bearer {token.reveal()}"
    else:
        params["api_key"] = key.reveal()
    return ProviderHttp(
        PROVIDER,
        env.get(URL_ENV) or DEFAULT_URL,
        rate=rate,
        timeout=timeout,
        retry=retry,
        headers=headers,
        params=params,
        secrets=[s.reveal() for s in (token, key) if s],
        transport=transport,
    )


class TmdbClient:
    """Searches and details; every method returns candidates (or None for "not found")."""

    def __init__(self, http: ProviderHttp, language: str = "fr-FR") -> None:
        self.http = http
        self.language = language

    @answer_reader(PROVIDER)
    async def search_movie(self, query: str, year: int | None = None) -> list[Candidate]:
        body = await self.http.get_json(
            "/search/movie",
            {"query": query, "year": year, "language": self.language, "include_adult": "false"},
        )
        return [c for r in _results(body) if (c := parse_movie(r)) is not None]

    @answer_reader(PROVIDER)
    async def search_tv(self, query: str, year: int | None = None) -> list[Candidate]:
        body = await self.http.get_json(
            "/search/tv",
            {
                "query": query,
                "first_air_date_year": year,
                "language": self.language,
                "include_adult": "false",
            },
        )
        return [c for r in _results(body) if (c := parse_tv(r)) is not None]

    @answer_reader(PROVIDER)
    async def movie(self, movie_id: str) -> Candidate | None:
        body = await self.http.get_json(
            f"/movie/{int(movie_id)}",
            {"language": self.language, "append_to_response": DETAILS_APPEND},
        )
        return parse_movie(body, detailed=True) if isinstance(body, dict) else None

    @answer_reader(PROVIDER)
    async def tv(self, tv_id: str) -> Candidate | None:
        body = await self.http.get_json(
            f"/tv/{int(tv_id)}",
            {"language": self.language, "append_to_response": DETAILS_APPEND},
        )
        return parse_tv(body, detailed=True) if isinstance(body, dict) else None

    @answer_reader(PROVIDER)
    async def find_imdb(self, imdb_id: str, kind: str) -> Candidate | None:
        """The film (or series) TMDB knows under this IMDb id."""
        body = await self.http.get_json(
            f"/find/{imdb_id}", {"external_source": "imdb_id", "language": self.language}
        )
        if not isinstance(body, dict):
            return None
        key, parse = ("tv_results", parse_tv) if kind == SERIES else ("movie_results", parse_movie)
        found = [c for r in as_list(body.get(key)) if isinstance(r, dict) and (c := parse(r))]
        return found[0] if len(found) == 1 else None


def _results(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return []
    results = body.get("results")
    return [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _alt_titles(body: Mapping[str, Any], title_key: str) -> tuple[str, ...]:
    names: list[str] = []
    alt = body.get("alternative_titles")
    if isinstance(alt, dict):
        # Films list them under "titles", series under "results".
        for entry in as_list(alt.get("titles") or alt.get("results")):
            if isinstance(entry, dict) and (t := _text(entry.get("title"))):
                names.append(t)
    translations = body.get("translations")
    if isinstance(translations, dict):
        for entry in as_list(translations.get("translations")):
            data = entry.get("data") if isinstance(entry, dict) else None
            if isinstance(data, dict) and (t := _text(data.get(title_key))):
                names.append(t)
    return tuple(dict.fromkeys(names))


def _popularity(body: Mapping[str, Any]) -> float | None:
    return as_number(body.get("popularity"))


def _ids(body: Mapping[str, Any]) -> ExternalIds:
    external = body.get("external_ids")
    external = external if isinstance(external, dict) else {}
    imdb = _text(external.get("imdb_id")) or _text(body.get("imdb_id"))
    tvdb = as_id(external.get("tvdb_id"))
    return ExternalIds(tmdb=str(body["id"]), imdb=imdb, tvdb=str(tvdb) if tvdb else None)


def _runtime(body: Mapping[str, Any]) -> int | None:
    """Minutes; TMDB says 0 (or nothing) when it does not know."""
    value = as_number(body.get("runtime"))
    return int(value) if value is not None and 0 < value < 2000 else None


@parser(PROVIDER)
def parse_movie(body: Mapping[str, Any], *, detailed: bool = False) -> Candidate | None:
    """A candidate from a search result or a details answer; None when unusable."""
    title = _text(body.get("title")) or _text(body.get("original_title"))
    if as_id(body.get("id")) is None or title is None:
        return None
    return Candidate(
        provider=PROVIDER,
        provider_id=str(body["id"]),
        kind=MOVIE,
        title=title,
        original_title=_text(body.get("original_title")),
        year=year_of(body.get("release_date")),
        alt_titles=_alt_titles(body, "title"),
        popularity=_popularity(body),
        ids=_ids(body),
        detailed=detailed,
        runtime=_runtime(body),
    )


@parser(PROVIDER)
def parse_tv(body: Mapping[str, Any], *, detailed: bool = False) -> Candidate | None:
    title = _text(body.get("name")) or _text(body.get("original_name"))
    if as_id(body.get("id")) is None or title is None:
        return None
    return Candidate(
        provider=PROVIDER,
        provider_id=str(body["id"]),
        kind=SERIES,
        title=title,
        original_title=_text(body.get("original_name")),
        year=year_of(body.get("first_air_date")),
        alt_titles=_alt_titles(body, "name"),
        popularity=_popularity(body),
        ids=_ids(body),
        detailed=detailed,
    )
