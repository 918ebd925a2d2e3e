"""``undo_run``: every link a run changed put back as it was, recorded as the undo run's;
a second undo finds nothing left to do; a link changed since is a refusal."""

from __future__ import annotations

import os

import pytest

from tests.fakes.parsers import movie, parse_from, parse_trivially
from tests.link_tree import snapshot
from tests.usecases.world import World
from videotheque.commands.errors import UsageError
from videotheque.commands.usecases.importer import import_storage
from videotheque.commands.usecases.organizer import organize
from videotheque.commands.usecases.repairer import repair_links
from videotheque.commands.usecases.undoer import undo_run

HEAT = "Films/Heat (1995)/Heat (1995).mkv"
ALIEN = "Films/Alien (1979)/Alien (1979).mkv"
GONE = "Films/Gone (2000)/Gone (2000).mkv"
NAMES = {"Heat.1995.mkv": movie("Heat", 1995), "Alien.1979.mkv": movie("Alien", 1979)}


def organized(world: World) -> str:
    """Two films imported and organised; the organize run's id."""
    for path in NAMES:
        world.write(path)
    import_storage(world.session(), parser=parse_from(NAMES))
    run_id = organize(world.session()).run_id
    assert run_id is not None
    return run_id


def test_undo_of_a_repair_puts_every_link_back_as_it_was(world: World) -> None:
    world.write("Heat.1995.mkv")
    import_storage(world.session(), parser=parse_trivially)
    world.link(HEAT, world.storage / "Heat.1995.mkv")
    world.link(GONE, world.storage / "Old/gone.mkv")
    world.move("Heat.1995.mkv", "Archive/Heat.1995.mkv")
    import_storage(world.session(), parser=parse_trivially)
    disk = snapshot(world.video)
    repair = repair_links(world.session(), auto=True, quarantine_orphans=True,
                          parser=parse_trivially)  # fmt: skip
    assert len(repair.repaired) == 1 and len(repair.quarantined) == 1
    assert repair.run_id is not None
    before = world.position()

    undo = undo_run(world.session(), repair.run_id)
    assert (undo.undoes, undo.command) == (repair.run_id, "repair-links")
    assert {r["link"] for r in undo.restored} == {HEAT, GONE}
    assert snapshot(world.video) == disk  # each link with its exact text
    assert not os.path.lexists(world.trash / repair.quarantined[0]["trash_path"])
    restored = [e for e in world.events(before) if e.type == "LinkRestored"]
    assert {e.data["undoes"] for e in restored} == {repair.run_id}
    assert {e.data["run_id"] for e in restored} == {undo.run_id}


def test_undo_of_organize_takes_its_links_to_the_trash_and_a_second_finds_nothing(
    world: World,
) -> None:
    run_id = organized(world)
    undo = undo_run(world.session(), run_id[:8])  # a prefix of the id names the run
    assert sorted(r["link"] for r in undo.removed) == [ALIEN, HEAT]
    assert not os.path.lexists(world.video / HEAT)
    assert all(os.path.islink(world.trash / r["trash_path"]) for r in undo.removed)
    disk = snapshot(world.video, world.trash)
    before = world.position()

    again = undo_run(world.session(), run_id)
    assert again.removed == [] and again.conflicts == [] and not again.refused
    assert len(again.already) == 2
    assert any("nothing left to do" in note for note in again.notes)
    assert world.types(before) == []  # only the undo run itself
    assert snapshot(world.video, world.trash) == disk


def test_a_link_changed_since_the_run_is_a_refusal_naming_it(world: World) -> None:
    run_id = organized(world)
    os.remove(world.video / HEAT)
    os.symlink("elsewhere.mkv", world.video / HEAT)  # a person changed it since
    before = snapshot(world.video)

    undo = undo_run(world.session(), run_id)
    assert undo.refused and [c["link"] for c in undo.conflicts] == [HEAT]
    assert snapshot(world.video) == before  # nothing undone, not even the other link


def test_a_dry_run_changes_nothing_and_an_undo_is_not_undone(world: World) -> None:
    run_id = organized(world)
    disk = snapshot(world.video, world.trash)
    before = world.position()
    plan = undo_run(world.session(), run_id, dry_run=True)
    assert plan.run_id is None and len(plan.removed) == 2
    assert snapshot(world.video, world.trash) == disk
    assert world.position() == before

    undo = undo_run(world.session(), run_id)
    assert undo.run_id is not None
    with pytest.raises(UsageError, match="itself an undo"):
        undo_run(world.session(), undo.run_id)
