"""`organize`: the video tree made from the catalog; correct links untouched, moved files
followed, occupied paths reported, templates from config.toml, enriched titles used."""

from __future__ import annotations

import json
import os

import duckdb

from tests.conftest import Lib
from tests.link_tree import link, link_events, move, snapshot
from videotheque.projections.links import named_files

HEAT = "Films/Heat (1995)/Heat (1995).mkv"
EPISODE = "Series/Kaamelott/Season 01/Kaamelott - S01E02.mkv"


def catalogued(lib: Lib) -> None:
    lib.write("Films/Heat.1995.mkv")
    lib.write("Series/Kaamelott/Livre 1/Kaamelott.S01E02.mkv")
    lib.write("Films/Trailers/Heat-trailer.mkv")
    assert lib.cli("import").exit_code == 0


def test_organize_creates_relative_links_then_leaves_them_alone(lib: Lib) -> None:
    catalogued(lib)
    result = lib.cli("organize", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert sorted(c["link"] for c in report["created"]) == [HEAT, EPISODE]
    # the trailer is an extra: extras get no link, and the report says so
    assert [(u["path"], u["reason"]) for u in report["unplaced"]] == [
        ("Films/Trailers/Heat-trailer.mkv", "extra (trailer)")
    ]
    assert os.readlink(lib.video / HEAT) == "../../../storage/Films/Heat.1995.mkv"
    assert (lib.video / EPISODE).read_bytes().startswith(b"content of Series/")
    created = [e for e in link_events(lib) if e["type"] == "LinkCreated"]
    assert {e["payload"]["link"] for e in created} == {HEAT, EPISODE}
    assert all(e["payload"]["file_id"] for e in created)

    again = lib.json("organize")
    assert again["created"] == [] and again["retargeted"] == [] and again["unchanged"] == 2


def test_dry_run_changes_nothing(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    catalogued(lib)
    before = snapshot(lib.video)
    plan = lib.json("organize", "--dry-run")
    assert plan["run_id"] is None and len(plan["created"]) == 2
    assert snapshot(lib.video) == before
    assert link_events(lib) == []


def test_a_moved_file_gets_its_link_updated_in_its_own_style(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    catalogued(lib)
    link(lib, HEAT, lib.storage / "Films/Heat.1995.mkv", absolute=True)  # made by a person
    move(lib, "Films/Heat.1995.mkv", "Archive/Heat.1995.mkv")
    assert lib.cli("import").exit_code == 0
    report = lib.json("organize")
    assert [r["link"] for r in report["retargeted"]] == [HEAT]
    assert os.readlink(lib.video / HEAT) == str(lib.storage / "Archive/Heat.1995.mkv")
    types = [e["type"] for e in link_events(lib) if e["payload"]["link"] == HEAT]
    assert types == ["Tracked", "LinkRetargeted"]


def test_an_occupied_path_is_reported_and_left_alone(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    catalogued(lib)
    (lib.video / HEAT).parent.mkdir(parents=True)
    (lib.video / HEAT).write_text("a real file, not ours")
    other = lib.write("Films/Other.2000.mkv")
    link(lib, EPISODE, other)  # a working link to another file
    result = lib.cli("organize", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert sorted(c["link"] for c in report["conflicts"]) == [HEAT, EPISODE]
    assert (lib.video / HEAT).read_text() == "a real file, not ours"
    assert os.readlink(lib.video / EPISODE).endswith("Films/Other.2000.mkv")


def test_templates_from_config(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    catalogued(lib)
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write('\n[organize]\nmovie = "Movies/{title} [{year}]{ext}"\n')
    report = lib.json("organize")
    assert "Movies/Heat [1995].mkv" in {c["link"] for c in report["created"]}
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write('episode = "/abs/{show}{ext}"\n')
    bad = lib.cli("organize")
    assert bad.exit_code == 2 and "[organize]" in bad.stderr


def test_enriched_titles_are_used_when_the_files_view_has_them() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE f AS SELECT 'a0000000-0000-0000-0000-000000000001'::UUID AS id, "
        "'x/amelie.mkv'::BLOB AS raw_path, 'movie' AS kind, 'amelie' AS title, NULL::INT AS "
        "year, NULL::INT AS season, NULL::INT AS episode, []::INT[] AS episodes, "
        "'present' AS status, 'Le Fabuleux Destin d''Amélie Poulain' AS canonical_title, "
        "2001 AS canonical_year"
    )
    con.execute("CREATE VIEW files AS SELECT * FROM f")
    rows = named_files(con)
    assert [(r["title"], r["year"]) for r in rows] == [
        ("Le Fabuleux Destin d'Amélie Poulain", 2001)
    ]
    con.execute("CREATE OR REPLACE VIEW files AS SELECT * EXCLUDE (canonical_title) FROM f")
    assert named_files(con)[0]["title"] == "amelie"
