"""`enrich` tries the other readings a name keeps (issue 12), against the fake TMDB server.

"2001.A.Space.Odyssey.mkv" reads as "A Space Odyssey" (2001) first and as "2001 A Space
Odyssey" second: the provider knows only the second, so that one is matched. A name whose
readings are all unknown stays unmatched; a film and its files never get a wrong match.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from tests.conftest import Lib
from tests.fakes.provider_server import FakeProviders, point_at

CATALOGUE = {
    "films": [
        {"tmdb_id": 62, "title": "2001: A Space Odyssey", "original_title": "2001: A Space Odyssey",
         "year": 1968, "popularity": 40, "translations": {"en": "2001: A Space Odyssey"},
         "alt_titles": []},
        {"tmdb_id": 335984, "title": "Blade Runner 2049", "original_title": "Blade Runner 2049",
         "year": 2017, "popularity": 60, "translations": {"en": "Blade Runner 2049"},
         "alt_titles": []},
    ],
    "series": [],
}  # fmt: skip

FILES = [
    "Downloads/2001.A.Space.Odyssey.mkv",
    "Downloads/Blade.Runner.2049.mkv",
    "Downloads/1984.Unknown.Film.mkv",
    "Home videos/IMG_1234.MOV",
]


@pytest.fixture
def server() -> Iterator[FakeProviders]:
    with FakeProviders(CATALOGUE) as fake:
        yield fake


@pytest.fixture
def library(sqlite_lib: Lib, server: FakeProviders, monkeypatch: pytest.MonkeyPatch) -> Lib:
    point_at(server, monkeypatch, sqlite_lib.home, "retries = 2\ntimeout = 2\n")
    for rel in FILES:
        sqlite_lib.write(rel)
    result = sqlite_lib.cli("import")
    assert result.exit_code == 0, result.output
    return sqlite_lib


def rows(lib: Lib) -> dict[str, dict[str, Any]]:
    return {name_of(row["path"]): row for row in lib.json("catalog")}


def name_of(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def test_the_readings_are_stored_with_the_parse_and_projected(library: Lib) -> None:
    catalog = rows(library)
    assert catalog["IMG_1234.MOV"]["kind"] == "other"
    listed = library.cli("catalog", "--kind", "other", "--json")
    assert listed.exit_code == 0, listed.output
    others = json.loads(listed.output)
    assert [name_of(r["path"]) for r in others] == ["IMG_1234.MOV"]
    db = next(library.home.rglob("*.duckdb"))
    with duckdb.connect(str(db), read_only=True) as con:
        stored = dict(con.execute("SELECT title, alternatives FROM catalog_files").fetchall())
    assert json.loads(stored["A Space Odyssey"]) == [
        {"kind": "movie", "title": "2001 A Space Odyssey", "year": None}
    ]
    assert json.loads(stored["Blade Runner 2049"]) == [
        {"kind": "movie", "title": "Blade Runner", "year": 2049}
    ]


def test_enrich_tries_the_other_reading_when_the_first_finds_nothing(library: Lib) -> None:
    out = library.json("enrich")
    assert (out["enriched"], out["failed"]) == (2, 0)
    catalog = rows(library)
    odyssey = catalog["2001.A.Space.Odyssey.mkv"]
    assert (odyssey["match_status"], odyssey["provider_id"]) == ("enriched", "62")
    blade = catalog["Blade.Runner.2049.mkv"]
    assert (blade["match_status"], blade["provider_id"]) == ("enriched", "335984")
    # every reading unknown to the provider: no match, never a wrong one
    assert catalog["1984.Unknown.Film.mkv"]["match_status"] != "enriched"
    # a home video is not sent to the provider at all
    assert catalog["IMG_1234.MOV"]["match_status"] is None
