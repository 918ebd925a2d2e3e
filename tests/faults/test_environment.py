"""A hostile machine: the store locked by another program, a read-only home, a full disk,
two commands at once. Each ends with a clear message on stderr and an exit code, never a
traceback, and leaves nothing half-written: the next run, once the obstacle is gone,
finishes the job.

The full disk is a small tmpfs (``mount -t tmpfs -o size=...``) and the read-only home a
read-only bind mount: both need root (the tests run as root in CI). Without root they
fall back to what an ordinary user can do: ``RLIMIT_FSIZE`` (writes past a size fail with
EFBIG, as on a full disk) and ``chmod``.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import videotheque.commands.cli.app  # noqa: F401  (registers every command on the app)
from tests.conftest import Lib
from tests.fakes.provider_server import FakeProviders
from tests.faults import harness
from videotheque.commands.cli.base import app

pytestmark = pytest.mark.slow
FILES = [f"Films/Film {i} ({2000 + i})/Film.{2000 + i}.mkv" for i in range(8)]
ROOT = os.geteuid() == 0


def _populate(lib: Lib, files: list[str] = FILES) -> harness.Home:
    for rel in files:
        lib.write(rel)
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    return harness.Home(lib.root, lib.home, lib.store)


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("videotheque: error: "), result.stderr


def _catalog_paths(home: harness.Home) -> list[str]:
    harness.catch_up(home)
    rows = harness.query(
        home,
        "SELECT p.path FROM file_paths p JOIN catalog_files f ON f.id = p.file_id "
        "WHERE f.status = 'present' ORDER BY 1",
    )
    return [p for (p,) in rows]


def _disk_paths(home: harness.Home) -> list[str]:
    return sorted(
        str(p.relative_to(home.storage)) for p in home.storage.rglob("*.mkv") if p.is_file()
    )


def _integrity(home: harness.Home) -> str:
    con = sqlite3.connect(home.home / "events.sqlite")
    try:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        con.close()


def _rebuild_equals_incremental(home: harness.Home, work: Path) -> None:
    harness.catch_up(home)
    assert harness.dump(home.home / "catalog.duckdb") == harness.rebuilt_dump(home, work)


# -- the store locked by another program ------------------------------------------------


@contextlib.contextmanager
def _exclusive(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``BEGIN EXCLUSIVE`` on the SQLite store."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
         "c.execute('BEGIN EXCLUSIVE'); print('held', flush=True); sys.stdin.read()",
         str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        yield holder
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)


def test_a_store_locked_by_another_program_is_a_clear_error(sqlite_lib: Lib) -> None:
    home = _populate(sqlite_lib)
    assert sqlite_lib.cli("import").exit_code == 0
    sqlite_lib.write("Films/New (2024)/New.2024.mkv")
    store = home.home / "events.sqlite"
    wait = {"LIBRARY_SQLITE_LOCK_TIMEOUT": "1"}  # eventsourcing's own setting (default 30 s)
    with _exclusive(store):
        before = store.read_bytes()
        for args in (("import",), ("enrich", "--provider", "nfo"), ("organize",)):
            started = time.monotonic()
            result = harness.vtq(home, *args, env=wait)
            assert result.returncode == 1, (args, result.stderr)
            _no_traceback(result)
            assert "event store" in result.stderr and "locked" in result.stderr
            assert time.monotonic() - started < 20
        # Reading needs no write lock (WAL): the catalog is still there to see.
        status = harness.vtq(home, "status", env=wait)
        assert status.returncode == 0, status.stderr
        assert store.read_bytes() == before
    done = harness.vtq(home, "import")
    assert done.returncode == 0, done.stderr
    assert _catalog_paths(home) == _disk_paths(home)
    assert _integrity(home) == "ok"


# -- a read-only home ---------------------------------------------------------------------


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[None]:
    if ROOT:
        subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
        try:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True)
            yield
        finally:
            subprocess.run(["umount", str(path)], check=True)
    else:
        modes = {p: p.stat().st_mode for p in [path, *path.iterdir()]}
        for p in modes:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)


def test_a_read_only_home_is_a_clear_error(sqlite_lib: Lib) -> None:
    home = _populate(sqlite_lib)
    assert sqlite_lib.cli("import").exit_code == 0
    sqlite_lib.write("Films/New (2024)/New.2024.mkv")
    snapshot = {p.name: p.read_bytes() for p in home.home.iterdir() if p.is_file()}
    with _read_only(home.home):
        for args in (("import",), ("status",), ("organize",), ("rebuild",)):
            result = harness.vtq(home, *args)
            assert result.returncode == 2, (args, result.stderr)  # a home it cannot use
            _no_traceback(result)
            assert "Read-only file system" in result.stderr or "Permission denied" in (
                result.stderr
            )
            assert str(home.home) in result.stderr  # says where
        assert {p.name: p.read_bytes() for p in home.home.iterdir() if p.is_file()} == snapshot
    done = harness.vtq(home, "import")
    assert done.returncode == 0, done.stderr
    assert _catalog_paths(home) == _disk_paths(home)


# -- a full disk ----------------------------------------------------------------------------


@contextlib.contextmanager
def _small_disk(path: Path, size: str = "24m", inodes: int | None = None) -> Iterator[None]:
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (f",nr_inodes={inodes}" if inodes else "")
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def _fill(path: Path, leave: int) -> Path:
    """Fill the file system holding ``path`` but ``leave`` bytes."""
    filler = path / "filler"
    st = os.statvfs(path)
    free = st.f_bavail * st.f_frsize
    with open(filler, "wb") as f:
        try:
            f.write(b"\0" * max(0, free - leave))
        except OSError:
            pass
    return filler


needs_root = pytest.mark.skipif(not ROOT, reason="mounting a small tmpfs needs root")


@needs_root
@pytest.mark.parametrize("leave", [0, 16 * 1024, 256 * 1024])
def test_a_full_disk_under_the_home_is_a_clear_error_and_loses_nothing(
    tmp_path: Path, leave: int
) -> None:
    """The home on a full file system: ``import`` of new files stops with a message (where
    it stops depends on how much room is left: the store's append, the projection's
    write); once room is made, the next import records everything, and the store is
    sound."""
    lib_root, home_dir = tmp_path / "lib", tmp_path / "home"
    (lib_root / "storage").mkdir(parents=True)
    with _small_disk(home_dir):
        lib = Lib(lib_root, lib_root / "storage", lib_root / "video", lib_root / "trash",
                  home_dir, None)  # fmt: skip
        assert lib.cli("init", str(lib_root)).exit_code == 0
        home = _populate(lib, FILES[:3])
        assert lib.cli("import").exit_code == 0
        for rel in FILES[3:]:
            lib.write(rel)
        for i in range(300):  # enough events to need room
            lib.write(f"More/Clip {i:03d}.mkv")
        filler = _fill(home_dir, leave)
        result = harness.vtq(home, "import")
        if result.returncode != 0:  # with room left, it may well succeed
            assert result.returncode == 1, result.stderr
            _no_traceback(result)
            assert re.search(r"No space left|no space left on the disk holding", result.stderr)
            assert str(home_dir) in result.stderr  # says where
        filler.unlink()
        done = harness.vtq(home, "import")
        assert done.returncode == 0, done.stderr
        assert _catalog_paths(home) == _disk_paths(home)
        assert _integrity(home) == "ok"
        _rebuild_equals_incremental(home, tmp_path / "rebuild")


@needs_root
def test_a_full_video_disk_leaves_organize_consistent(sqlite_lib: Lib, tmp_path: Path) -> None:
    """The video tree on a file system out of inodes: the links that could not be made are
    reported (exit 1), nothing is recorded for them, and once there is room the next
    ``organize`` makes them."""
    lib = sqlite_lib
    _populate(lib)
    assert lib.cli("import").exit_code == 0
    with _small_disk(lib.video, size="1m", inodes=6):
        home = harness.Home(lib.root, lib.home)
        first = harness.vtq(home, "organize", "--json")
        assert first.returncode == 1, first.stderr
        assert "Traceback" not in first.stderr
        made = [p for p in lib.video.rglob("*") if p.is_symlink()]
        assert 0 < len(made) < len(FILES) or not made
        harness.catch_up(home)
        created = harness.query(home, "SELECT count(*) FROM events WHERE type = 'LinkCreated'")
        assert created == [(len(made),)]  # an event for each link on disk, no more
        subprocess.run(["mount", "-o", "remount,nr_inodes=1000", str(lib.video)], check=True)
        again = harness.vtq(home, "organize", "--json")
        assert again.returncode == 0, again.stderr
        links = [p for p in lib.video.rglob("*") if p.is_symlink()]
        assert len(links) == len(FILES)
        assert all(p.exists() for p in links)
        harness.catch_up(home)
        created = harness.query(home, "SELECT count(*) FROM events WHERE type = 'LinkCreated'")
        assert created == [(len(FILES),)]
        assert harness.leftovers(home) == []


# -- two commands at once ----------------------------------------------------------------


def test_a_second_command_on_a_busy_home_exits_4_and_changes_nothing(
    sqlite_lib: Lib, tmp_path: Path
) -> None:
    lib = sqlite_lib
    home = _populate(lib)
    assert lib.cli("import").exit_code == 0
    catalogue = {"films": [{"tmdb_id": 100 + i, "title": f"Film {i}", "original_title":
                            f"Film {i}", "year": 2000 + i, "popularity": 1, "alt_titles": []}
                           for i in range(len(FILES))]}  # fmt: skip
    via_link = tmp_path / "home-link"
    via_link.symlink_to(lib.home)
    with FakeProviders(catalogue) as fake:
        fake.set_latency(0.4)  # a slow provider keeps the first command busy
        env = {**os.environ, **fake.env(), "PYTHONPATH": str(harness.REPO)}
        first = subprocess.Popen(
            [sys.executable, "-m", "videotheque", "enrich", "--json", "--rate", "tmdb=2",
             "--home", str(lib.home)],
            cwd=harness.REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        lock = lib.home / "lock"
        deadline = time.monotonic() + 30
        while f"pid {first.pid} " not in (lock.read_text() if lock.exists() else ""):
            assert time.monotonic() < deadline and first.poll() is None, "never took the lock"
            time.sleep(0.05)
        commands = [["import"], ["organize"], ["repair-links", "--auto"], ["rebuild"],
                    ["enrich"]]  # fmt: skip
        for args in commands:
            for where in (lib.home, via_link):
                second = CliRunner().invoke(app, [*args, "--home", str(where)])
                assert second.exit_code == 4, (args, second.output)
                assert re.fullmatch(
                    rf"videotheque: error: library locked by pid {first.pid} since "
                    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 \(enrich\)\n",
                    second.stderr,
                ), second.stderr
                assert second.stdout == ""
            assert first.poll() is None, "the first command ended too soon for the test"
        # Commands that only read answer, from the projection as of the last catch-up.
        for args in (["status"], ["catalog", "--json"], ["sql", "SELECT 1"]):
            second = CliRunner().invoke(app, [*args, "--home", str(lib.home)])
            assert second.exit_code == 0, (args, second.output)
            assert f"an enrich is running: pid {first.pid}" in second.stderr
        assert first.poll() is None, "the first command ended too soon for the test"
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    harness.catch_up(home)
    runs = harness.query(home, "SELECT command, status FROM runs ORDER BY started_at")
    assert runs == [("import", "finished"), ("enrich", "finished")]  # the others: nothing
    assert _integrity(home) == "ok"
    _rebuild_equals_incremental(home, tmp_path / "rebuild")
