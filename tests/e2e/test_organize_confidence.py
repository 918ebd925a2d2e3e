"""`organize` places a file only when its identity is confident, and lists every other one
with its reason (text output and --json); `enrich` never searches for files of kind other.

Through the CLI, with real files in tmp_path, real symlinks in the video tree and the fake
TMDB/TVDB server. Files of kind ``other`` come from the parser's rules for home videos and
dated clips; here a stand-in parser gives that kind to whatever is under ``Home videos/``,
so these tests do not depend on those rules.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

import videotheque.commands.adapters.naming
from tests.conftest import Lib
from tests.fakes.provider_server import FakeProviders, point_at
from videotheque.commands.adapters.naming import parse_many

CATALOGUE = {
    "films": [
        {"tmdb_id": 438631, "title": "Dune", "original_title": "Dune", "year": 2021,
         "popularity": 150, "translations": {"en": "Dune"}, "alt_titles": []},
        {"tmdb_id": 841, "title": "Dune", "original_title": "Dune", "year": 1984,
         "popularity": 35, "translations": {"en": "Dune"}, "alt_titles": []},
        {"tmdb_id": 949, "title": "Heat", "original_title": "Heat", "year": 1995,
         "popularity": 60, "translations": {"en": "Heat"}, "alt_titles": []},
    ],
    "series": [],
}  # fmt: skip

PLACED = {
    # a documented layout (the fast path reads it)
    "Films/Heat (1995)/Heat (1995) Bluray-1080p.mkv": "Films/Heat (1995)/Heat (1995).mkv",
    # a season folder under the show's folder
    "Series/Kaamelott/Livre 1/Kaamelott.S01E02.mkv": (
        "Series/Kaamelott/Season 01/Kaamelott - S01E02.mkv"
    ),
    # a film with a title and a year
    "Films/Alien.1979.1080p.BluRay.x264.mkv": "Films/Alien (1979)/Alien (1979).mkv",
}
REFUSED = {
    "Downloads/movie.mkv": "kind other",  # no title in the name: the parser says other
    "Films/Dune.mkv": "no year and not matched",
    "Films/Heat (1995)/Heat (1995)-trailer.mkv": "extra (trailer)",
    "Home videos/Birthday.mp4": "kind other",
}
# An episode title taken for the show ("Pilot"): the parser's rules may read it better, but
# whatever they read, a file outside a season folder and not named "Show S01E01" stays put.
FLAT_EPISODE = "Series/Breaking Bad/S01E01 - Pilot.mkv"


def parse_with_home_videos(paths: list[str]) -> list[dict[str, Any]]:
    """The real parser, except that files under ``Home videos/`` are of kind other."""
    out = []
    for path, name in zip(paths, parse_many(paths), strict=True):
        if path.startswith("Home videos/"):
            name = {**name, "kind": "other", "season": None, "episode": None, "episodes": []}
            name["extra"] = None
        out.append(name)
    return out


@pytest.fixture
def server() -> Iterator[FakeProviders]:
    with FakeProviders(CATALOGUE) as fake:
        yield fake


@pytest.fixture
def library(sqlite_lib: Lib, server: FakeProviders, monkeypatch: pytest.MonkeyPatch) -> Lib:
    point_at(server, monkeypatch)
    monkeypatch.setattr(
        videotheque.commands.adapters.naming, "default_parser", lambda: parse_with_home_videos
    )
    for rel in [*PLACED, *REFUSED, FLAT_EPISODE]:
        sqlite_lib.write(rel)
    result = sqlite_lib.cli("import")
    assert result.exit_code == 0, result.output
    return sqlite_lib


def test_only_confident_identities_are_placed_and_the_rest_is_listed_with_reasons(
    library: Lib,
) -> None:
    lib = library
    report = lib.json("organize")
    created = {c["target_path"]: c["link"] for c in report["created"]}
    assert created == PLACED
    for target, link in PLACED.items():
        assert (lib.video / link).is_symlink()
        assert os.path.realpath(lib.video / link) == os.path.realpath(lib.storage / target)
    unplaced = {u["path"]: u["reason"] for u in report["unplaced"]}
    assert {p: unplaced[p] for p in REFUSED} == REFUSED
    assert unplaced[FLAT_EPISODE] in (
        "episode outside a show or season layout and not matched",  # read as show "Pilot"
    )
    assert set(unplaced) == {*REFUSED, FLAT_EPISODE}
    # nothing was made for them anywhere in the video tree
    linked = {os.path.realpath(os.path.join(d, f)) for d, _, fs in os.walk(lib.video) for f in fs}
    assert not linked & {os.path.realpath(lib.storage / p) for p in unplaced}


def test_the_text_output_lists_what_is_not_placed_and_why(library: Lib) -> None:
    result = library.cli("organize", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "not placed: 5 files" in lines
    for path, reason in REFUSED.items():
        assert f"  {path}: {reason}" in lines
    assert any(line.startswith(f"  {FLAT_EPISODE}: ") for line in lines)
    assert lines[-1].endswith("5 files without a place")


def test_a_film_matched_by_enrich_or_validated_is_placed(library: Lib) -> None:
    lib = library
    plan = lib.json("enrich", "--dry-run")
    assert plan["skipped_other"] == 2  # the home video, and Downloads/movie.mkv
    searched = {o["path"] for o in plan["outcomes"]}
    assert "Films/Dune.mkv" in searched and "Home videos/Birthday.mp4" not in searched
    out = lib.json("enrich")
    assert out["skipped_other"] == 2
    # the home video is neither searched for nor queued for a person
    assert "Home videos/Birthday.mp4" not in {e["path"] for e in lib.json("pending")}

    report = lib.json("organize")
    unplaced = {u["path"]: u["reason"] for u in report["unplaced"]}
    assert "Films/Dune.mkv" in unplaced  # two Dunes: queued for a person, not matched
    assert unplaced["Downloads/movie.mkv"] == "kind other"  # never searched for

    result = lib.cli("validate", "Films/Dune.mkv", "--choose", "2")
    assert result.exit_code == 0, result.output
    again = lib.json("organize")
    made = {c["target_path"]: c["link"] for c in again["created"]}
    assert made == {"Films/Dune.mkv": "Films/Dune (1984)/Dune (1984).mkv"}
    assert os.path.realpath(lib.video / "Films/Dune (1984)/Dune (1984).mkv") == (
        os.path.realpath(lib.storage / "Films/Dune.mkv")
    )
    assert "Films/Dune.mkv" not in {u["path"] for u in again["unplaced"]}
