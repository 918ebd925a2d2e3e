"""``repair_links`` on real symlinks: a broken link follows its file by identity first, in
its own style; an orphan goes to the trash, never deleted, and only when asked; a dry run
changes nothing on disk or in the store."""

from __future__ import annotations

import os

from tests.fakes.parsers import movie, parse_from, parse_trivially
from tests.link_tree import snapshot
from tests.usecases.world import World
from videotheque.commands.usecases.importer import import_storage
from videotheque.commands.usecases.repairer import RepairReport, repair_links

HEAT_LINK = "Films/Heat (1995)/Heat (1995).mkv"
ALIEN_LINK = "Films/Alien (1979)/Alien (1979).mkv"
ORPHAN_LINK = "Films/Gone (2000)/Gone (2000).mkv"


def moved_library(world: World) -> None:
    """Two films linked (one relative link, one absolute), then moved and renamed in
    storage, and imported again (the moves are in the catalog)."""
    heat = world.write("Films/Heat.1995.mkv")
    alien = world.write("Films/Alien.1979.mkv")
    import_storage(world.session(), parser=parse_trivially)
    world.link(HEAT_LINK, heat)
    world.link(ALIEN_LINK, alien, absolute=True)
    world.move("Films/Heat.1995.mkv", "Archive/h.mkv")
    world.move("Films/Alien.1979.mkv", "Archive/Sci-Fi/a.mkv")
    import_storage(world.session(), parser=parse_trivially)


def repaired(world: World, **options: object) -> tuple[RepairReport, list[str]]:
    """Repair with a parser that names films after their links (and the links it read)."""
    parser = parse_from({HEAT_LINK: movie("Heat", 1995), ALIEN_LINK: movie("Alien", 1979)})
    report = repair_links(world.session(), parser=parser, **options)  # type: ignore[arg-type]
    return report, parser.asked  # type: ignore[attr-defined]


def test_broken_links_follow_their_files_by_identity_in_their_own_style(world: World) -> None:
    moved_library(world)
    # Another file named like the film: a repair by name could pick it, identity does not.
    world.write("Films/Heat (1995).mkv", "another cut")
    import_storage(world.session(), parser=parse_trivially)
    before = world.position()

    report, parsed = repaired(world, auto=True)
    assert report.broken == 2 and report.skipped == [] and report.quarantined == []
    assert {(r["link"], r["method"]) for r in report.repaired} == {
        (HEAT_LINK, "identity"), (ALIEN_LINK, "identity"),
    }  # fmt: skip
    assert parsed == []  # identity answered: no name was read
    assert os.readlink(world.video / HEAT_LINK) == "../../../storage/Archive/h.mkv"
    assert os.readlink(world.video / ALIEN_LINK) == str(world.storage / "Archive/Sci-Fi/a.mkv")
    assert (world.video / HEAT_LINK).read_bytes() == b"content of Films/Heat.1995.mkv"

    recorded = [e for e in world.events(before) if e.type == "LinkRepaired"]
    assert {e.data["run_id"] for e in recorded} == {report.run_id}
    heat_id = world.catalog()["Archive/h.mkv"]["file_id"]
    (heat,) = world.rows("SELECT * FROM links WHERE link = ?", [HEAT_LINK])
    assert (str(heat["file_id"]), heat["target_path"]) == (heat_id, "Archive/h.mkv")

    again, _ = repaired(world, auto=True)
    assert again.broken == 0 and again.repaired == []


def test_an_orphan_goes_to_the_trash_only_when_asked_and_is_never_deleted(
    world: World,
) -> None:
    world.write("keep.mkv")
    import_storage(world.session(), parser=parse_trivially)
    world.link(ORPHAN_LINK, world.storage / "Old/gone.mkv")  # nothing there, nothing known
    text = os.readlink(world.video / ORPHAN_LINK)

    first, _ = repaired(world, auto=True)
    assert first.quarantined == []
    assert [(s["link"], s["problem"]) for s in first.skipped] == [(ORPHAN_LINK, "missing")]
    assert os.path.islink(world.video / ORPHAN_LINK)

    before = world.position()
    report, _ = repaired(world, auto=True, quarantine_orphans=True)
    (moved,) = report.quarantined
    assert moved["trash_path"] == f"orphans/{report.run_id}/{ORPHAN_LINK}"
    assert not os.path.lexists(world.video / ORPHAN_LINK)
    assert os.readlink(world.trash / moved["trash_path"]) == text  # the link, as it was
    (event,) = [e for e in world.events(before) if e.type == "LinkQuarantined"]
    assert event.data["trash_path"] == moved["trash_path"]
    (row,) = world.rows("SELECT state, trash_path FROM links WHERE link = ?", [ORPHAN_LINK])
    assert row == {"state": "quarantined", "trash_path": moved["trash_path"]}
    assert (world.storage / "keep.mkv").exists()


def test_a_dry_run_changes_nothing(world: World) -> None:
    moved_library(world)
    world.link(ORPHAN_LINK, world.storage / "Old/gone.mkv")
    disk = snapshot(world.video, world.trash, world.storage)
    before = world.position()

    report, _ = repaired(world, auto=True, quarantine_orphans=True, dry_run=True)
    assert report.run_id is None and report.broken == 3
    assert {r["link"] for r in report.repaired} == {HEAT_LINK, ALIEN_LINK}
    assert [q["link"] for q in report.quarantined] == [ORPHAN_LINK]
    assert snapshot(world.video, world.trash, world.storage) == disk
    assert world.position() == before
