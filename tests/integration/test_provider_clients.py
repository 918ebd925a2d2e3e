"""TMDB and TVDB clients against the fake server on a real 127.0.0.1 socket."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.fakes.provider_server import TMDB_KEY, TMDB_TOKEN, TVDB_KEY, FakeProviders
from videotheque.commands.adapters.providers import tmdb, tvdb
from videotheque.commands.adapters.providers.base import ProviderAuthError, ProviderError
from videotheque.commands.adapters.providers.http import ProviderHttp, RetryPolicy

T = TypeVar("T")
FAST = RetryPolicy(attempts=4, initial=0.05, maximum=0.2, jitter=0.02)
CATALOGUE = {
    "films": [
        {"tmdb_id": 603, "title": "The Matrix", "original_title": "The Matrix", "year": 1999,
         "popularity": 85, "translations": {"en": "The Matrix", "fr": "Matrix"},
         "alt_titles": ["Matrix"], "imdb_id": "tt0133093", "runtime": 136},
    ],
    "series": [
        {"tvdb_id": 81189, "tmdb_id": 1396, "name": "Breaking Bad", "original_name": "Breaking Bad",
         "year": 2008, "popularity": 300, "translations": {"en": "Breaking Bad"},
         "alt_titles": [], "imdb_id": "tt0903747"},
    ],
}  # fmt: skip


@pytest.fixture
def server() -> Iterator[FakeProviders]:
    with FakeProviders(CATALOGUE) as fake:
        yield fake


def run_tmdb(
    server: FakeProviders,
    call: Callable[[tmdb.TmdbClient], Awaitable[T]],
    *,
    env: dict[str, str] | None = None,
    retry: RetryPolicy = FAST,
    timeout: float = 5.0,
    rate: float = 200.0,
) -> tuple[T, ProviderHttp]:
    async def go() -> tuple[T, ProviderHttp]:
        http = tmdb.make_http(env or server.env(), rate=rate, retry=retry, timeout=timeout)
        async with http:
            return await call(tmdb.TmdbClient(http)), http

    return asyncio.run(go())


def test_search_and_details_in_french(server: FakeProviders) -> None:
    found, http = run_tmdb(server, lambda c: c.search_movie("Matrix", 1999))
    assert [(c.provider_id, c.title, c.original_title, c.year) for c in found] == [
        ("603", "Matrix", "The Matrix", 1999)
    ]
    details, _ = run_tmdb(server, lambda c: c.movie("603"))
    assert details is not None and details.detailed
    assert details.ids.imdb == "tt0133093" and "Matrix" in details.alt_titles
    assert (found[0].runtime, details.runtime) == (None, 136)  # minutes, details only
    assert http.stats.requests == 1 and http.stats.retries == 0


def test_recorded_search_body_is_parsed(server: FakeProviders) -> None:
    found, _ = run_tmdb(server, lambda c: c.search_movie("Fight Club"))
    assert len(found) == 20 and found[0].provider_id == "550"
    no_date = [c for c in found if c.year is None]
    assert len(no_date) == 2  # two results have release_date "" in the recording


def test_read_token_is_sent_as_bearer(server: FakeProviders) -> None:
    found, _ = run_tmdb(server, lambda c: c.search_movie("Matrix"), env=server.env(token=True))
    assert found and found[0].provider_id == "603"


def test_404_is_no_match(server: FakeProviders) -> None:
    details, http = run_tmdb(server, lambda c: c.movie("999999"))
    assert details is None and http.stats.retries == 0


def test_429_with_retry_after_is_honoured(server: FakeProviders) -> None:
    server.storm(0.3, retry_after=1)
    start = time.monotonic()
    found, http = run_tmdb(server, lambda c: c.search_movie("Matrix"))
    assert found and found[0].provider_id == "603"
    assert http.stats.throttled >= 1 and http.stats.retries >= 1
    assert time.monotonic() - start >= 0.9  # it waited the second the server asked for


def test_429_without_retry_after_backs_off(server: FakeProviders) -> None:
    server.storm(0.25)
    found, http = run_tmdb(server, lambda c: c.search_movie("Matrix"))
    assert found
    assert http.stats.throttled >= 1 and server.rejected["tmdb"] == http.stats.throttled


def test_5xx_burst_is_retried(server: FakeProviders) -> None:
    server.fail_next(3, 503)
    found, http = run_tmdb(server, lambda c: c.search_movie("Matrix"))
    assert found and http.stats.retries == 3 and http.stats.server_errors == 3


def test_5xx_beyond_the_retries_is_a_failure(server: FakeProviders) -> None:
    server.fail_next(10, 502)
    with pytest.raises(ProviderError, match="gave up after 4 attempts"):
        run_tmdb(server, lambda c: c.search_movie("Matrix"))
    assert server.total("tmdb") == 4


def test_500_is_not_retried(server: FakeProviders) -> None:
    server.fail_next(1, 500)
    with pytest.raises(ProviderError, match="HTTP 500"):
        run_tmdb(server, lambda c: c.search_movie("Matrix"))
    assert server.total("tmdb") == 1


def test_timeouts_are_retried(server: FakeProviders) -> None:
    server.slow_next(1, 1.5)
    found, http = run_tmdb(server, lambda c: c.search_movie("Matrix"), timeout=0.4)
    assert found and http.stats.transport_errors == 1 and http.stats.retries == 1


def test_malformed_json_is_a_failure_not_retried(server: FakeProviders) -> None:
    server.malformed_next(1)
    with pytest.raises(ProviderError, match="malformed JSON"):
        run_tmdb(server, lambda c: c.search_movie("Matrix"))
    assert server.total("tmdb") == 1


def test_html_instead_of_json_is_a_failure(server: FakeProviders) -> None:
    server.html_next(1)
    with pytest.raises(ProviderError, match=r"malformed JSON.*text/html"):
        run_tmdb(server, lambda c: c.search_movie("Matrix"))


def test_refused_connection_is_retried_then_fails() -> None:
    env = {"TMDB_API_KEY": TMDB_KEY, "VIDEOTHEQUE_TMDB_URL": "http://127.0.0.1:9/3"}

    async def go() -> ProviderHttp:
        http = tmdb.make_http(env, retry=FAST)
        async with http:
            with pytest.raises(ProviderError, match="connection failed"):
                await tmdb.TmdbClient(http).search_movie("Matrix")
        return http

    http = asyncio.run(go())
    assert http.stats.requests == 4 and http.stats.retries == 3


def test_401_stops_without_retry_and_never_shows_the_key(
    server: FakeProviders, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with server.refusing(), pytest.raises(ProviderAuthError) as info:
        run_tmdb(server, lambda c: c.search_movie("Matrix"))
    assert server.total("tmdb") == 1
    text = str(info.value) + repr(info.value) + caplog.text
    assert "Invalid API key" in str(info.value)
    assert TMDB_KEY not in text and TMDB_TOKEN not in text
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_failures_never_show_the_key(
    server: FakeProviders, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.fail_next(10, 503)
    with pytest.raises(ProviderError) as info:
        run_tmdb(server, lambda c: c.search_movie("Matrix"))
    assert "api_key" not in caplog.text or "api_key=***" in caplog.text
    assert TMDB_KEY not in caplog.text + str(info.value)
    assert info.value.__cause__ is None


def test_rate_limit_is_respected_and_connections_bounded(server: FakeProviders) -> None:
    server.rate_limit("tmdb", 20)
    server.set_latency(0.05)

    async def many(client: tmdb.TmdbClient) -> list[Any]:
        return await asyncio.gather(*(client.search_movie("Matrix") for _ in range(40)))

    results, http = run_tmdb(server, many, rate=20)
    assert all(r for r in results)
    assert server.rejected["tmdb"] == 0 and http.stats.retries == 0
    assert server.busiest_second("tmdb") <= 20
    assert server.max_in_flight <= 8


# -- TVDB ------------------------------------------------------------------------------


def run_tvdb(
    server: FakeProviders,
    call: Callable[[tvdb.TvdbClient], Awaitable[T]],
    token_path: Path | None,
    env: dict[str, str] | None = None,
) -> T:
    async def go() -> T:
        env_ = env or server.env()
        http = tvdb.make_http(env_, rate=200, retry=FAST)
        async with http:
            return await call(tvdb.TvdbClient.from_env(http, env_, token_path=token_path))

    return asyncio.run(go())


def test_tvdb_search_uses_translations_and_caches_the_token(
    server: FakeProviders, tmp_path: Path
) -> None:
    token_file = tmp_path / "tvdb-token.json"
    found = run_tvdb(server, lambda c: c.search_series("Breaking Bad", 2008), token_file)
    assert [(c.provider_id, c.year, c.ids.imdb) for c in found] == [("81189", 2008, "tt0903747")]
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert TVDB_KEY not in token_file.read_text()
    run_tvdb(server, lambda c: c.series("81189"), token_file)
    assert server.logins == 1  # the second client reused the cached token


def test_tvdb_recorded_search_has_only_the_original_name(server: FakeProviders) -> None:
    found = run_tvdb(server, lambda c: c.search_series("saint seiya"), None)
    assert found[0].original_title == "聖闘士星矢"
    assert "Knights of the Zodiac" in found[0].alt_titles
    assert found[0].ids.tmdb == "42444"


def test_tvdb_expired_token_is_renewed_once(server: FakeProviders, tmp_path: Path) -> None:
    token_file = tmp_path / "tvdb-token.json"
    run_tvdb(server, lambda c: c.series("81189"), token_file)
    server.expire_tvdb_tokens()
    found = run_tvdb(server, lambda c: c.series("81189"), token_file)
    assert found is not None and found.provider_id == "81189"
    assert server.logins == 2


def test_tvdb_bad_key_stops_the_run(server: FakeProviders) -> None:
    env = {**server.env(), "TVDB_API_KEY": "wrong-key-123456"}
    with pytest.raises(ProviderAuthError, match="InvalidAPIKey") as info:
        run_tvdb(server, lambda c: c.search_series("Breaking Bad"), None, env)
    assert "wrong-key-123456" not in str(info.value)


def test_tvdb_missing_pin_stops_the_run(tmp_path: Path) -> None:
    with FakeProviders(CATALOGUE, tvdb_pin="4321") as fake:
        env = {k: v for k, v in fake.env().items() if k != "TVDB_PIN"}
        with pytest.raises(ProviderAuthError, match="pin required"):
            run_tvdb(fake, lambda c: c.search_series("Breaking Bad"), None, env)
        found = run_tvdb(fake, lambda c: c.search_series("Breaking Bad"), None)
        assert found


def test_tvdb_404_is_no_match(server: FakeProviders) -> None:
    assert run_tvdb(server, lambda c: c.series("428202"), None) is None
