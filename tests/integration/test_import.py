"""``import`` and the query commands through the real stores (SQLite and PostgreSQL), the
real DuckDB projection and real files in tmp_path: each classification, each bad input,
the safety guards, the lock, and the projection's rebuild."""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import Lib
from videotheque.commands.adapters.fingerprint import fingerprint, fingerprint_many
from videotheque.domain.media_file import MediaFile

REPO = Path(__file__).resolve().parents[2]

IMPORT_KEYS = (
    "run_id", "new", "unchanged", "moved", "copies", "changed", "vanished", "reappeared",
    "errors",
)  # fmt: skip
CATALOG_KEYS = {
    "file_id", "path", "paths", "size", "fingerprint", "kind", "title", "year", "season",
    "episode", "status",
}  # fmt: skip
HISTORY_KEYS = {"position", "timestamp", "run_id", "type", "path", "data"}


# -- helpers ---------------------------------------------------------------------------


def run_import(lib: Lib, *args: str, expect: int = 0) -> dict[str, Any]:
    result = lib.cli("import", *args, "--json")
    assert result.exit_code == expect, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def counts(report: dict[str, Any]) -> dict[str, int]:
    """The non-zero classification counts of an import report."""
    return {k: report[k] for k in IMPORT_KEYS[1:-1] if report[k]}


def catalog(lib: Lib) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = lib.json("catalog")
    return rows


def by_path(lib: Lib) -> dict[str, dict[str, Any]]:
    """Every current path -> its catalog row (copies give several paths to one row)."""
    return {p: row for row in catalog(lib) for p in row["paths"]}


def store_position(lib: Lib) -> int:
    return int(lib.json("status")["store_position"])


def history(lib: Lib, path_or_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = lib.json("history", path_or_id)
    return events


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events if e["type"] != "Analyzed"]


def later(path: Path) -> None:
    """Give the file another mtime, as a touch or a rewrite would (the clock is moved back
    rather than forward, so that the mtime is not in the future)."""
    st = path.stat()
    os.utime(path, (st.st_atime, st.st_mtime - 1000))


def dump_projection(home: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every projection table (not the projector's own state), sorted."""
    con = duckdb.connect(str(home / "catalog.duckdb"), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' AND table_name <> 'projection_state' "
                "ORDER BY 1"
            ).fetchall()
        ]
        return {t: con.execute(f'SELECT * FROM "{t}" ORDER BY ALL').fetchall() for t in tables}
    finally:
        con.close()


def duck(home: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(home / "catalog.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# -- each classification ---------------------------------------------------------------


def test_new_files_are_catalogued_with_fingerprint_and_parsed_name(lib: Lib) -> None:
    film = lib.write("Films/Alien (1979)/Alien.1979.1080p.mkv", size=300_000)
    episode = lib.write("Series/Dark/Saison 1/Dark.S01E02.mkv")
    lib.write("Films/notes.txt")  # not a video: ignored
    report = run_import(lib)
    assert list(report)[: len(IMPORT_KEYS)] == list(IMPORT_KEYS)
    assert counts(report) == {"new": 2}
    assert report["errors"] == []
    assert re.fullmatch(r"[0-9a-f-]{36}", report["run_id"])

    rows = by_path(lib)
    assert set(rows) == {
        "Films/Alien (1979)/Alien.1979.1080p.mkv",
        "Series/Dark/Saison 1/Dark.S01E02.mkv",
    }
    alien = rows["Films/Alien (1979)/Alien.1979.1080p.mkv"]
    assert set(alien) >= CATALOG_KEYS
    assert alien["fingerprint"] == fingerprint(film)
    assert alien["size"] == 300_000
    assert (alien["kind"], alien["title"], alien["year"], alien["status"]) == (
        "movie",
        "Alien",
        1979,
        "present",
    )
    dark = rows["Series/Dark/Saison 1/Dark.S01E02.mkv"]
    assert (dark["kind"], dark["title"], dark["season"], dark["episode"]) == (
        "episode",
        "Dark",
        1,
        2,
    )
    assert dark["fingerprint"] == fingerprint(episode)
    (imported,) = [e for e in history(lib, alien["file_id"]) if e["type"] == "Imported"]
    assert imported["run_id"] == report["run_id"]
    assert imported["data"]["algorithm"] == "xxh3_128-3x64k-v1"
    assert imported["data"]["parser"].startswith("guessit ")


def test_reimport_of_an_unchanged_tree_records_only_the_run(lib: Lib) -> None:
    for i in range(3):
        lib.write(f"Films/Film {i} (200{i})/Film.mkv")
    run_import(lib)
    before = store_position(lib)
    report = run_import(lib)
    assert counts(report) == {"unchanged": 3}
    assert store_position(lib) == before + 2  # the run's Started and Finished, nothing else
    assert report["run_id"] is not None


def test_a_touched_file_keeps_its_identity(lib: Lib) -> None:
    path = lib.write("Films/Film (2001)/Film.mkv")
    run_import(lib)
    (row,) = catalog(lib)
    later(path)
    report = run_import(lib)
    assert counts(report) == {"unchanged": 1}
    (after,) = catalog(lib)
    assert after["file_id"] == row["file_id"]
    assert after["mtime"] == path.stat().st_mtime
    assert types(history(lib, row["file_id"])) == ["Imported", "Touched"]


def test_a_moved_file_keeps_identity_metadata_and_history(lib: Lib) -> None:
    lib.write("incoming/Heat.1995.mkv")
    lib.write("incoming/Other.2003.mkv")
    run_import(lib)
    heat = by_path(lib)["incoming/Heat.1995.mkv"]
    (lib.storage / "Films/Heat (1995)").mkdir(parents=True)
    (lib.storage / "incoming/Heat.1995.mkv").rename(lib.storage / "Films/Heat (1995)/Heat.mkv")
    report = run_import(lib)
    assert counts(report) == {"moved": 1, "unchanged": 1}
    moved = by_path(lib)["Films/Heat (1995)/Heat.mkv"]
    assert moved["file_id"] == heat["file_id"]
    for key in ("title", "year", "kind", "fingerprint", "imported_at"):
        assert moved[key] == heat[key]
    assert "incoming/Heat.1995.mkv" not in by_path(lib)
    # The history is the same whichever name the file is asked by, old or new.
    events = history(lib, "incoming/Heat.1995.mkv")
    assert types(events) == ["Imported", "Moved"]
    assert history(lib, "Films/Heat (1995)/Heat.mkv") == events
    assert history(lib, heat["file_id"]) == events
    assert all(set(e) == HISTORY_KEYS for e in events)
    move = events[-1]
    assert (move["data"]["old_path"], move["data"]["new_path"]) == (
        "incoming/Heat.1995.mkv",
        "Films/Heat (1995)/Heat.mkv",
    )
    assert move["run_id"] == report["run_id"]
    absolute = str(lib.storage / "Films/Heat (1995)/Heat.mkv")
    assert history(lib, absolute) == events  # an absolute path under storage works too


def test_a_copy_is_one_more_path_of_the_same_file(lib: Lib) -> None:
    lib.write("Films/Heat (1995)/Heat.mkv")
    run_import(lib)
    shutil.copy(lib.storage / "Films/Heat (1995)/Heat.mkv", lib.storage / "backup.mkv")
    report = run_import(lib)
    assert counts(report) == {"copies": 1, "unchanged": 1}
    (row,) = catalog(lib)
    assert row["paths"] == ["Films/Heat (1995)/Heat.mkv", "backup.mkv"]
    assert types(history(lib, "backup.mkv")) == ["Imported", "Copied"]


def test_new_content_at_a_known_path_is_changed(lib: Lib) -> None:
    path = lib.write("Films/Film (2001)/Film.mkv", "theatrical cut")
    run_import(lib)
    (old,) = catalog(lib)
    path.write_bytes(b"the director's cut")
    later(path)
    report = run_import(lib)
    assert counts(report) == {"changed": 1}
    rows = {r["file_id"]: r for r in catalog(lib)}
    assert rows[old["file_id"]]["status"] == "vanished"
    (new_id,) = set(rows) - {old["file_id"]}
    assert rows[new_id]["paths"] == ["Films/Film (2001)/Film.mkv"]
    assert rows[new_id]["fingerprint"] == fingerprint(path)
    assert types(history(lib, old["file_id"])) == ["Imported", "Replaced"]
    imported = [e for e in history(lib, new_id) if e["type"] == "Imported"]
    assert imported[0]["data"]["replaces"] == old["file_id"]


def test_moved_away_then_overwritten_is_a_move_and_a_change(lib: Lib) -> None:
    path = lib.write("Film.mkv", "theatrical cut")
    run_import(lib)
    (old,) = catalog(lib)
    (lib.storage / "old").mkdir()
    path.rename(lib.storage / "old/Film.mkv")
    lib.write("Film.mkv", "extended cut")
    later(lib.storage / "Film.mkv")
    report = run_import(lib)
    assert counts(report) == {"moved": 1, "changed": 1}
    rows = by_path(lib)
    assert rows["old/Film.mkv"]["file_id"] == old["file_id"]
    assert rows["old/Film.mkv"]["status"] == "present"
    assert rows["Film.mkv"]["file_id"] != old["file_id"]
    assert types(history(lib, old["file_id"])) == ["Imported", "Moved"]


def test_a_vanished_file_reappears_with_identity_history_and_metadata(lib: Lib) -> None:
    path = lib.write("Films/Heat (1995)/Heat.mkv")
    lib.write("keep/One.mkv")
    lib.write("keep/Two.mkv")
    lib.write("keep/Three.mkv")
    lib.write("keep/Four.mkv")
    run_import(lib)
    heat = by_path(lib)["Films/Heat (1995)/Heat.mkv"]
    aside = lib.root / "aside.mkv"
    path.rename(aside)
    report = run_import(lib)  # 1 of 5 files: under the mass-vanish guard
    assert counts(report) == {"vanished": 1, "unchanged": 4}
    gone = {r["file_id"]: r for r in catalog(lib)}[heat["file_id"]]
    assert (gone["status"], gone["paths"]) == ("vanished", [])

    (lib.storage / "back").mkdir()
    aside.rename(lib.storage / "back/Heat.mkv")
    report = run_import(lib)
    assert counts(report) == {"reappeared": 1, "unchanged": 4}
    back = by_path(lib)["back/Heat.mkv"]
    assert back["file_id"] == heat["file_id"]
    assert back["status"] == "present"
    for key in ("title", "year", "kind", "imported_at"):
        assert back[key] == heat[key]
    assert types(history(lib, "back/Heat.mkv")) == ["Imported", "Vanished", "Reappeared"]


# -- bad input ---------------------------------------------------------------------------


def _drop_file_permission_override() -> None:
    """In the child: give up root's power to read any file (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH leave the bounding set, so the exec'd CLI cannot have them)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def cli_without_root_override(lib: Lib, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess that chmod 000 really stops (as root too)."""
    argv = [sys.executable, "-m", "videotheque", *args, "--home", str(lib.home)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        argv,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_drop_file_permission_override if os.geteuid() == 0 else None,
    )


@pytest.mark.slow
def test_unreadable_files_and_folders_are_listed_and_never_vanish(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    lib.write("ok/Readable.mkv")
    lib.write("locked/Known.mkv")
    run_import(lib)
    locked_file = lib.write("New Unreadable.mkv")
    lib.write("locked/Also New.mkv")
    os.chmod(locked_file, 0)
    os.chmod(lib.storage / "locked", 0)
    try:
        result = cli_without_root_override(lib, "import", "--json")
    finally:
        os.chmod(lib.storage / "locked", 0o755)
        os.chmod(locked_file, 0o644)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert counts(report) == {"unchanged": 1}
    reasons = {e["path"]: e["reason"] for e in report["errors"]}
    assert reasons == {
        "New Unreadable.mkv": "cannot read: Permission denied",
        "locked": "folder unreadable: Permission denied",
    }
    # The known file behind the unreadable folder is still present, not vanished.
    assert by_path(lib)["locked/Known.mkv"]["status"] == "present"
    (run,) = [r for r in lib.json("runs") if r["run_id"] == report["run_id"]]
    assert (run["status"], run["exit_code"], run["summary"]["errors"]) == ("finished", 1, 2)
    # Readable again: both new files come in.
    assert counts(run_import(lib)) == {"new": 2, "unchanged": 2}


def test_an_unreadable_storage_root_records_nothing(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    lib.write("Film.mkv")
    run_import(lib)
    before = store_position(lib)
    os.chmod(lib.storage, 0)
    try:
        result = cli_without_root_override(lib, "import")
    finally:
        os.chmod(lib.storage, 0o755)
    assert result.returncode == 3, result.stderr
    assert "unreadable" in result.stderr and "nothing recorded" in result.stderr
    assert store_position(lib) == before


def test_a_file_vanishing_mid_scan_is_an_error_not_a_crash(
    lib: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib.write("a/Stays.mkv")
    doomed = lib.write("a/Deleted While Hashing.mkv")

    def delete_then_hash(paths: list[str], **kw: Any) -> Any:
        doomed.unlink()  # gone between the walk and the read
        return fingerprint_many(paths, **kw)

    monkeypatch.setattr("videotheque.commands.usecases.importer.fingerprint_many", delete_then_hash)
    report = run_import(lib, expect=1)
    assert counts(report) == {"new": 1}
    assert report["errors"] == [
        {"path": "a/Deleted While Hashing.mkv", "reason": "cannot read: No such file or directory"}
    ]
    assert set(by_path(lib)) == {"a/Stays.mkv"}


@pytest.mark.timeout(60)
def test_fifos_and_empty_files_are_listed_with_their_reason(lib: Lib) -> None:
    lib.write("Good.mkv")
    os.mkfifo(lib.storage / "x.mkv")  # reading it would block forever
    (lib.storage / "Empty.mkv").touch()
    report = run_import(lib, expect=1)
    assert counts(report) == {"new": 1}
    assert sorted((e["path"], e["reason"]) for e in report["errors"]) == [
        ("Empty.mkv", "empty file (0 bytes)"),
        ("x.mkv", "not a regular file (FIFO)"),
    ]
    assert set(by_path(lib)) == {"Good.mkv"}


def test_non_utf8_names_survive_byte_for_byte(lib: Lib) -> None:
    raw_storage = os.fsencode(lib.storage)
    name = b"Caf\xe9 \xff (2001).mkv"  # Latin-1 and an invalid byte
    with open(raw_storage + b"/" + name, "wb") as f:
        f.write(b"latin-1 named film")
    lib.write("Plain.mkv")
    report = run_import(lib)
    assert counts(report) == {"new": 2}
    stored = os.fsdecode(name)
    shown = "Caf\ufffd \ufffd (2001).mkv"

    rows = by_path(lib)
    assert set(rows) == {"Plain.mkv", shown}  # the display form
    file_id = rows[shown]["file_id"]
    # The catalog keeps the exact bytes, in file_paths and in catalog_files.
    assert duck(lib.home, "SELECT raw_path FROM file_paths WHERE path = ?", [shown]) == [(name,)]
    assert duck(lib.home, "SELECT raw_path FROM catalog_files WHERE path = ?", [shown]) == [(name,)]
    # The history gives the stored path back exactly (\udcXX escapes in the JSON).
    (imported,) = [e for e in history(lib, stored) if e["type"] == "Imported"]
    assert os.fsencode(imported["data"]["path"]) == name
    assert imported["path"] == shown

    # A move of it is recognised by its exact bytes, and recorded exactly.
    os.mkdir(raw_storage + b"/Films \xe9")
    os.rename(raw_storage + b"/" + name, raw_storage + b"/Films \xe9/" + name)
    report = run_import(lib)
    assert counts(report) == {"moved": 1, "unchanged": 1}
    events = history(lib, file_id)
    move = events[-1] if events[-1]["type"] == "Moved" else None
    assert move is not None, events
    assert os.fsencode(move["data"]["old_path"]) == name
    assert os.fsencode(move["data"]["new_path"]) == b"Films \xe9/" + name
    # And the store itself holds the exact path (the aggregate, decoded from the store).
    from videotheque.commands.bootstrap import open_session

    with open_session(lib.home, lib.store, catch_up=False) as session:
        from uuid import UUID

        aggregate: MediaFile = session.library.repository.get(UUID(file_id))
    assert [os.fsencode(p) for p in aggregate.paths] == [b"Films \xe9/" + name]
    # The table output shows the name readably instead of crashing on it.
    result = lib.cli("history", stored)
    assert result.exit_code == 0, result.output
    assert "Caf\ufffd" in result.stdout


def test_symlinks_are_never_followed(lib: Lib, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Outside.mkv").write_bytes(b"outside the storage root")
    lib.write("Films/Inside.mkv")
    (lib.storage / "loop").symlink_to(lib.storage)  # a loop back to the root
    (lib.storage / "Films/up").symlink_to("..")
    (lib.storage / "escape").symlink_to(outside)  # a folder outside the root
    (lib.storage / "Escape.mkv").symlink_to(outside / "Outside.mkv")
    (lib.storage / "Broken.mkv").symlink_to(lib.storage / "nowhere.mkv")
    report = run_import(lib)
    assert counts(report) == {"new": 1}
    assert report["errors"] == []
    assert set(by_path(lib)) == {"Films/Inside.mkv"}


# -- safety --------------------------------------------------------------------------------


def test_a_missing_or_empty_storage_root_records_nothing(lib: Lib) -> None:
    lib.write("Film.mkv")
    run_import(lib)
    before = store_position(lib)
    runs_before = len(lib.json("runs"))
    (lib.storage / "Film.mkv").unlink()
    result = lib.cli("import")  # empty: an unmounted share's mount point
    assert result.exit_code == 3
    assert "is empty" in result.stderr and "nothing recorded" in result.stderr
    lib.storage.rmdir()
    result = lib.cli("import")  # missing
    assert result.exit_code == 3
    assert "does not exist" in result.stderr
    result = lib.cli("import", str(lib.root / "elsewhere"))  # not a folder of the storage
    assert result.exit_code == 2
    assert "not inside the storage root" in result.stderr
    assert store_position(lib) == before
    assert len(lib.json("runs")) == runs_before
    assert catalog(lib)[0]["status"] == "present"


def test_the_mass_vanish_guard_records_nothing_unless_allowed(lib: Lib) -> None:
    for i in range(10):
        lib.write(f"Films/Film {i}.mkv")
    run_import(lib)
    for i in range(2):  # 20%: still allowed
        (lib.storage / f"Films/Film {i}.mkv").unlink()
    assert counts(run_import(lib)) == {"vanished": 2, "unchanged": 8}
    for i in range(2, 4):  # 2 of 8 present = 25%
        (lib.storage / f"Films/Film {i}.mkv").unlink()
    before = store_position(lib)
    result = lib.cli("import", "--json")
    assert result.exit_code == 3
    assert "2 of 8" in result.stderr and "--allow-mass-vanish" in result.stderr
    assert result.stdout == ""
    assert store_position(lib) == before
    assert sum(r["status"] == "present" for r in catalog(lib)) == 8
    report = run_import(lib, "--allow-mass-vanish")
    assert counts(report) == {"vanished": 2, "unchanged": 6}


def test_min_age_skips_files_still_being_written(lib: Lib) -> None:
    old = lib.write("Old.mkv")
    past = time.time() - 7200
    os.utime(old, (past, past))
    lib.write("Downloading.mkv")
    report = run_import(lib, "--min-age", "3600")
    assert counts(report) == {"new": 1}
    assert report["skipped_recent"] == 1
    assert set(by_path(lib)) == {"Old.mkv"}
    # A known file being rewritten is neither changed nor vanished while it is too recent.
    old.write_bytes(b"being rewritten")
    report = run_import(lib, "--min-age", "3600")
    assert counts(report) == {}
    assert by_path(lib)["Old.mkv"]["status"] == "present"
    assert counts(run_import(lib)) == {"new": 1, "changed": 1}
    # Without --min-age, a file dated in the future (a share's clock is ahead) comes in.
    ahead = lib.write("Ahead.mkv")
    os.utime(ahead, (time.time() + 3600, time.time() + 3600))
    report = run_import(lib)
    assert (counts(report), report["skipped_recent"]) == ({"new": 1, "unchanged": 2}, 0)


def test_dry_run_computes_the_summary_and_appends_nothing(lib: Lib) -> None:
    lib.write("a.mkv")
    lib.write("b.mkv")
    run_import(lib)
    (lib.storage / "b.mkv").rename(lib.storage / "c.mkv")
    lib.write("d.mkv")
    before = store_position(lib)
    dry = run_import(lib, "--dry-run")
    assert dry["run_id"] is None
    assert store_position(lib) == before
    assert set(by_path(lib)) == {"a.mkv", "b.mkv"}
    real = run_import(lib)
    assert {k: dry[k] for k in IMPORT_KEYS[1:]} == {k: real[k] for k in IMPORT_KEYS[1:]}
    assert counts(real) == {"new": 1, "moved": 1, "unchanged": 1}
    result = lib.cli("import", "--dry-run")
    assert result.stdout.startswith("dry run: would record")


def test_a_second_concurrent_run_exits_4(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    lib.write("Film.mkv")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path\n"
            "from videotheque.commands.adapters.lock import HomeLock\n"
            "with HomeLock(Path(sys.argv[1])):\n"
            "    print('locked', flush=True); time.sleep(60)",
            str(lib.home),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        result = lib.cli("import")
        assert result.exit_code == 4
        match = re.search(r"library locked by pid (\d+) since (\S+)", result.stderr)
        assert match, result.stderr
        assert int(match.group(1)) == holder.pid
        # Readers do not wait: they read the projection as of the last catch-up.
        assert lib.cli("status").exit_code == 0
    finally:
        holder.kill()
        holder.wait()
    assert counts(run_import(lib)) == {"new": 1}  # the lock died with its holder


# -- the projection ------------------------------------------------------------------------


def _busy_history(lib: Lib) -> None:
    """A few imports that produce every kind of event."""
    for i in range(4):
        lib.write(f"Films/Film {i} ({2000 + i})/Film.mkv")
    lib.write("Series/Show/Show.S01E01.mkv")
    run_import(lib)
    (lib.storage / "Films/Film 0 (2000)/Film.mkv").rename(lib.storage / "Film 0.mkv")
    shutil.copy(lib.storage / "Films/Film 1 (2001)/Film.mkv", lib.storage / "copy.mkv")
    changed = lib.storage / "Films/Film 2 (2002)/Film.mkv"
    changed.write_bytes(b"new content")
    later(changed)
    later(lib.storage / "Films/Film 3 (2003)/Film.mkv")
    run_import(lib)
    (lib.storage / "copy.mkv").unlink()
    run_import(lib)


def test_rebuild_equals_the_incremental_projection(lib: Lib) -> None:
    _busy_history(lib)
    incremental = dump_projection(lib.home)
    assert {"catalog_files", "file_paths", "runs", "events"} <= set(incremental)
    assert len(incremental["events"]) == store_position(lib)
    result = lib.cli("rebuild")
    assert result.exit_code == 0, result.output
    assert "events replayed" in result.stdout
    assert dump_projection(lib.home) == incremental


@pytest.mark.parametrize("damage", ["deleted", "truncated", "emptied"])
def test_a_damaged_projection_is_rebuilt_and_said_so(sqlite_lib: Lib, damage: str) -> None:
    lib = sqlite_lib
    _busy_history(lib)
    before = dump_projection(lib.home)
    db = lib.home / "catalog.duckdb"
    if damage == "deleted":
        db.unlink()
    elif damage == "truncated":
        os.truncate(db, db.stat().st_size // 2)
    else:
        os.truncate(db, 0)
    result = lib.cli("status")
    assert result.exit_code == 0, result.output
    assert re.search(
        r"projection .*catalog\.duckdb was .*: rebuilt from the event store", result.stderr
    )
    assert dump_projection(lib.home) == before
    assert "rebuilt" not in lib.cli("status").stderr  # once


def test_sql_is_read_only_and_has_no_file_access(sqlite_lib: Lib, tmp_path: Path) -> None:
    lib = sqlite_lib
    lib.write("Film.mkv")
    run_import(lib)
    result = lib.cli("sql", "SELECT count(*) AS n FROM files", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"n": 1}]
    result = lib.cli("sql", "SELECT kind, status FROM files", "--format", "csv")
    assert result.stdout.splitlines()[0] == "kind,status"
    secret = tmp_path / "secret.csv"
    secret.write_text("a,b\n1,2\n")
    for query in (
        "DELETE FROM catalog_files",
        "CREATE TABLE t (a INTEGER)",
        f"COPY catalog_files TO '{tmp_path / 'out.csv'}'",
        f"SELECT * FROM read_csv('{secret}')",
        f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
        "SET enable_external_access = true",
        "SELEC 1",
    ):
        result = lib.cli("sql", query)
        assert result.exit_code == 2, (query, result.output)
        assert result.stderr.startswith("videotheque: error: SQL: "), result.stderr
        assert "Traceback" not in result.output
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "other.duckdb").exists()
    assert len(catalog(lib)) == 1


# -- the query commands ----------------------------------------------------------------------


def test_catalog_runs_and_status(lib: Lib) -> None:
    lib.write("Films/Heat (1995)/Heat.mkv")
    lib.write("Series/Dark/Dark.S01E01.mkv")
    lib.write("Series/Dark/Dark.S01E02.mkv")
    for i in range(3):  # so that one file gone stays under the mass-vanish guard
        lib.write(f"Series/Dark/Dark.S02E0{i + 1}.mkv")
    first = run_import(lib)
    (lib.storage / "Series/Dark/Dark.S01E02.mkv").unlink()
    second = run_import(lib)

    rows = catalog(lib)
    assert all(set(r) >= CATALOG_KEYS for r in rows)
    assert sorted(r["status"] for r in rows) == ["present"] * 5 + ["vanished"]
    episodes = lib.json("catalog", "--kind", "episode")
    assert sorted((r["season"], r["episode"]) for r in episodes) == [
        (1, 1), (1, 2), (2, 1), (2, 2), (2, 3),
    ]  # fmt: skip
    assert [r["title"] for r in lib.json("catalog", "--kind", "movie")] == ["Heat"]
    bad = lib.cli("catalog", "--kind", "documentary")
    assert bad.exit_code == 2

    runs = lib.json("runs")
    assert [r["run_id"] for r in runs[:2]] == [second["run_id"], first["run_id"]]
    newest = runs[0]
    assert (newest["command"], newest["status"], newest["exit_code"]) == ("import", "finished", 0)
    assert newest["summary"]["vanished"] == 1
    assert newest["started_at"] <= newest["ended_at"]

    status = lib.json("status")
    by = {(r["kind"], r["status"]): r["files"] for r in status["by_kind"]}
    assert by == {("movie", "present"): 1, ("episode", "present"): 4, ("episode", "vanished"): 1}
    assert status["store_position"] == status["projection_position"] > 0
    assert status["last_run"]["run_id"] == second["run_id"]
    text = lib.cli("status")
    assert text.exit_code == 0
    assert f"event store position {status['store_position']}" in text.stdout

    unknown = lib.cli("history", "never/was/here.mkv")
    assert unknown.exit_code == 2  # usage: the README's exit-code table
    assert "no file known" in unknown.stderr


def test_config_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """config.toml may hold a PostgreSQL password: other users must not read it."""
    from typer.testing import CliRunner

    from videotheque.commands.cli.app import app

    home = tmp_path / "home"
    (tmp_path / "lib" / "storage").mkdir(parents=True)
    result = CliRunner().invoke(app, ["init", str(tmp_path / "lib"), "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert (home / "config.toml").stat().st_mode & 0o077 == 0


def test_present_stats_are_those_of_the_known_files(lib: Lib) -> None:
    """The re-import's shortcut query agrees with the full catalog it stands in for: copies,
    moves, vanished files, non-UTF-8 names."""
    from videotheque.domain.import_plan import index_by_path
    from videotheque.projections.queries import known_files, present_stats

    _busy_history(lib)
    odd = os.fsencode(lib.storage) + b"/Caf\xe9 (1999).mkv"
    with open(odd, "wb") as f:
        f.write(b"latin-1 name")
    (lib.storage / "Series/Show/Show.S01E01.mkv").unlink()
    run_import(lib)
    con = duckdb.connect(str(lib.home / "catalog.duckdb"), read_only=True)
    try:
        known = known_files(con)
        assert any(k.status != "present" for k in known.values())  # a vanished one too
        expected = index_by_path(known.values())
        assert present_stats(con) == {p: (size, mtime) for p, (_, size, mtime) in expected.items()}
        assert os.fsdecode(b"Caf\xe9 (1999).mkv") in expected
    finally:
        con.close()


def test_dry_run_parses_the_new_names_as_the_run_will(sqlite_lib: Lib) -> None:
    """--dry-run does the run's slowest step too (its time tells what the run takes), and
    says what the names were parsed as, like the run does."""
    lib = sqlite_lib
    lib.write("Films/Heat.1995.mkv")
    lib.write("Series/Kaamelott/Kaamelott.S01E02.mkv")
    lib.write("Series/Kaamelott/Kaamelott.S01E03.mkv")
    dry = run_import(lib, "--dry-run")
    assert dry["parsed"] == {"episode": 2, "movie": 1}
    assert dry["run_id"] is None and store_position(lib) == 0
    real = run_import(lib)
    assert real["parsed"] == dry["parsed"]
    assert run_import(lib)["parsed"] == {}  # nothing new, nothing parsed
