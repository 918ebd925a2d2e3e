"""`enrich`, `pending` and `validate` through the CLI against the fake TMDB/TVDB server."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Lib
from tests.fakes.provider_server import TMDB_KEY, TVDB_KEY, FakeProviders, point_at

CATALOGUE = {
    "films": [
        {"tmdb_id": 603, "title": "The Matrix", "original_title": "The Matrix", "year": 1999,
         "popularity": 85, "translations": {"en": "The Matrix", "fr": "Matrix"},
         "alt_titles": [], "imdb_id": "tt0133093"},
        {"tmdb_id": 278, "title": "The Shawshank Redemption",
         "original_title": "The Shawshank Redemption", "year": 1994, "popularity": 90,
         "translations": {"en": "The Shawshank Redemption", "fr": "Les Évadés"},
         "alt_titles": [], "imdb_id": "tt0111161"},
        {"tmdb_id": 438631, "title": "Dune", "original_title": "Dune", "year": 2021,
         "popularity": 150, "translations": {"en": "Dune"}, "alt_titles": []},
        {"tmdb_id": 841, "title": "Dune", "original_title": "Dune", "year": 1984,
         "popularity": 35, "translations": {"en": "Dune"}, "alt_titles": []},
    ],
    "series": [
        {"tvdb_id": 81189, "tmdb_id": 1396, "name": "Breaking Bad", "original_name": "Breaking Bad",
         "year": 2008, "popularity": 300, "translations": {"en": "Breaking Bad"},
         "alt_titles": [], "imdb_id": "tt0903747"},
    ],
}  # fmt: skip

FILES = [
    "Films/Matrix (1999)/Matrix.1999.1080p.mkv",
    "Films/Les Évadés (1994).mkv",
    "Films/Dune.mkv",
    "Films/Vacances Bretagne 2019.mp4",
    "Series/Breaking Bad/Season 1/Breaking.Bad.S01E01.mkv",
    "Series/Breaking Bad/Season 1/Breaking.Bad.S01E02.mkv",
]


@pytest.fixture
def server() -> Iterator[FakeProviders]:
    with FakeProviders(CATALOGUE) as fake:
        yield fake


@pytest.fixture
def library(sqlite_lib: Lib, server: FakeProviders, monkeypatch: pytest.MonkeyPatch) -> Lib:
    # Quick retries for the tests (a user may tune these in config.toml as well).
    point_at(server, monkeypatch, sqlite_lib.home, "retries = 2\ntimeout = 2\n")
    for rel in FILES:
        sqlite_lib.write(rel)
    result = sqlite_lib.cli("import")
    assert result.exit_code == 0, result.output
    return sqlite_lib


def catalog(lib: Lib) -> dict[str, dict[str, Any]]:
    return {row["path"]: row for row in lib.json("catalog")}


def test_enrich_records_matches_and_queues_the_rest(library: Lib, server: FakeProviders) -> None:
    out = library.json("enrich")
    assert set(out) == {"run_id", "enriched", "ambiguous", "no_match", "failed", "skipped",
                        "skipped_other", "requests", "retries"}  # fmt: skip
    assert (out["enriched"], out["ambiguous"], out["no_match"], out["failed"]) == (4, 1, 1, 0)
    assert out["requests"] == server.total() and out["retries"] == 0

    rows = catalog(library)
    matrix = rows["Films/Matrix (1999)/Matrix.1999.1080p.mkv"]
    assert (matrix["provider"], matrix["provider_id"], matrix["match_status"]) == (
        "tmdb", "603", "enriched",
    )  # fmt: skip
    assert (matrix["canonical_title"], matrix["canonical_year"]) == ("Matrix", 1999)
    assert rows["Films/Les Évadés (1994).mkv"]["provider_id"] == "278"
    episodes = [r for p, r in rows.items() if p.startswith("Series/")]
    assert {(r["provider"], r["provider_id"]) for r in episodes} == {("tvdb", "81189")}
    assert rows["Films/Dune.mkv"]["match_status"] == "pending"
    assert rows["Films/Dune.mkv"]["provider"] is None
    # Both episodes of the show were resolved by one search.
    assert server.paths["tvdb /search"] == 1

    queue = library.json("pending")
    assert [(e["path"], e["reason"]) for e in queue] == [
        ("Films/Dune.mkv", "ambiguous"),
        ("Films/Vacances Bretagne 2019.mp4", "no_match"),
    ]
    assert [(c["n"], c["provider_id"]) for c in queue[0]["candidates"][:2]] == [
        (1, "438631"), (2, "841"),
    ]  # fmt: skip

    # A second run skips what is decided and asks the provider nothing.
    before = server.total()
    again = library.json("enrich")
    assert (again["enriched"], again["skipped"], again["requests"]) == (0, 6, 0)
    assert server.total() == before


def test_validate_choose_reject_and_follow_moves(library: Lib, server: FakeProviders) -> None:
    library.json("enrich")
    result = library.cli("validate", "Films/Dune.mkv", "--choose", "2")
    assert result.exit_code == 0, result.output
    assert "validated tmdb:841 Dune (1984)" in result.stdout
    dune = catalog(library)["Films/Dune.mkv"]
    assert (dune["match_status"], dune["provider_id"], dune["canonical_year"]) == (
        "validated", "841", 1984,
    )  # fmt: skip
    assert [e["path"] for e in library.json("pending")] == ["Films/Vacances Bretagne 2019.mp4"]

    # The choice belongs to the content: it follows the file to its new name.
    os.rename(library.storage / "Films/Dune.mkv", library.storage / "Films/Dune (1984).mkv")
    assert library.cli("import").exit_code == 0
    moved = catalog(library)["Films/Dune (1984).mkv"]
    assert (moved["match_status"], moved["provider_id"]) == ("validated", "841")
    assert library.json("enrich")["requests"] == 0

    # Reject an automatic match: it is never proposed again, even when searched anew.
    result = library.cli("validate", "Films/Matrix (1999)/Matrix.1999.1080p.mkv", "--reject")
    assert result.exit_code == 0 and "rejected tmdb:603" in result.stdout
    assert catalog(library)["Films/Matrix (1999)/Matrix.1999.1080p.mkv"]["match_status"] is None
    retry = library.json("enrich", "--retry-pending")
    assert retry["enriched"] == 0
    queued = {e["path"]: e for e in library.json("pending")}
    matrix = queued["Films/Matrix (1999)/Matrix.1999.1080p.mkv"]
    assert all(c["provider_id"] != "603" for c in matrix["candidates"])
    assert matrix["rejected"] == ["tmdb:603"]


def test_validate_by_id_fetches_the_title(library: Lib) -> None:
    library.json("enrich")
    result = library.cli("validate", "Films/Vacances Bretagne 2019.mp4", "--id", "tmdb:278")
    assert result.exit_code == 0, result.output
    row = catalog(library)["Films/Vacances Bretagne 2019.mp4"]
    assert (row["match_status"], row["canonical_title"], row["canonical_year"]) == (
        "validated", "Les Évadés", 1994,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("tmdb:12345", "TMDB has no film with this id"),  # a typo: the provider says 404
        ("tmdb:\u0661\u0662", "a tmdb id is a number"),  # digits, but no provider's
        ("tmdb:\u00b2", "a tmdb id is a number"),
        ("tmdb:0", "a tmdb id is a number"),
    ],
)
def test_validate_by_an_id_nobody_has_records_nothing(library: Lib, key: str, message: str) -> None:
    library.json("enrich")
    before = catalog(library)["Films/Vacances Bretagne 2019.mp4"]
    result = library.cli("validate", "Films/Vacances Bretagne 2019.mp4", "--id", key)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert catalog(library)["Films/Vacances Bretagne 2019.mp4"] == before


def test_interactive_validation_loop(library: Lib) -> None:
    library.json("enrich")
    result = library.cli("validate", input="1\ns\n")
    assert result.exit_code == 0, result.output
    assert "1. tmdb:438631 Dune (2021)" in result.stdout
    assert catalog(library)["Films/Dune.mkv"]["provider_id"] == "438631"
    assert [e["path"] for e in library.json("pending")] == ["Films/Vacances Bretagne 2019.mp4"]


def test_validate_usage_errors(library: Lib) -> None:
    library.json("enrich")
    assert library.cli("validate", "--choose", "1").exit_code == 2
    assert library.cli("validate", "Films/Dune.mkv", "--choose", "9").exit_code == 2
    assert library.cli("validate", "Films/Dune.mkv", "--id", "imdb:1").exit_code == 2
    assert library.cli("validate", "Films/Dune.mkv", "--reject", "--skip").exit_code == 2
    assert library.cli("validate", "Films/Nope.mkv", "--skip").exit_code == 2


def test_failures_are_recorded_and_retried_next_run(library: Lib, server: FakeProviders) -> None:
    server.malformed_next(1)
    result = library.cli("enrich", "--limit", "1", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["failed"] == 1
    assert "malformed JSON" in result.stderr
    failed = [p for p, r in catalog(library).items() if r["match_status"] == "failed"]
    assert len(failed) == 1
    assert sum(r["match_status"] is not None for r in catalog(library).values()) == 1
    # The next run takes the oldest import first again: the failed file, now answered.
    again = library.json("enrich", "--limit", "1")
    assert again["failed"] == 0 and again["enriched"] + again["ambiguous"] == 1
    assert catalog(library)[failed[0]]["match_status"] in ("enriched", "pending")


def test_a_refused_key_stops_the_run_and_marks_nothing_failed(
    library: Lib, server: FakeProviders
) -> None:
    with server.refusing():
        result = library.cli("enrich")
    assert result.exit_code == 2
    assert "refused the credentials" in result.stderr
    assert TMDB_KEY not in result.output + result.stderr
    assert all(r["match_status"] is None for r in catalog(library).values())
    runs = library.json("runs")
    assert runs[0]["command"] == "enrich" and runs[0]["exit_code"] == 2


def test_no_secret_in_the_event_store(library: Lib, server: FakeProviders) -> None:
    server.malformed_next(1)
    library.cli("enrich")
    raw = (library.home / "events.sqlite").read_bytes()
    assert TMDB_KEY.encode() not in raw and TVDB_KEY.encode() not in raw
    token = (library.home / "tvdb-token.json").read_text()
    assert TVDB_KEY not in token


def test_dry_run_records_nothing(library: Lib) -> None:
    result = library.cli("enrich", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: would record: 4 enriched" in result.stdout
    assert all(r["match_status"] is None for r in catalog(library).values())


def test_offline_nfo_provider(sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TMDB_API_KEY", "TMDB_READ_TOKEN", "TVDB_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    film = sqlite_lib.write("Films/Matrix (1999)/Matrix.mkv")
    (film.parent / "movie.nfo").write_text(
        "<movie><title>Matrix</title><originaltitle>The Matrix</originaltitle>"
        '<year>1999</year><uniqueid type="tmdb">603</uniqueid></movie>'
    )
    bad = sqlite_lib.write("Films/Bad/Bad.mkv")
    (bad.parent / "Bad.nfo").write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><movie><title>&a;</title></movie>'
    )
    sqlite_lib.write("Films/Other.mkv")
    assert sqlite_lib.cli("import").exit_code == 0
    out = sqlite_lib.json("enrich", "--provider", "nfo")
    assert (out["enriched"], out["no_match"], out["skipped"], out["requests"]) == (1, 1, 1, 0)
    rows = catalog(sqlite_lib)
    matrix = rows["Films/Matrix (1999)/Matrix.mkv"]
    assert (matrix["provider"], matrix["provider_id"], matrix["canonical_title"]) == (
        "nfo", "tmdb:603", "Matrix",
    )  # fmt: skip
    refused = sqlite_lib.json("pending")[0]
    assert "billion-laughs" in " ".join(refused["query"]["notes"])


def test_bad_options(library: Lib) -> None:
    assert library.cli("enrich", "--provider", "imdb").exit_code == 2
    assert library.cli("enrich", "--rate", "tmdb=0").exit_code == 2
    assert library.cli("enrich", "--rate", "foo=3").exit_code == 2
