"""A provider answer of any shape fails the file that asked for it, never the run:
nested 200,000 deep, a bool where an id is expected, numbers where lists are expected.
Driven through the CLI against the fake server; the parsers are fuzzed with hypothesis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Lib
from tests.e2e.test_enrich_cli import CATALOGUE, FILES, catalog
from tests.fakes.provider_server import FakeProviders, point_at
from videotheque.commands.adapters.providers import tmdb, tvdb
from videotheque.commands.adapters.providers.base import Candidate, ProviderError
from videotheque.commands.adapters.providers.http import ProviderHttp, RetryPolicy, Secret

DEEP = b"[" * 200_000 + b"]" * 200_000


@pytest.fixture
def server() -> Iterator[FakeProviders]:
    with FakeProviders(CATALOGUE) as fake:
        yield fake


@pytest.fixture
def library(sqlite_lib: Lib, server: FakeProviders, monkeypatch: pytest.MonkeyPatch) -> Lib:
    point_at(server, monkeypatch, sqlite_lib.home, "retries = 1\n")
    for rel in FILES:
        sqlite_lib.write(rel)
    assert sqlite_lib.cli("import").exit_code == 0
    return sqlite_lib


def test_bad_answers_fail_their_file_and_the_run_goes_on(
    library: Lib, server: FakeProviders
) -> None:
    server.answer_with("/search/movie", "dune", DEEP)
    server.answer_with(
        "/search/movie",
        "vad",
        json.dumps({"page": 1, "results": [{"id": True, "title": "Les Évadés"}]}).encode(),
    )
    server.answer_with(
        "/search/movie", "vacances", b'{"page": 1, "results": 7, "total_results": "x"}'
    )
    result = library.cli("enrich", "--json")
    assert result.exit_code == 1, result.output  # per-file failures, the run finished
    out = json.loads(result.stdout)
    assert out["failed"] == 1
    assert "nested too deep" in result.stderr and "Dune.mkv" in result.stderr
    rows = catalog(library)
    assert rows["Films/Dune.mkv"]["match_status"] == "failed"
    # {"id": true} is no candidate at all: nothing matched, the file waits in the queue.
    assert rows["Films/Les Évadés (1994).mkv"]["provider"] is None
    assert rows["Films/Vacances Bretagne 2019.mp4"]["provider"] is None
    # The other files were matched in the same run.
    assert rows["Films/Matrix (1999)/Matrix.1999.1080p.mkv"]["provider_id"] == "603"
    assert {r["provider_id"] for p, r in rows.items() if p.startswith("Series/")} == {"81189"}
    runs = library.json("runs")
    assert runs[0]["command"] == "enrich" and runs[0]["status"] != "unfinished"


# -- fuzzing the parsers ------------------------------------------------------------

JSON_LEAF = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
TMDB_KEYS = ["id", "title", "original_title", "name", "original_name", "release_date",
             "first_air_date", "popularity", "runtime", "imdb_id", "alternative_titles",
             "translations", "external_ids", "results", "titles", "data", "tvdb_id"]  # fmt: skip
TVDB_KEYS = ["id", "tvdb_id", "name", "type", "primary_type", "translations", "aliases",
             "slug", "remote_ids", "remoteIds", "year", "first_air_time", "firstAired",
             "nameTranslations", "language"]  # fmt: skip


def _records(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Records with the fields a parser reads, each of any JSON type (nested too)."""
    value = JSON | st.dictionaries(st.sampled_from(keys), JSON, max_size=4)
    return st.dictionaries(st.sampled_from(keys), value, max_size=len(keys))


def _only_provider_errors(fn: Any, *args: Any) -> None:
    try:
        result = fn(*args)
    except ProviderError:
        return
    assert result is None or isinstance(result, Candidate)
    if isinstance(result, Candidate):
        assert isinstance(result.provider_id, str) and result.provider_id.isdigit()
        assert result.year is None or isinstance(result.year, int)
        assert all(isinstance(t, str) for t in result.names())


@settings(max_examples=150, deadline=None)
@given(_records(TMDB_KEYS))
def test_tmdb_parsers_raise_only_provider_errors(body: dict[str, Any]) -> None:
    _only_provider_errors(tmdb.parse_movie, body)
    _only_provider_errors(tmdb.parse_tv, body)


@settings(max_examples=150, deadline=None)
@given(_records(TVDB_KEYS))
def test_tvdb_parsers_raise_only_provider_errors(body: dict[str, Any]) -> None:
    client = tvdb.TvdbClient(_http("tvdb"), Secret("key"))
    _only_provider_errors(client.parse_search, body)
    _only_provider_errors(client.parse_extended, body)


def _http(provider: str, transport: Any = None) -> ProviderHttp:
    return ProviderHttp(
        provider, "http://127.0.0.1:9", rate=1000, retry=RetryPolicy(attempts=1),
        transport=transport,
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(JSON | _records(TMDB_KEYS) | _records(TVDB_KEYS))
def test_client_methods_raise_only_provider_errors(answer: Any) -> None:
    """Every client method, whatever JSON the server sends back (over httpx's mock
    transport: the bytes go through the real decoding)."""
    import httpx

    body = json.dumps(answer, allow_nan=True).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))

    async def run() -> None:
        async with _http("tmdb", transport) as http:
            client = tmdb.TmdbClient(http)
            for call in (
                client.search_movie("x"), client.search_tv("x"), client.movie("1"),
                client.tv("1"), client.find_imdb("tt1", "movie"), client.find_imdb("tt1", "series"),
            ):  # fmt: skip
                try:
                    await call
                except ProviderError:
                    pass
        async with _http("tvdb", transport) as http:
            tv = tvdb.TvdbClient(http, Secret("key"))
            tv._set_token("token")
            for call in (
                tv.search_series("x"),
                tv.series("1"),
                tv.find_imdb("tt1"),
                tv.episodes("1", 1),
            ):
                try:
                    await call
                except ProviderError:
                    pass

    asyncio.run(run())


# -- Retry-After: a budget per request ----------------------------------------------


def _budget(lib: Lib, seconds: float) -> None:
    config = lib.home / "config.toml"
    config.write_text(
        config.read_text().replace("[enrich]\n", f"[enrich]\nmax_wait = {seconds}\n", 1)
    )


def test_a_far_retry_after_fails_the_files_at_once(library: Lib, server: FakeProviders) -> None:
    _budget(library, 5)
    server.storm(3600, retry_after=86400)
    result = library.cli("enrich", "--json")
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    assert out["failed"] == len(FILES) and out["enriched"] == 0
    assert "asked to wait 86400 s; gave up after 0 s" in result.stderr
    assert "max_wait" in result.stderr
    # Nobody hammered the server: the first refusal paused the provider for the run.
    assert server.rejected["tmdb"] + server.rejected["tvdb"] <= 2 * 8  # what was in flight
    statuses = {r["match_status"] for r in catalog(library).values()}
    assert statuses == {"failed"}


def test_waits_within_the_budget_are_waited(library: Lib, server: FakeProviders) -> None:
    _budget(library, 30)
    server.storm(1.0, retry_after=1)
    result = library.cli("enrich", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["failed"] == 0
    assert server.rejected["tmdb"] + server.rejected["tvdb"] >= 1


def test_refusals_without_retry_after_stop_at_the_budget(
    library: Lib, server: FakeProviders
) -> None:
    config = library.home / "config.toml"
    config.write_text(config.read_text().replace("retries = 1\n", "retries = 20\n"))
    _budget(library, 1)
    server.storm(3600)
    result = library.cli("enrich", "--limit", "1", "--json")
    assert result.exit_code == 1, result.output
    assert "kept refusing; gave up after" in result.stderr
    assert json.loads(result.stdout)["failed"] == 1
