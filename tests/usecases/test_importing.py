"""``import_storage``: each classification of a file, recorded as its event and shown by the
catalog; a folder import leaves the rest of the library alone; the guards record nothing."""

from __future__ import annotations

import os
import shutil
import time
from typing import Any

import pytest

from tests.fakes.parsers import movie, parse_from, parse_trivially
from tests.usecases.world import World
from videotheque.commands.adapters.fingerprint import fingerprint
from videotheque.commands.errors import MassVanishError, StorageUnreachableError
from videotheque.commands.usecases import importer
from videotheque.commands.usecases.importer import ImportReport, import_storage


def imported(world: World, folder: str | None = None, **options: Any) -> ImportReport:
    options.setdefault("parser", parse_trivially)
    given = world.storage / folder if folder is not None else None
    return import_storage(world.session(), given, **options)


def changes(report: ImportReport) -> dict[str, int]:
    """The non-zero counts of a report."""
    return {k: n for k, n in report.counts.items() if n}


def later(path: os.PathLike[str]) -> None:
    """Another mtime, as a rewrite would give (moved back: never in the future)."""
    st = os.stat(path)
    os.utime(path, (st.st_atime, st.st_mtime - 1000))


def test_new_files_are_recorded_and_catalogued_with_their_fingerprint_and_name(
    world: World,
) -> None:
    heat = world.write("Films/Heat.1995.mkv")
    world.write("Films/notes.txt")  # not a video: not looked at
    parser = parse_from({"Films/Heat.1995.mkv": movie("Heat", 1995)})
    report = imported(world, parser=parser, parser_name="table 1")

    assert changes(report) == {"new": 1} and report.errors == []
    (event,) = [e for e in world.events() if e.type == "Imported"]
    assert event.data["path"] == "Films/Heat.1995.mkv"
    assert event.data["parser"] == "table 1"
    assert event.data["run_id"] == report.run_id
    row = world.catalog()["Films/Heat.1995.mkv"]
    assert (row["kind"], row["title"], row["year"], row["status"]) == (
        "movie", "Heat", 1995, "present",
    )  # fmt: skip
    assert row["fingerprint"] == fingerprint(heat)
    assert row["file_id"] == event.originator_id
    (run,) = world.runs()
    assert (run["run_id"], run["command"], run["status"]) == (report.run_id, "import", "finished")


def test_an_unchanged_tree_records_only_the_run(world: World) -> None:
    world.write("A.mkv")
    world.write("B.mkv")
    imported(world)
    before = world.position()
    report = imported(world)
    assert changes(report) == {"unchanged": 2}
    assert [e.type for e in world.events(before)] == ["Started", "Finished"]


def test_a_moved_file_keeps_its_identity_and_its_history(world: World) -> None:
    world.write("incoming/Heat.1995.mkv")
    world.write("Other.mkv")
    imported(world)
    heat = world.catalog()["incoming/Heat.1995.mkv"]
    before = world.position()
    world.move("incoming/Heat.1995.mkv", "Films/Heat (1995)/Heat.mkv")

    report = imported(world)
    assert changes(report) == {"moved": 1, "unchanged": 1}
    (moved,) = world.events(before)[1:-1]
    assert (moved.type, moved.originator_id) == ("Moved", heat["file_id"])
    assert (moved.data["old_path"], moved.data["new_path"]) == (
        "incoming/Heat.1995.mkv", "Films/Heat (1995)/Heat.mkv",
    )  # fmt: skip
    catalog = world.catalog()
    assert "incoming/Heat.1995.mkv" not in catalog
    row = catalog["Films/Heat (1995)/Heat.mkv"]
    assert row["file_id"] == heat["file_id"]
    assert (row["title"], row["imported_at"]) == (heat["title"], heat["imported_at"])


def test_a_renamed_file_is_moved_in_place(world: World) -> None:
    world.write("Films/Heat.mkv")
    imported(world)
    (heat,) = world.files()
    os.rename(world.storage / "Films/Heat.mkv", world.storage / "Films/Heat (1995).mkv")
    before = world.position()

    report = imported(world)
    assert changes(report) == {"moved": 1}
    assert world.types(before) == ["Moved"]
    (row,) = world.files()
    assert (row["file_id"], row["paths"]) == (heat["file_id"], ["Films/Heat (1995).mkv"])


def test_a_copy_is_one_more_path_of_the_same_file(world: World) -> None:
    world.write("Films/Heat.mkv")
    imported(world)
    shutil.copy(world.storage / "Films/Heat.mkv", world.storage / "backup.mkv")
    before = world.position()

    report = imported(world)
    assert changes(report) == {"copies": 1, "unchanged": 1}
    assert world.types(before) == ["Copied"]
    (row,) = world.files()
    assert row["paths"] == ["Films/Heat.mkv", "backup.mkv"]


def test_new_content_at_a_known_path_is_a_new_file_that_replaces_the_old(world: World) -> None:
    path = world.write("Film.mkv", "theatrical cut")
    imported(world)
    (old,) = world.files()
    path.write_bytes(b"the director's cut")
    later(path)
    before = world.position()

    report = imported(world)
    assert changes(report) == {"changed": 1}
    assert sorted(world.types(before)) == ["Imported", "Replaced"]
    new = next(e for e in world.events(before) if e.type == "Imported")
    assert new.data["replaces"] == old["file_id"]
    rows = {r["file_id"]: r for r in world.files()}
    assert rows[old["file_id"]]["status"] == "vanished"
    assert rows[new.originator_id]["paths"] == ["Film.mkv"]


def test_a_vanished_file_reappears_with_its_identity(world: World) -> None:
    for name in ("Heat", "One", "Two", "Three", "Four"):
        world.write(f"{name}.mkv")
    imported(world)
    heat = world.catalog()["Heat.mkv"]
    aside = world.root / "aside.mkv"
    os.rename(world.storage / "Heat.mkv", aside)
    before = world.position()

    report = imported(world)  # 1 of 5: under the mass-vanish guard
    assert changes(report) == {"vanished": 1, "unchanged": 4}
    assert world.types(before) == ["Vanished"]
    gone = {r["file_id"]: r for r in world.files()}[heat["file_id"]]
    assert (gone["status"], gone["paths"]) == ("vanished", [])

    os.rename(aside, world.storage / "back.mkv")
    report = imported(world)
    assert changes(report) == {"reappeared": 1, "unchanged": 4}
    back = world.catalog()["back.mkv"]
    assert (back["file_id"], back["status"]) == (heat["file_id"], "present")


def test_a_folder_import_records_its_own_changes_and_nothing_outside(world: World) -> None:
    for i in range(3):
        world.write(f"A/Film {i}.mkv")
    world.write("B/Other.mkv")
    world.write("B/Second.mkv")
    imported(world)
    ids = {p: row["file_id"] for p, row in world.catalog().items()}
    # outside A: one file gone, one new; inside A: one file renamed
    os.remove(world.storage / "B/Other.mkv")
    world.write("B/New.mkv")
    os.rename(world.storage / "A/Film 0.mkv", world.storage / "A/Film zero.mkv")
    before = world.position()

    report = imported(world, "A")
    assert changes(report) == {"moved": 1, "unchanged": 2}
    (moved,) = world.events(before)[1:-1]
    assert (moved.type, moved.originator_id) == ("Moved", ids["A/Film 0.mkv"])
    assert moved.data["new_path"] == "A/Film zero.mkv"  # relative to the storage root
    catalog = world.catalog()
    assert catalog["B/Other.mkv"]["status"] == "present"  # not looked at: not vanished
    assert "B/New.mkv" not in catalog


def test_a_file_moved_into_the_folder_from_outside_is_a_move(world: World) -> None:
    world.write("A/Film.mkv")
    world.write("B/Other.mkv")
    imported(world)
    other = world.catalog()["B/Other.mkv"]
    world.move("B/Other.mkv", "A/Other.mkv")
    before = world.position()

    report = imported(world, "A")
    assert changes(report) == {"moved": 1, "unchanged": 1}
    assert world.types(before) == ["Moved"]
    assert world.catalog()["A/Other.mkv"]["file_id"] == other["file_id"]


def test_the_mass_vanish_guard_records_nothing_unless_allowed(world: World) -> None:
    for i in range(5):
        world.write(f"Film {i}.mkv")
    imported(world)
    for i in range(2):  # 2 of 5 files: 40% > 20%
        os.remove(world.storage / f"Film {i}.mkv")
    before = world.position()

    with pytest.raises(MassVanishError, match="2 of 5 catalogued files"):
        imported(world)
    assert world.position() == before
    assert sum(r["status"] == "present" for r in world.files()) == 5

    report = imported(world, allow_mass_vanish=True)
    assert changes(report) == {"vanished": 2, "unchanged": 3}
    assert world.types(before) == ["Vanished", "Vanished"]


def test_an_empty_storage_root_records_nothing(world: World) -> None:
    world.write("Film.mkv")
    imported(world)
    os.remove(world.storage / "Film.mkv")  # as an unmounted share looks
    before = world.position()
    with pytest.raises(StorageUnreachableError, match="empty"):
        imported(world)
    assert world.position() == before


def test_a_dry_run_counts_what_a_run_would_record_and_records_nothing(world: World) -> None:
    world.write("Film.mkv")
    imported(world)
    world.write("New.mkv")
    os.rename(world.storage / "Film.mkv", world.storage / "Renamed.mkv")
    before = world.position()

    report = imported(world, dry_run=True)
    assert changes(report) == {"new": 1, "moved": 1}
    assert report.run_id is None
    assert world.position() == before
    assert set(world.catalog()) == {"Film.mkv"}


def test_a_slow_library_is_recorded_every_few_seconds_not_every_2000_files(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kill loses at most a chunk: chunks are sized by time (``CHUNK_SECONDS``), so names
    that parse slowly (or files MediaInfo reads slowly) are saved in smaller chunks."""
    monkeypatch.setattr(importer, "FIRST_CHUNK", 40)
    monkeypatch.setattr(importer, "CHUNK_SECONDS", 0.2)
    monkeypatch.setattr(importer, "MIN_CHUNK", 5)
    for i in range(200):
        world.write(f"Films/F{i:03d}.mkv", f"film {i}")
    chunks: list[int] = []

    def slow(paths: list[str]) -> list[dict[str, Any]]:  # 10 ms a name
        chunks.append(len(paths))
        time.sleep(0.01 * len(paths))
        return parse_trivially(paths)

    report = imported(world, parser=slow)
    assert changes(report) == {"new": 200} and sum(chunks) == 200
    assert chunks[0] == 40  # the first chunk, before the pace is known
    assert 5 <= max(chunks[1:]) <= 25  # then about 0.2 s of names each, not CHUNK
    assert len(world.catalog()) == 200


def test_a_fast_library_keeps_whole_chunks(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "CHUNK", 100)
    for i in range(300):
        world.write(f"Films/F{i:03d}.mkv", f"film {i}")
    chunks: list[int] = []

    def counted(paths: list[str]) -> list[dict[str, Any]]:
        chunks.append(len(paths))
        return parse_trivially(paths)

    assert changes(imported(world, parser=counted)) == {"new": 300}
    assert chunks == [100, 100, 100]
