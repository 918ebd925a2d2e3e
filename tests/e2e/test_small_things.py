"""Smaller things a user met: a link and its target are one file for `validate`; names
with control characters are analysed; a permission error in `organize` is an error, not
a conflict; `catalog` shows an enriched series' year; the report's decades use the
matched year."""

from __future__ import annotations

import json

from tests.conftest import Lib

HEAT = "Films/Heat (1995)/Heat (1995).mkv"


def test_validate_a_path_that_is_both_the_file_and_its_link(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    lib.write(HEAT)  # already in the default layout: the link gets the same relative path
    assert lib.cli("import").exit_code == 0
    organized = lib.json("organize")
    assert [c["link"] for c in organized["created"]] == [HEAT]
    for argument in (HEAT, str(lib.storage / HEAT), str(lib.video / HEAT)):
        result = lib.cli("validate", argument, "--skip")
        assert result.exit_code == 0, (argument, result.output)
        assert "names 2" not in result.output


def test_names_with_control_characters_are_analysed(sqlite_lib: Lib) -> None:
    from tests import media_factory as mf

    lib = sqlite_lib
    (lib.storage / "Films").mkdir()
    names = [
        "Evil\x1b[2J\x07 (2001).mp4",
        "Tab\there \x01\x7f\x9b (2002).mp4",
        'Q"uo\\te (2003).mp4',
    ]
    for i, name in enumerate(names):  # distinct contents: three files, not copies
        mf.write_mp4_h264_aac(
            lib.storage / "Films" / name, size=(320 + 16 * i, 240), title="Ti\x1btle\x01"
        )
    result = lib.cli("import", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["path"]: r for r in lib.json("catalog")}
    assert len(rows) == len(names)
    for row in rows.values():
        assert row["container"] == "MPEG-4", row
        assert row["duration_s"] and row["video_codec"] == "AVC"
    analyzed = lib.json("analyze", "--all")
    assert analyzed["errors"] == [] and analyzed["unreadable_media"] == []
    assert analyzed["by_status"] == {"ok": len(names)}


def test_organize_reports_a_refused_write_as_an_error(sqlite_lib: Lib) -> None:
    from tests.faults.test_environment import _read_only

    lib = sqlite_lib
    lib.write("Films/Heat.1995.mkv")
    assert lib.cli("import").exit_code == 0
    films = lib.video / "Films"
    films.mkdir(parents=True)
    (films / "keep").write_text("so the folder has something to protect")
    with _read_only(films):  # a read-only mount as root, chmod 555 otherwise
        result = lib.cli("organize", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["conflicts"] == []
    [error] = report["errors"]
    assert error["link"] == HEAT
    assert "Read-only file system" in error["reason"] or "Permission denied" in error["reason"]
    assert str(films) in error["reason"]  # where
    # Once the folder can be written, the next run creates the link.
    assert lib.json("organize")["created"][0]["link"] == HEAT


MOVIE_NFO = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<movie><title>Heat</title><year>1995</year><uniqueid type="tmdb" default="true">949</uniqueid>
</movie>
"""
SHOW_NFO = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<tvshow><title>Friends</title><year>1994</year>
<uniqueid type="tvdb" default="true">79168</uniqueid></tvshow>
"""


def test_catalog_and_report_use_the_matched_year(sqlite_lib: Lib) -> None:
    """An episode's name seldom holds a year: once enriched, the series' first-air year
    is shown; a film whose name says 1985 but is matched to 1995 counts in the 1990s."""
    lib = sqlite_lib
    lib.write("Films/Heat (1985)/Heat (1985).mkv")
    (lib.storage / "Films/Heat (1985)/Heat (1985).nfo").write_text(MOVIE_NFO)
    for n in (1, 2):
        lib.write(f"Series/Friends/Season 01/Friends.S01E0{n}.mkv")
    (lib.storage / "Series/Friends/tvshow.nfo").write_text(SHOW_NFO)
    lib.write("Series/Unknown Show/Season 01/Unknown.Show.S01E01.mkv")  # never matched
    assert lib.cli("import").exit_code == 0
    assert lib.json("enrich", "--provider", "nfo")["enriched"] == 3

    rows = {r["path"]: r for r in lib.json("catalog")}
    friends = rows["Series/Friends/Season 01/Friends.S01E01.mkv"]
    assert (friends["year"], friends["canonical_year"]) == (None, 1994)  # --json: both
    table = lib.cli("catalog", "--kind", "episode").stdout
    assert table.count("1994") == 2

    report = lib.cli("report", "--format", "md").stdout
    decades = report[report.index("| Decade |") :].split("\n\n")[0]
    assert "| 1990s | 1 | 2 |" in decades  # Heat (matched 1995) and the two Friends episodes
    assert "| 1980s |" not in decades  # not the parsed 1985
    assert "| unknown | 0 | 1 |" in decades
