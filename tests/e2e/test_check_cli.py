"""``videotheque check`` through the CLI on real trees in tmp_path: each finding planted
and found, a clean library, unreachable roots, corrupted files, the JSON contract, the
``integrity_*`` views and what the run records."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

import videotheque.commands.adapters.reread
from tests.benchmarks.treegen import flip_byte
from tests.conftest import Lib
from videotheque.commands.adapters.fingerprint import CHUNK, fingerprint

SUMMARY_KEYS = {
    "ghosts", "orphans", "broken_links", "stray_links", "duplicates", "hash_mismatches",
    "files", "links",
}  # fmt: skip
ITEM_KEYS = {
    "ghosts": {"path", "file_id"},
    "orphans": {"path"},
    "broken_links": {"link", "target"},
    "stray_links": {"link", "target"},
    "duplicates": {"fingerprint", "paths"},
    "hash_mismatches": {"path", "expected", "actual"},
}
MIB = 1 << 20


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def clib(lib: Lib) -> Lib:
    """A library whose imports skip MediaInfo (the text files written here are not media:
    that finding has a test of its own)."""
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    return lib


@pytest.fixture
def slib(sqlite_lib: Lib) -> Lib:
    with open(sqlite_lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    return sqlite_lib


def imported(lib: Lib) -> None:
    result = lib.cli("import")
    assert result.exit_code == 0, result.output


def check(lib: Lib, *args: str, expect: int | None = None) -> dict[str, Any]:
    result = lib.cli("check", *args, "--json")
    report: dict[str, Any] = json.loads(result.stdout)
    if expect is not None:
        assert result.exit_code == expect, (result.stdout, result.stderr)
    report["_exit"] = result.exit_code
    report["_stderr"] = result.stderr
    return report


def link(lib: Lib, rel: str, target: str | Path) -> Path:
    path = lib.video / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)
    return path


def found(report: dict[str, Any]) -> dict[str, int]:
    """The non-zero finding counts of a report."""
    keys = [*ITEM_KEYS, "unreadable_media", "errors", "unreachable"]
    return {k: report["summary"][k] for k in keys if report["summary"][k]}


def sql(lib: Lib, query: str) -> list[dict[str, Any]]:
    result = lib.cli("sql", query, "--format", "json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def healthy(lib: Lib) -> dict[str, Path]:
    """Three films, each linked from the video tree by a relative link, imported."""
    files = {
        name: lib.write(f"Films/{name}/{name}.mkv", f"the film {name}", size=MIB)
        for name in ("Alien (1979)", "Brazil (1985)", "Casablanca (1942)")
    }
    for name in files:
        link(lib, f"Films/{name}.mkv", f"../../storage/Films/{name}/{name}.mkv")
    imported(lib)
    return files


# -- a clean library ---------------------------------------------------------------------------


def test_a_clean_library_reports_nothing_and_exits_0(clib: Lib) -> None:
    healthy(clib)
    report = check(clib, expect=0)
    assert found(report) == {}
    assert report["summary"]["files"] == 3
    assert report["summary"]["links"] == 3
    for key in ITEM_KEYS:
        assert report[key] == []
    human = clib.cli("check")
    assert human.exit_code == 0
    lines = human.stdout.splitlines()
    assert lines[0].split() == ["ghosts", "(catalogued,", "missing", "on", "disk)", "0"]
    assert "hash mismatches" in lines[5] and "not checked (--verify-hash)" in lines[5]
    assert "checked 3 files and 3 links" in human.stdout
    assert "┏" not in human.stdout  # no table when every category is empty


def test_the_json_document_follows_the_contract(clib: Lib) -> None:
    files = healthy(clib)
    shutil.copy(files["Brazil (1985)"], clib.storage / "Films" / "Brazil copy.mkv")
    imported(clib)  # a copy: one content at two paths
    os.remove(files["Alien (1979)"])  # a ghost ...
    os.remove(clib.video / "Films" / "Alien (1979).mkv")  # (and not its link too)
    clib.write("Films/Dune (1984).mkv")  # ... an orphan ...
    link(clib, "Films/gone.mkv", "../../storage/nothing.mkv")  # ... a broken link ...
    link(clib, "Films/elsewhere.mkv", "/etc/hostname")  # ... a stray one
    flip_byte(files["Casablanca (1942)"], 10)  # ... and a corrupted file

    report = check(clib, "--verify-hash", expect=1)

    assert set(report["summary"]) >= SUMMARY_KEYS
    assert all(isinstance(report["summary"][k], int) for k in SUMMARY_KEYS)
    for key, item_keys in ITEM_KEYS.items():
        assert isinstance(report[key], list)
        assert len(report[key]) == report["summary"][key] == 1, key
        assert item_keys <= set(report[key][0]), key
    assert isinstance(report["duplicates"][0]["paths"], list)
    assert isinstance(report["run_id"], str)


# -- each finding, planted and found --------------------------------------------------------------


def test_every_kind_of_finding_is_found(clib: Lib, tmp_path: Path) -> None:
    files = healthy(clib)
    shutil.copy(files["Brazil (1985)"], clib.storage / "Films" / "Brazil (1985) copy.mkv")
    imported(clib)
    catalog = {row["path"]: row for row in clib.json("catalog")}
    alien_id = catalog["Films/Alien (1979)/Alien (1979).mkv"]["file_id"]

    os.remove(files["Alien (1979)"])  # ghost
    clib.write("Films/Dune (1984)/Dune (1984).mkv")  # orphan
    clib.write("Films/Dune (1984)/Dune (1984).nfo")  # not video: never an orphan
    link(clib, "Films/Missing.mkv", "../../storage/Films/Missing/Missing.mkv")  # broken
    link(clib, "Loops/a.mkv", "b.mkv")  # broken: a loop
    link(clib, "Loops/b.mkv", "a.mkv")
    outside = tmp_path / "outside.mkv"
    outside.write_bytes(b"not in storage")
    link(clib, "Films/Outside.mkv", outside)  # stray: outside storage (absolute link)
    link(clib, "Films/Dune.mkv", "../../storage/Films/Dune (1984)/Dune (1984).mkv")  # stray
    link(clib, "Films/Dune.nfo", "../../storage/Films/Dune (1984)/Dune (1984).nfo")  # fine
    link(clib, "Collections/Films", "../../storage/Films")  # a folder in storage: fine

    report = check(clib, expect=1)

    assert found(report) == {
        "ghosts": 1, "orphans": 1, "broken_links": 4, "stray_links": 2, "duplicates": 1,
    }  # fmt: skip
    assert report["ghosts"] == [
        {"path": "Films/Alien (1979)/Alien (1979).mkv", "file_id": alien_id}
    ]
    assert report["orphans"] == [{"path": "Films/Dune (1984)/Dune (1984).mkv"}]
    assert report["broken_links"] == [
        {  # the ghost's link
            "link": "Films/Alien (1979).mkv",
            "target": "../../storage/Films/Alien (1979)/Alien (1979).mkv",
            "reason": "missing target",
        },
        {
            "link": "Films/Missing.mkv",
            "target": "../../storage/Films/Missing/Missing.mkv",
            "reason": "missing target",
        },
        {"link": "Loops/a.mkv", "target": "b.mkv", "reason": "loop"},
        {"link": "Loops/b.mkv", "target": "a.mkv", "reason": "loop"},
    ]
    assert report["stray_links"] == [
        {
            "link": "Films/Dune.mkv",
            "target": "../../storage/Films/Dune (1984)/Dune (1984).mkv",
            "reason": "not catalogued",
        },
        {"link": "Films/Outside.mkv", "target": str(outside), "reason": "outside storage"},
    ]
    brazil = catalog["Films/Brazil (1985)/Brazil (1985).mkv"]
    assert report["duplicates"] == [
        {
            "fingerprint": brazil["fingerprint"],
            "file_id": brazil["file_id"],
            "paths": ["Films/Brazil (1985) copy.mkv", "Films/Brazil (1985)/Brazil (1985).mkv"],
        }
    ]
    assert report["summary"]["links"] == 10


def test_the_human_output_has_a_line_per_category_and_a_table_per_finding(slib: Lib) -> None:
    files = healthy(slib)
    os.remove(files["Brazil (1985)"])
    result = slib.cli("check")
    assert result.exit_code == 1
    out = result.stdout
    assert "ghosts (catalogued, missing on disk)     1" in out
    assert "orphans (on disk, not catalogued)        0" in out
    assert "ghosts: 1" in out  # the table's title
    assert "Films/Brazil (1985)/Brazil (1985).mkv" in out
    assert "broken links: 1" in out  # its link is broken now
    assert "orphans: " not in out  # no table for an empty category


def test_a_long_table_shows_its_first_rows_and_says_how_to_see_all(slib: Lib) -> None:
    healthy(slib)
    for i in range(103):
        slib.write(f"Downloads/Film {i:03d}.mkv")
    result = slib.cli("check")
    assert result.exit_code == 1
    assert "orphans: 103" in result.stdout
    assert "Film 099.mkv" in result.stdout and "Film 100.mkv" not in result.stdout
    assert "... and 3 more" in result.stdout
    assert len(sql(slib, "SELECT * FROM integrity_orphans")) == 103


def test_a_link_chain_into_storage_is_not_stray(slib: Lib) -> None:
    healthy(slib)
    link(slib, "Favourites/Alien.mkv", "../Films/Alien (1979).mkv")  # a link to a link
    assert found(check(slib, expect=0)) == {}


def test_non_utf8_names_are_shown_readably_and_kept_exactly(slib: Lib) -> None:
    healthy(slib)
    raw = os.fsencode(slib.storage) + b"/Films/Am\xe9lie (2001).mkv"  # Latin-1 bytes
    with open(raw, "wb") as f:
        f.write(b"a film with a Latin-1 name")
    report = check(slib, expect=1)
    assert report["orphans"] == [{"path": "Films/Am\ufffdlie (2001).mkv"}]
    with duckdb.connect(str(slib.home / "catalog.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT raw_path FROM integrity_findings WHERE category = 'orphans'"
        ).fetchall()
    assert rows == [(b"Films/Am\xe9lie (2001).mkv",)]  # the exact bytes


def test_unreadable_media_from_mediainfo_is_reported(lib: Lib) -> None:
    lib.write("Films/Notes (2020)/Notes (2020).mkv", "this is a text file, not a film")
    imported(lib)  # MediaInfo on: it reads the file at import
    report = check(lib, expect=1)
    assert report["summary"]["unreadable_media"] == 1
    assert report["unreadable_media"][0]["path"] == "Films/Notes (2020)/Notes (2020).mkv"


# -- unreachable roots ----------------------------------------------------------------------


def test_an_unreachable_storage_root_is_said_once_not_listed_file_by_file(clib: Lib) -> None:
    healthy(clib)
    clib.storage.rename(clib.root / "unmounted")

    report = check(clib, expect=3)

    assert report["ghosts"] == [] and report["broken_links"] == []
    assert report["summary"]["unreachable"] == 1
    assert report["unreachable"][0]["root"] == "storage"
    assert report["_stderr"].count("does not exist") == 1
    assert "storage root" in report["_stderr"]
    human = clib.cli("check")
    assert human.exit_code == 3
    assert human.stderr.count("unmounted share?") == 1
    assert "Alien" not in human.stdout


def test_an_empty_storage_root_with_a_catalog_is_unreachable(slib: Lib) -> None:
    files = healthy(slib)
    for path in files.values():
        shutil.rmtree(path.parent)
    (slib.storage / "Films").rmdir()
    report = check(slib, expect=3)
    assert "is empty" in report["unreachable"][0]["reason"]
    assert report["ghosts"] == []


def test_a_config_without_a_trash_root_is_refused_not_filled_in(slib: Lib) -> None:
    """``init`` records all three roots; a config.toml that lost one is a usage error
    (exit 2) saying so, never checked with storage standing in for the trash."""
    healthy(slib)
    config = slib.home / "config.toml"
    text = config.read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if not line.startswith("trash = ")]
    assert len(kept) == len(text.splitlines()) - 1
    config.write_text("\n".join(kept) + "\n", encoding="utf-8")

    result = slib.cli("check", "--json")

    assert result.exit_code == 2
    assert "no storage, video or trash root" in result.stderr and "init" in result.stderr


def test_an_unreachable_video_root_still_checks_storage(slib: Lib) -> None:
    files = healthy(slib)
    os.remove(files["Alien (1979)"])
    shutil.rmtree(slib.video)
    report = check(slib, expect=3)
    assert report["unreachable"][0]["root"] == "video"
    assert report["summary"]["ghosts"] == 1
    assert report["summary"]["links"] == 0


# -- hash verification -----------------------------------------------------------------------


@pytest.mark.parametrize("readers", ["threads", "processes"])
def test_a_byte_changed_in_a_sampled_chunk_is_caught_by_verify_hash(
    clib: Lib, monkeypatch: pytest.MonkeyPatch, readers: str
) -> None:
    lib = clib
    if readers == "processes":  # what a library of thousands of files does, on three
        monkeypatch.setattr(videotheque.commands.adapters.reread, "PROCESS_THRESHOLD", 1)
        monkeypatch.setattr(videotheque.commands.adapters.reread, "HASH_CHUNK", 1)
    files = healthy(lib)
    target = files["Brazil (1985)"]
    expected = fingerprint(target)
    middle = (MIB - CHUNK) // 2 + 100  # inside the middle sampled chunk
    flip_byte(target, middle)
    assert check(lib)["summary"]["hash_mismatches"] == 0  # not looked at without the flag

    report = check(lib, "--verify-hash", expect=1)

    assert report["summary"]["verified"] == 3
    assert report["hash_mismatches"] == [
        {
            "path": "Films/Brazil (1985)/Brazil (1985).mkv",
            "expected": expected,
            "actual": fingerprint(target),
            "file_id": report["hash_mismatches"][0]["file_id"],
            "mismatch": "fingerprint",
            "mtime_changed": False,  # bit rot: the content changed, its mtime did not
        }
    ]


def test_a_byte_changed_outside_the_sampled_chunks_is_caught_only_by_full(clib: Lib) -> None:
    lib = clib
    files = healthy(lib)
    first = check(lib, "--full", expect=0)  # the first full hashes are recorded
    assert first["summary"]["verified"] == 3
    assert first["summary"]["verified_bytes"] == 3 * MIB
    target = files["Casablanca (1942)"]
    flip_byte(target, CHUNK + 4096)  # between the first and the middle sampled chunks

    assert check(lib, "--verify-hash", expect=0)["hash_mismatches"] == []
    report = check(lib, "--full", expect=1)

    [mismatch] = report["hash_mismatches"]
    assert mismatch["path"] == "Films/Casablanca (1942)/Casablanca (1942).mkv"
    assert mismatch["mismatch"] == "full_hash"
    assert mismatch["expected"] != mismatch["actual"]
    mismatches = sql(lib, "SELECT path, mismatch FROM integrity_hash_mismatches")
    assert mismatches == [{"path": mismatch["path"], "mismatch": "full_hash"}]
    history = lib.json("history", mismatch["path"])
    types = [e["type"] for e in history]
    assert types.count("FullHashRecorded") == 1
    assert types.count("HashVerified") == 1  # the mismatch (matches are recorded in bulk)
    assert history[-1]["data"]["ok"] is False
    rows = sql(lib, "SELECT path, ok, full_check FROM integrity_verifications ORDER BY path")
    assert [(r["ok"], r["full_check"]) for r in rows] == [
        (True, "compared"), (True, "compared"), (False, "compared"),
    ]  # fmt: skip


def test_oldest_n_verifies_the_files_verified_longest_ago(slib: Lib) -> None:
    healthy(slib)
    slib.write("Films/Dune (1984)/Dune (1984).mkv", "the film Dune")
    imported(slib)
    verified_at: dict[str, str] = {}

    def verified() -> dict[str, str]:
        rows = sql(slib, "SELECT path, verified_at FROM integrity_verifications")
        return {r["path"]: r["verified_at"] for r in rows}

    assert check(slib, "--oldest", "3", expect=0)["summary"]["verified"] == 3
    verified_at = verified()
    assert len(verified_at) == 3
    never = {
        "Films/Alien (1979)/Alien (1979).mkv",
        "Films/Brazil (1985)/Brazil (1985).mkv",
        "Films/Casablanca (1942)/Casablanca (1942).mkv",
        "Films/Dune (1984)/Dune (1984).mkv",
    } - set(verified_at)
    assert len(never) == 1

    assert check(slib, "--oldest", "2", expect=0)["summary"]["verified"] == 2
    after = verified()
    again = {p for p in after if after[p] != verified_at.get(p)}
    # the one never verified, then the one verified longest ago (ties broken by path)
    assert never <= again and len(again) == 2
    oldest_before = min(verified_at, key=lambda p: (verified_at[p], p))
    assert again == never | {oldest_before}


# -- what the run records ----------------------------------------------------------------------


def test_the_findings_are_integrity_views_and_rebuild_gives_them_back(clib: Lib) -> None:
    lib = clib
    files = healthy(lib)
    os.remove(files["Alien (1979)"])
    lib.write("Films/Dune (1984).mkv")
    report = check(lib, "--verify-hash", expect=1)

    [ghost] = report["ghosts"]
    ghosts = sql(lib, "SELECT path, file_id FROM integrity_ghosts")
    assert ghosts == [{"path": ghost["path"], "file_id": ghost["file_id"]}]
    assert sql(lib, "SELECT path FROM integrity_orphans") == [{"path": "Films/Dune (1984).mkv"}]
    assert [r["link"] for r in sql(lib, "SELECT link FROM integrity_broken_links")] == [
        "Films/Alien (1979).mkv"
    ]
    [trend] = sql(
        lib,
        "SELECT run_id, ghosts, orphans, broken_links, verify_hash, files FROM integrity_checks",
    )
    assert trend == {
        "run_id": report["run_id"], "ghosts": 1, "orphans": 1, "broken_links": 1,
        "verify_hash": True, "files": 3,
    }  # fmt: skip
    query = "SELECT * FROM integrity_findings ORDER BY ALL"
    before = sql(lib, query)
    verifications = sql(lib, "SELECT * FROM integrity_verifications ORDER BY path")
    assert lib.cli("rebuild").exit_code == 0
    assert sql(lib, query) == before
    assert sql(lib, "SELECT * FROM integrity_verifications ORDER BY path") == verifications


def test_each_check_is_a_run_with_its_summary(slib: Lib) -> None:
    files = healthy(slib)
    check(slib, expect=0)
    os.remove(files["Alien (1979)"])
    check(slib, expect=1)
    runs = [r for r in slib.json("runs") if r["command"] == "check"]
    assert [r["summary"]["ghosts"] for r in runs] == [1, 0]  # newest first
    assert [r["exit_code"] for r in runs] == [1, 0]
    trend = sql(slib, "SELECT ghosts FROM integrity_checks ORDER BY started_at")
    assert [r["ghosts"] for r in trend] == [0, 1]
    # the views show the latest check only
    assert len(sql(slib, "SELECT * FROM integrity_ghosts")) == 1


def test_a_stale_projection_is_caught_up_not_reported(slib: Lib) -> None:
    healthy(slib)
    projection = slib.home / "catalog.duckdb"
    saved = {p: p.read_bytes() for p in slib.home.glob("catalog.duckdb*")}
    slib.write("Films/Dune (1984)/Dune (1984).mkv")
    imported(slib)  # the store knows Dune ...
    for p in slib.home.glob("catalog.duckdb*"):
        p.unlink()
    for p, data in saved.items():
        p.write_bytes(data)  # ... the projection, put back as it was, does not
    assert projection.exists()

    report = check(slib, expect=0)

    assert report["orphans"] == []
    assert report["summary"]["files"] == 4


def test_check_changes_no_file(slib: Lib) -> None:
    files = healthy(slib)
    link(slib, "Films/gone.mkv", "../../storage/nothing.mkv")
    slib.write("Films/Dune (1984).mkv")

    def snapshot() -> dict[str, tuple[int, float, str]]:
        out = {}
        for base in (slib.storage, slib.video):
            for dirpath, dirnames, filenames in os.walk(base):
                for name in dirnames + filenames:
                    p = os.path.join(dirpath, name)
                    st = os.lstat(p)
                    text = os.readlink(p) if os.path.islink(p) else ""
                    out[p] = (st.st_size, st.st_mtime, text)
        return out

    before = snapshot()
    check(slib, "--full", expect=1)
    assert snapshot() == before
    assert all(p.exists() for p in files.values())
