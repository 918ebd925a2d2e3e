"""``enrich`` with an in-process provider: a clear match is recorded, a doubtful one waits
in the validation queue with its candidates, and a home video is never sent to a provider."""

from __future__ import annotations

from typing import Any

from tests.fakes.parsers import episode, home_video, movie, parse_from
from tests.fakes.providers import film, resolver, show
from tests.usecases.world import World
from videotheque.commands.usecases.enricher import EnrichOptions, EnrichReport, enrich
from videotheque.commands.usecases.importer import import_storage

NAMES = {
    "Films/Heat.1995.mkv": movie("Heat", 1995),
    "Films/Solaris.mkv": movie("Solaris"),
    "Films/Nowhere.2011.mkv": movie("Nowhere To Be Found", 2011),
    "Series/Dark/Dark.S01E01.mkv": episode("Dark", 1, 1),
    "Series/Dark/Dark.S01E02.mkv": episode("Dark", 1, 2),
    "Home/2019-07-14 plage.mp4": home_video("2019-07-14 plage"),
}
TITLES = [
    film("949", "Heat", 1995, popularity=30.0),
    film("593", "Solaris", 1972, popularity=10.0),
    film("2103", "Solaris", 2002, popularity=12.0),
    show("70523", "Dark", 2017),
]


def catalogued(world: World) -> dict[str, dict[str, Any]]:
    for path in NAMES:
        world.write(path)
    import_storage(world.session(), parser=parse_from(NAMES))
    return world.catalog()


def enriched(
    world: World, down_for: tuple[str, ...] = (), **options: Any
) -> tuple[EnrichReport, list[str]]:
    """Run enrich against the fake TMDB; the report and the titles it searched for."""
    found, tmdb = resolver(TITLES, down_for=down_for)
    report = enrich(world.session(), EnrichOptions(**options), resolver=found)
    return report, tmdb.searched()


def test_a_clear_match_is_recorded_on_the_file(world: World) -> None:
    files = catalogued(world)
    before = world.position()
    report, _ = enriched(world)

    heat = files["Films/Heat.1995.mkv"]["file_id"]
    (event,) = [e for e in world.events(before) if e.originator_id == heat]
    assert event.type == "Enriched"
    assert (event.data["provider"], event.data["provider_id"]) == ("tmdb", "949")
    assert event.data["run_id"] == report.run_id
    (row,) = world.rows("SELECT * FROM enrichment WHERE file_id = ?", [heat])
    assert (row["match_status"], row["provider_id"], row["canonical_title"]) == (
        "enriched", "949", "Heat",
    )  # fmt: skip
    shows = {world.catalog()[p]["provider_id"] for p in NAMES if p.startswith("Series/")}
    assert shows == {"70523"}


def test_a_doubtful_match_waits_in_the_queue_with_its_candidates(world: World) -> None:
    files = catalogued(world)
    before = world.position()
    report, _ = enriched(world)

    solaris = files["Films/Solaris.mkv"]["file_id"]
    assert [e.type for e in world.events(before) if e.originator_id == solaris] == [
        "MatchAmbiguous"
    ]
    (row,) = world.rows("SELECT reason, candidates FROM pending WHERE file_id = ?", [solaris])
    assert row["reason"] == "ambiguous"
    assert "593" in row["candidates"] and "2103" in row["candidates"]
    assert world.catalog()["Films/Solaris.mkv"]["match_status"] == "pending"
    # nothing found at all: queued too, without candidates
    nowhere = files["Films/Nowhere.2011.mkv"]["file_id"]
    assert [e.type for e in world.events(before) if e.originator_id == nowhere] == ["NoMatch"]
    assert (report.enriched, report.ambiguous, report.no_match, report.failed) == (3, 1, 1, 0)


def test_a_home_video_is_never_sent_to_a_provider(world: World) -> None:
    files = catalogued(world)
    before = world.position()
    report, searched = enriched(world)

    home = files["Home/2019-07-14 plage.mp4"]["file_id"]
    assert [e for e in world.events(before) if e.originator_id == home] == []
    assert report.skipped_other == 1
    assert not any("plage" in title for title in searched)
    assert searched.count("Dark") == 1  # the episodes of one show share one search


def test_a_second_run_leaves_decided_files_alone(world: World) -> None:
    catalogued(world)
    enriched(world)
    before = world.position()
    report, searched = enriched(world)
    assert searched == []
    assert (report.enriched, report.ambiguous, report.no_match) == (0, 0, 0)
    assert world.types(before) == []


def test_a_provider_failure_is_recorded_and_the_file_tried_again_next_run(
    world: World,
) -> None:
    files = catalogued(world)
    heat = files["Films/Heat.1995.mkv"]["file_id"]
    before = world.position()
    report, _ = enriched(world, down_for=("Heat",))
    assert report.failed == 1 and report.exit_code == 1
    (failed,) = [e for e in world.events(before) if e.originator_id == heat]
    assert failed.type == "EnrichmentFailed" and "503" in failed.data["reason"]
    (row,) = world.rows("SELECT match_status, failures FROM enrichment WHERE file_id = ?", [heat])
    assert row == {"match_status": "failed", "failures": 1}

    report, searched = enriched(world)
    assert searched == ["Heat"] and report.enriched == 1
    assert world.catalog()["Films/Heat.1995.mkv"]["provider_id"] == "949"


def test_a_dry_run_records_nothing(world: World) -> None:
    catalogued(world)
    before = world.position()
    report, searched = enriched(world, dry_run=True)
    assert report.enriched == 3 and report.run_id is None
    assert "Heat" in searched
    assert world.position() == before
    assert world.rows("SELECT * FROM enrichment") == []
