"""The readers' copy of the projection (``Projector.publish``): published after a catch-up
that changed the projection, not copied again when nothing changed, swapped in whole (a
reader that has the old copy open keeps reading it), and read-only for readers."""

from __future__ import annotations

import os

import duckdb
import pytest

from tests.conftest import Lib
from videotheque.commands.library import open_library
from videotheque.projections.projector import ProjectionLockedError, Projector


def count(path: object) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM catalog_files").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def test_a_catch_up_publishes_the_copy_readers_read(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    lib.write("Films/A (2001).mkv")
    assert lib.cli("import").exit_code == 0
    live, copy = lib.home / "catalog.duckdb", lib.home / "catalog.read.duckdb"
    assert count(copy) == count(live) == 1
    stamp = copy.stat().st_mtime_ns, copy.stat().st_ino

    # Nothing new: nothing copied.
    assert lib.cli("status").exit_code == 0
    assert (copy.stat().st_mtime_ns, copy.stat().st_ino) == stamp

    # A reader holding the old copy keeps it while a new one is swapped in.
    old = duckdb.connect(str(copy), read_only=True)
    try:
        lib.write("Films/B (2002).mkv")
        assert lib.cli("import").exit_code == 0
        assert copy.stat().st_ino != stamp[1]
        assert old.execute("SELECT count(*) FROM catalog_files").fetchone() == (1,)
    finally:
        old.close()
    assert count(copy) == 2
    assert not [p for p in os.listdir(lib.home) if p.endswith(".tmp")]


def test_publishing_is_deferred_while_it_would_cost_too_much(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    lib.write("Films/A (2001).mkv")
    assert lib.cli("import").exit_code == 0
    library = open_library(None, lib.home)
    try:
        projector = Projector(
            lib.home / "catalog.duckdb", library.recorder, snapshot=lib.home / "copy.duckdb"
        )
        stale = lib.home / "copy.duckdb.12345.tmp"  # a copy killed midway
        stale.write_bytes(b"half a copy")
        assert projector.publish() and projector.published()
        assert not stale.exists()
        os.utime(projector.db_path)  # as a commit would
        projector._publish_cost = 3600.0  # as if a copy took an hour
        assert not projector.publish(force=False) and not projector.published()
        assert projector.publish() and projector.published()  # the session's end: forced

        reader = Projector(projector.snapshot or lib.home, library.recorder, read_only=True)
        with pytest.raises(ProjectionLockedError):
            reader.catch_up()
        with reader.connect() as con, pytest.raises(duckdb.Error):
            con.execute("DELETE FROM catalog_files")
    finally:
        library.close()
