"""`enrich` weighs the file's duration (MediaInfo, recorded at import) against runtimes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from tests.conftest import Lib
from tests.fakes.provider_server import FakeProviders
from videotheque.commands.bootstrap import open_session

# Two films of one title and one year (a feature and a TV film), and The Matrix.
CATALOGUE = {
    "films": [
        {"tmdb_id": 1001, "title": "The Return", "original_title": "The Return", "year": 2003,
         "popularity": 10, "translations": {"en": "The Return"}, "alt_titles": [],
         "runtime": 105},
        {"tmdb_id": 1002, "title": "The Return", "original_title": "The Return", "year": 2003,
         "popularity": 10, "translations": {"en": "The Return"}, "alt_titles": [],
         "runtime": 52},
        {"tmdb_id": 603, "title": "The Matrix", "original_title": "The Matrix", "year": 1999,
         "popularity": 85, "translations": {"en": "The Matrix", "fr": "Matrix"},
         "alt_titles": [], "imdb_id": "tt0133093", "runtime": 136},
    ],
}  # fmt: skip

# path -> duration in seconds as MediaInfo would have read it (None: not analysed).
FILES: dict[str, float | None] = {
    "Films/Cinema/The.Return.2003.1080p.mkv": 104 * 60.0,
    "Films/Telefilm/The.Return.2003.720p.mkv": 51 * 60.0,
    "Films/Unknown/The.Return.2003.mkv": None,
    "Films/The.Matrix.1999.mkv": 9 * 60.0,  # a sample of a 136-minute film
}


@pytest.fixture
def server() -> Iterator[FakeProviders]:
    with FakeProviders(CATALOGUE) as fake:
        yield fake


def _facts(duration_s: float) -> dict[str, Any]:
    return {
        "status": "ok", "reason": None, "container": "Matroska", "duration_s": duration_s,
        "truncated": False, "mediainfo_version": "24.12",
        "video": {"codec": "AVC", "width": 1920, "height": 1080, "frame_rate": 24.0,
                  "hdr": None},
        "audio": [], "subtitles": [],
    }  # fmt: skip


@pytest.fixture
def library(sqlite_lib: Lib, server: FakeProviders, monkeypatch: pytest.MonkeyPatch) -> Lib:
    for name in ("TMDB_API_KEY", "TMDB_READ_TOKEN", "TVDB_API_KEY", "TVDB_PIN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in server.env(tvdb=False).items():
        monkeypatch.setenv(name, value)
    for rel in FILES:
        sqlite_lib.write(rel)
    result = sqlite_lib.cli("import")
    assert result.exit_code == 0, result.output
    ids = {row["path"]: row["file_id"] for row in sqlite_lib.json("catalog")}
    # The files are sparse (MediaInfo finds nothing): record what a real analysis would.
    with open_session(sqlite_lib.home) as session:
        run = session.start_run("analyze", {})
        files = []
        for rel, duration in FILES.items():
            if duration is not None:
                file: Any = session.library.repository.get(UUID(str(ids[rel])))
                file.record_analysis(rel, _facts(duration), run.run_id)
                files.append(file)
        session.save(*files)
        session.finish_run({}, 0)
    return sqlite_lib


def test_the_duration_decides_between_same_titled_films_and_flags_a_sample(
    library: Lib, server: FakeProviders
) -> None:
    result = library.cli("enrich")
    assert result.exit_code == 0, result.output
    rows = {row["path"]: row for row in library.json("catalog")}
    assert rows["Films/Cinema/The.Return.2003.1080p.mkv"]["provider_id"] == "1001"
    assert rows["Films/Telefilm/The.Return.2003.720p.mkv"]["provider_id"] == "1002"
    # Without a duration there is no evidence: the two films stay undecided.
    assert rows["Films/Unknown/The.Return.2003.mkv"]["match_status"] == "pending"
    # Search results carry no runtime: the tied candidates' details were fetched, once per
    # file with a duration (the undated one asks nothing more).
    assert server.paths["tmdb /movie/1001"] == server.paths["tmdb /movie/1002"] == 2

    # The sample is matched (the name is right) but flagged, on stderr and in the event.
    matrix = rows["Films/The.Matrix.1999.mkv"]
    assert (matrix["provider_id"], matrix["match_status"]) == ("603", "enriched")
    assert server.paths["tmdb /movie/603"] == 1  # its runtime, to know it is a sample
    assert "short: Films/The.Matrix.1999.mkv: the file lasts 9 min, its match 136 min" in (
        result.stderr
    )
    with open_session(library.home) as session:
        events = session.library.repository.event_store.get(UUID(str(matrix["file_id"])))
        enriched: list[Any] = [e for e in events if type(e).__name__ == "Enriched"]
    assert len(enriched) == 1
    assert any("sample or an interrupted download" in n for n in enriched[0].query["notes"])
    assert "short:" not in result.stderr.replace("short: Films/The.Matrix", "")
