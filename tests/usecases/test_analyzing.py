"""``analyze_library`` with a fake MediaInfo: each present file's facts recorded as its
``Analyzed`` event and shown in ``media_facts``; ``--missing`` reads only the files never
analysed; a file that cannot be read is an error, never a fact."""

from __future__ import annotations

import os

from tests.fakes.mediainfo import FakeMediaInfo, facts
from tests.fakes.parsers import parse_trivially
from tests.usecases.world import World
from videotheque.commands.usecases.analyzer import analyze_library
from videotheque.commands.usecases.importer import import_storage


def imported(world: World, *names: str) -> dict[str, str]:
    for name in names:
        world.write(name)
    import_storage(world.session(), parser=parse_trivially)
    return {p: row["file_id"] for p, row in world.catalog().items()}


def test_the_facts_are_recorded_and_projected(world: World) -> None:
    ids = imported(world, "Heat.mkv", "broken.mkv")
    mediainfo = FakeMediaInfo({
        "Heat.mkv": facts(duration_s=10_200.0, width=3840, height=2160, audio=("en", "fr")),
        "broken.mkv": facts("unreadable", reason="not a media file (text)"),
    })  # fmt: skip
    before = world.position()

    report = analyze_library(world.session(), analyze_one=mediainfo)
    assert sorted(mediainfo.read) == ["Heat.mkv", "broken.mkv"]
    assert report.targets == 2 and dict(report.by_status) == {"ok": 1, "unreadable": 1}
    assert report.unreadable_media == [{"path": "broken.mkv", "reason": "not a media file (text)"}]
    (run,) = [r for r in world.runs() if r["command"] == "analyze"]
    assert (run["run_id"], run["exit_code"]) == (report.run_id, 1)  # unreadable media found
    analyzed = {e.originator_id: e for e in world.events(before) if e.type == "Analyzed"}
    assert set(analyzed) == {ids["Heat.mkv"], ids["broken.mkv"]}
    assert analyzed[ids["Heat.mkv"]].data["facts"]["duration_s"] == 10_200.0
    assert analyzed[ids["Heat.mkv"]].data["run_id"] == report.run_id
    (heat,) = world.rows(
        "SELECT status, resolution, duration_s, audio_languages FROM media_facts WHERE file_id = ?",
        [ids["Heat.mkv"]],
    )
    assert heat == {
        "status": "ok", "resolution": "2160p", "duration_s": 10_200.0,
        "audio_languages": ["en", "fr"],
    }  # fmt: skip


def test_missing_reads_only_what_was_never_analysed_and_all_reads_everything(
    world: World,
) -> None:
    imported(world, "Heat.mkv")
    mediainfo = FakeMediaInfo({"Heat.mkv": facts(), "Alien.mkv": facts()})
    analyze_library(world.session(), analyze_one=mediainfo)
    imported(world, "Alien.mkv")
    mediainfo.read.clear()

    report = analyze_library(world.session(), analyze_one=mediainfo)
    assert mediainfo.read == ["Alien.mkv"] and report.targets == 1
    mediainfo.read.clear()
    report = analyze_library(world.session(), everything=True, analyze_one=mediainfo)
    assert sorted(mediainfo.read) == ["Alien.mkv", "Heat.mkv"] and report.targets == 2
    mediainfo.read.clear()
    nothing = analyze_library(world.session(), analyze_one=mediainfo)
    assert (nothing.targets, nothing.run_id, mediainfo.read) == (0, None, [])


def test_a_file_that_cannot_be_read_is_an_error_and_is_tried_again(world: World) -> None:
    imported(world, "Heat.mkv", "Alien.mkv")
    os.remove(world.storage / "Alien.mkv")  # gone since the import
    mediainfo = FakeMediaInfo({"Heat.mkv": facts()})  # the fake cannot read Alien.mkv
    before = world.position()

    report = analyze_library(world.session(), analyze_one=mediainfo)
    assert [e.path for e in report.errors] == ["Alien.mkv"]
    assert world.types(before) == ["Analyzed"]  # Heat's only
    again = analyze_library(world.session(), analyze_one=mediainfo, dry_run=True)
    assert again.targets == 1  # Alien is still to analyse
