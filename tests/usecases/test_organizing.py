"""``organize``: the video tree made from the catalog (relative links at the templates'
paths, correct links left alone, a path held by something else left alone); a dry run
changes nothing."""

from __future__ import annotations

import os

from tests.fakes.parsers import episode, home_video, movie, parse_from
from tests.link_tree import snapshot
from tests.usecases.world import World
from videotheque.commands.usecases.importer import import_storage
from videotheque.commands.usecases.organizer import organize

HEAT = "Films/Heat (1995)/Heat (1995).mkv"
EPISODE = "Series/Kaamelott (2005)/Season 01/Kaamelott - S01E02.mkv"
NAMES = {
    "in/Heat.1995.mkv": movie("Heat", 1995),
    "in/Kaamelott/Livre 1/Kaamelott.S01E02.mkv": episode("Kaamelott", 1, 2, year=2005),
    "in/Solaris.mkv": movie("Solaris"),  # no year, not matched: not sure enough
    "in/plage.mkv": home_video("plage"),
}


def catalogued(world: World) -> dict[str, str]:
    """The files of NAMES imported; path -> file id."""
    for path in NAMES:
        world.write(path)
    import_storage(world.session(), parser=parse_from(NAMES))
    return {p: row["file_id"] for p, row in world.catalog().items()}


def test_links_are_made_from_the_catalog_then_left_alone(world: World) -> None:
    ids = catalogued(world)
    before = world.position()
    report = organize(world.session())

    assert sorted(c["link"] for c in report.created) == [HEAT, EPISODE]
    assert {u["path"]: u["reason"] for u in report.unplaced} == {
        "in/Solaris.mkv": "no year and not matched",
        "in/plage.mkv": "kind other",
    }
    assert os.readlink(world.video / HEAT) == "../../../storage/in/Heat.1995.mkv"
    assert (world.video / EPISODE).read_bytes() == b"content of " + (
        b"in/Kaamelott/Livre 1/Kaamelott.S01E02.mkv"
    )
    created = {e.data["link"]: e.data["file_id"] for e in world.events(before)
               if e.type == "LinkCreated"}  # fmt: skip
    assert created == {HEAT: ids["in/Heat.1995.mkv"],
                       EPISODE: ids["in/Kaamelott/Livre 1/Kaamelott.S01E02.mkv"]}  # fmt: skip
    rows = world.rows("SELECT link, state, last_run_id FROM links ORDER BY link")
    assert [(r["link"], r["state"], r["last_run_id"]) for r in rows] == [
        (HEAT, "linked", report.run_id), (EPISODE, "linked", report.run_id),
    ]  # fmt: skip

    before = world.position()
    again = organize(world.session())
    assert (again.created, again.retargeted, again.unchanged) == ([], [], 2)
    assert world.types(before) == []


def test_a_path_held_by_something_else_is_reported_and_left_alone(world: World) -> None:
    catalogued(world)
    (world.video / "Films/Heat (1995)").mkdir(parents=True)
    (world.video / HEAT).write_bytes(b"a person's own file")

    report = organize(world.session())
    assert [c["link"] for c in report.conflicts] == [HEAT]
    assert (world.video / HEAT).read_bytes() == b"a person's own file"
    assert [c["link"] for c in report.created] == [EPISODE]


def test_templates_come_from_the_config(world: World) -> None:
    catalogued(world)
    world.configure(organize={"movie": "Cinema/{title} [{year}]{ext}"})
    report = organize(world.session())
    assert "Cinema/Heat [1995].mkv" in {c["link"] for c in report.created}
    assert os.path.islink(world.video / "Cinema/Heat [1995].mkv")


def test_a_dry_run_changes_nothing(world: World) -> None:
    catalogued(world)
    disk = snapshot(world.video, world.storage)
    before = world.position()

    plan = organize(world.session(), dry_run=True)
    assert plan.run_id is None and len(plan.created) == 2
    assert snapshot(world.video, world.storage) == disk
    assert world.position() == before
