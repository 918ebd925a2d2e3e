"""``check_library``: ghosts, orphans, broken and stray links, duplicates and changed content
found, recorded with the run, shown by the integrity views; no file is touched."""

from __future__ import annotations

import os
import shutil

from tests.fakes.parsers import parse_trivially
from tests.link_tree import snapshot
from tests.usecases.world import World
from videotheque.commands.usecases.checker import check_library
from videotheque.commands.usecases.importer import import_storage

ALIEN = "Films/Alien (1979).mkv"
BRAZIL = "Films/Brazil (1985).mkv"
HEAT = "Films/Heat (1995).mkv"


def healthy(world: World) -> dict[str, str]:
    """Three films imported, each with a relative link; path -> file id."""
    for path in (ALIEN, BRAZIL, HEAT):
        world.write(path)
        world.link(path, world.storage / path)
    import_storage(world.session(), parser=parse_trivially)
    return {p: row["file_id"] for p, row in world.catalog().items()}


def found(report: object) -> dict[str, int]:
    return {k: len(v) for k, v in report.findings.items() if v}  # type: ignore[attr-defined]


def test_a_healthy_library_has_no_findings(world: World) -> None:
    healthy(world)
    report = check_library(world.session())
    assert found(report) == {} and report.exit_code == 0
    assert (report.files, report.links) == (3, 3)


def test_every_kind_of_finding_is_found_and_recorded(world: World) -> None:
    ids = healthy(world)
    shutil.copy(world.storage / BRAZIL, world.storage / "Films/Brazil copy.mkv")
    import_storage(world.session(), parser=parse_trivially)
    os.remove(world.storage / ALIEN)  # a ghost, and its link broken
    world.write("Films/Dune (1984).mkv")  # an orphan
    world.write("Films/Dune (1984).nfo")  # not a video: never an orphan
    world.link("Films/Missing.mkv", "../../storage/Films/Missing.mkv")  # broken
    world.link("Loops/a.mkv", "b.mkv")  # broken: a loop
    world.link("Loops/b.mkv", "a.mkv")
    outside = world.root / "outside.mkv"
    outside.write_bytes(b"not in storage")
    world.link("Films/Outside.mkv", outside, absolute=True)  # stray: outside storage
    world.link("Films/Dune.mkv", world.storage / "Films/Dune (1984).mkv")  # stray
    disk = snapshot(world.storage, world.video)
    before = world.position()

    report = check_library(world.session())
    assert found(report) == {
        "ghosts": 1, "orphans": 1, "broken_links": 4, "stray_links": 2, "duplicates": 1,
    }  # fmt: skip
    assert report.exit_code == 1
    assert report.findings["ghosts"] == [{"path": ALIEN, "file_id": ids[ALIEN]}]
    assert report.findings["orphans"] == [{"path": "Films/Dune (1984).mkv"}]
    assert {(b["link"], b["reason"]) for b in report.findings["broken_links"]} == {
        (ALIEN, "missing target"), ("Films/Missing.mkv", "missing target"),
        ("Loops/a.mkv", "loop"), ("Loops/b.mkv", "loop"),
    }  # fmt: skip
    assert {(s["link"], s["reason"]) for s in report.findings["stray_links"]} == {
        ("Films/Outside.mkv", "outside storage"), ("Films/Dune.mkv", "not catalogued"),
    }  # fmt: skip
    assert snapshot(world.storage, world.video) == disk  # check changes no file

    recorded = {e.data["category"] for e in world.events(before) if e.type == "FindingsRecorded"}
    assert recorded >= {"ghosts", "orphans", "broken_links", "stray_links", "duplicates"}
    assert world.rows("SELECT path, CAST(file_id AS VARCHAR) AS id FROM integrity_ghosts") == [
        {"path": ALIEN, "id": ids[ALIEN]}
    ]
    assert world.rows("SELECT path FROM integrity_orphans") == [{"path": "Films/Dune (1984).mkv"}]
    (trend,) = world.rows("SELECT run_id, ghosts, stray_links, files FROM integrity_checks")
    assert trend == {"run_id": report.run_id, "ghosts": 1, "stray_links": 2, "files": 4}


def test_changed_content_is_found_by_verify_hash(world: World) -> None:
    ids = healthy(world)
    path = world.storage / HEAT
    st = path.stat()
    path.write_bytes(b"content of Films/Heat (1995).mkX")  # same size, same mtime
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    before = world.position()

    assert found(check_library(world.session())) == {}  # size and mtime alike: not looked at
    report = check_library(world.session(), verify_hash=True)
    assert report.verified == 3
    assert [m["path"] for m in report.findings["hash_mismatches"]] == [HEAT]
    (verified,) = [e for e in world.events(before) if e.type == "HashVerified"]
    assert verified.originator_id == ids[HEAT]
