"""A damaged DuckDB projection is rebuilt from the store by the next command, which says so;
the event store is only read (its bytes, with SQLite, and its events are unchanged)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import struct
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Lib, _make_lib
from tests.faults import harness

FILES = [f"Films/Film {i} ({1990 + i})/Film.{1990 + i}.mkv" for i in range(12)]


def _library(lib: Lib) -> harness.Home:
    for rel in FILES:
        lib.write(rel)
    result = lib.cli("import")
    assert result.exit_code == 0, result.output
    return harness.Home(lib.root, lib.home, lib.store)


def _store_digest(home: harness.Home) -> tuple[int, str]:
    events = harness.stored_events(home)
    h = hashlib.sha256()
    for e in events:
        h.update(repr((e.position, e.originator_id, e.version, e.topic, e.data)).encode())
    return len(events), h.hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _truncate_half(db: Path) -> None:
    os.truncate(db, db.stat().st_size // 2)


def _truncate_zero(db: Path) -> None:
    os.truncate(db, 0)


def _truncate_header(db: Path) -> None:
    os.truncate(db, 4096)


def _garbage(db: Path) -> None:
    db.write_bytes(random.Random(7).randbytes(300_000))


def _flip_a_block(db: Path) -> None:
    with open(db, "r+b") as f:  # a checksummed block no longer matches
        f.seek(8)
        f.write(struct.pack("<Q", 5000))


def _newer_schema(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:  # a newer videotheque's projection: another schema digest, an extra table
        con.execute("UPDATE projection_state SET schema_digest = 'from-a-newer-version'")
        con.execute("CREATE TABLE added_by_a_newer_version (x INTEGER)")
    finally:
        con.close()


def _ahead_of_the_store(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute("UPDATE projection_state SET position = position + 1000")
    finally:
        con.close()


def _deleted(db: Path) -> None:
    db.unlink()


def _deleted_with_a_stale_wal(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:  # a WAL left by a process killed mid-write, then its database deleted
        con.execute("PRAGMA disable_checkpoint_on_shutdown")
        con.execute("SET checkpoint_threshold = '1GB'")
        con.execute("CREATE TABLE stale AS SELECT range AS x FROM range(100)")
        con.execute("DELETE FROM catalog_files")
    finally:
        con.close()
    assert db.with_name(db.name + ".wal").exists()
    db.unlink()


DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated-half": (_truncate_half, "truncated"),
    "truncated-to-zero": (_truncate_zero, "unreadable"),
    "truncated-to-header": (_truncate_header, "unreadable"),
    "garbage": (_garbage, "unreadable"),
    "corrupt-block": (_flip_a_block, "unreadable"),
    "newer-schema": (_newer_schema, "written by another version of the schema"),
    "ahead-of-store": (_ahead_of_the_store, "ahead of the event store"),
    "deleted": (_deleted, "missing"),
    "deleted-stale-wal": (_deleted_with_a_stale_wal, "missing"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_the_next_command_rebuilds_a_damaged_projection_and_says_so(
    sqlite_lib: Lib, damage: str
) -> None:
    home = _library(sqlite_lib)
    db = home.home / "catalog.duckdb"
    before = harness.dump(db)
    store_file = home.home / "events.sqlite"
    store_bytes, store_events = _file_digest(store_file), _store_digest(home)

    hurt, reason = DAMAGES[damage]
    hurt(db)
    result = sqlite_lib.cli("catalog", "--json")
    assert result.exit_code == 0, result.output
    assert f"was {reason}" in result.stderr and "rebuilt from the event store" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(json.loads(result.stdout)) == len(FILES)  # stdout stays JSON

    assert harness.dump(db) == before  # every table as it was
    assert _file_digest(store_file) == store_bytes  # the store was only read
    assert _store_digest(home) == store_events
    again = sqlite_lib.cli("status")  # once rebuilt, no more notices
    assert again.exit_code == 0 and "rebuilt" not in again.stderr


@pytest.mark.postgres
def test_a_damaged_projection_on_a_shared_store_is_rebuilt_from_it(
    pg_store: str, tmp_path: Path
) -> None:
    lib = _make_lib(tmp_path, pg_store)
    home = _library(lib)
    db = home.home / "catalog.duckdb"
    before, store_events = harness.dump(db), _store_digest(home)
    _truncate_half(db)
    result = lib.cli("status")
    assert result.exit_code == 0, result.output
    assert "was truncated" in result.stderr and "rebuilt from the event store" in result.stderr
    assert harness.dump(db) == before
    assert _store_digest(home) == store_events


@pytest.mark.slow
def test_a_killed_rebuild_is_finished_by_the_next_command(sqlite_lib: Lib) -> None:
    """``rebuild`` writes a new file beside the old one and swaps it in: a kill anywhere
    leaves the old projection or the new one, never a mix, and no stray file for long."""
    home = _library(sqlite_lib)
    db = home.home / "catalog.duckdb"
    before = harness.dump(db)
    result, points, duration = harness.trace(home, "rebuild")
    assert result.returncode == 0, result.stderr
    rng = random.Random("kill-rebuild")
    kills = [{"VTQ_FAULT_KILL_AT": str(n)} for n in range(1, len(points) + 1)]
    kills += [{"VTQ_FAULT_KILL_AFTER": f"{rng.uniform(0, duration):.3f}"} for _ in range(4)]
    for env in kills:
        killed = harness.vtq(home, "rebuild", env=env)
        assert killed.returncode in (0, -signal.SIGKILL), killed.stderr
        after = sqlite_lib.cli("status")
        assert after.exit_code == 0, after.output
        assert harness.dump(db) == before, env
    again = sqlite_lib.cli("rebuild")
    assert again.exit_code == 0
    assert not list(home.home.glob("*.rebuilding*"))
