"""SIGKILL ``videotheque import`` at several points; the next run completes the work.

The import runs in a subprocess (the real CLI; names parsed trivially, see
``vtq_fast_parser.py``). It is killed at its N-th checkpoint ``videotheque.import.saved``
(tests/faults/checkpoints.py), right after its N-th save to the event store: 1 is the run's
start, 2.. one per batch of 1,000 files, then the run's end (after which only the
projection catch-up is left). Whatever
was saved is kept, the next run records the rest, no file is catalogued twice, and the
incremental projection equals a rebuild from the store.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import Lib
from tests.faults import checkpoints

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("vtq_fast_parser.py")
FILES = 2_100  # three batches of files: 1,000 + 1,000 + 100

pytestmark = pytest.mark.slow


def vtq(lib: Lib, *args: str, kill_after: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != checkpoints.KILL_ENV}
    if kill_after is not None:
        env.update(checkpoints.kill_at("videotheque.import.saved", kill_after))
    argv = [sys.executable, str(DRIVER), *args, "--home", str(lib.home)]
    if lib.store:
        argv += ["--store", lib.store]
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def populate(lib: Lib, count: int = FILES) -> None:
    for i in range(count):
        lib.write(f"Films/{i // 100:02d}/Film {i:04d}.mkv")
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")  # MediaInfo is not tested here


def rows(home: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(home / "catalog.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def dump_projection(home: Path) -> dict[str, list[tuple[Any, ...]]]:
    tables = [
        r[0]
        for r in rows(
            home,
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_name <> 'projection_state' ORDER BY 1",
        )
    ]
    return {t: rows(home, f'SELECT * FROM "{t}" ORDER BY ALL') for t in tables}


def assert_complete_and_consistent(lib: Lib, paths: set[str]) -> None:
    """Every file once, at its path, present; the projection equals a rebuild."""
    status = vtq(lib, "status")  # catches the projection up
    assert status.returncode == 0, status.stderr
    catalog = rows(lib.home, "SELECT id, path, status FROM catalog_files")
    assert len(catalog) == len(paths)
    assert {p for _, p, _ in catalog} == paths
    assert {s for _, _, s in catalog} == {"present"}
    file_paths = rows(lib.home, "SELECT file_id, path FROM file_paths")
    assert sorted(p for _, p in file_paths) == sorted(paths)  # no path twice
    imported = rows(
        lib.home,
        "SELECT count(*), count(DISTINCT file_id) FROM events WHERE type = 'Imported'",
    )
    assert imported == [(len(paths), len(paths))]  # each content imported exactly once
    incremental = dump_projection(lib.home)
    rebuilt = vtq(lib, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert dump_projection(lib.home) == incremental


def runs(lib: Lib) -> list[tuple[Any, ...]]:
    return rows(lib.home, "SELECT run_id, status, summary FROM runs ORDER BY started_at")


@pytest.mark.parametrize(
    "kill_after",
    [1, 2, 3, 4, 5],
    ids=["after-run-start", "after-batch-1", "after-batch-2", "after-last-batch", "after-end"],
)
def test_a_killed_first_import_is_completed_by_the_next_run(
    sqlite_lib: Lib, kill_after: int
) -> None:
    lib = sqlite_lib
    populate(lib)
    killed = vtq(lib, "import", kill_after=kill_after)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    done = vtq(lib, "import", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    saved_files = min(max(kill_after - 1, 0) * 1000, FILES)
    assert report["new"] == FILES - saved_files
    assert report["unchanged"] == saved_files
    assert_complete_and_consistent(
        lib, {f"Films/{i // 100:02d}/Film {i:04d}.mkv" for i in range(FILES)}
    )
    # The killed run stays visible; it finished only if its end was saved.
    (first, second) = runs(lib)
    assert first[1] == ("finished" if kill_after == 5 else "running")
    assert second[1] == "finished"


def test_a_killed_import_of_moves_is_completed_by_the_next_run(lib: Lib) -> None:
    populate(lib)
    assert vtq(lib, "import").returncode == 0
    (lib.storage / "Films").rename(lib.storage / "Movies")
    killed = vtq(lib, "import", kill_after=2)  # after the first 1,000 moves
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    done = vtq(lib, "import", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["moved"], report["unchanged"], report["new"]) == (FILES - 1000, 1000, 0)
    assert_complete_and_consistent(
        lib, {f"Movies/{i // 100:02d}/Film {i:04d}.mkv" for i in range(FILES)}
    )
    moved = rows(
        lib.home, "SELECT count(*), count(DISTINCT file_id) FROM events WHERE type = 'Moved'"
    )
    assert moved == [(FILES, FILES)]  # each file moved once, never twice


@pytest.mark.parametrize("delay", [0.6, 1.2, 1.8])
def test_a_kill_at_any_moment_loses_nothing(sqlite_lib: Lib, delay: float) -> None:
    """No hook: a real SIGKILL from outside after ``delay`` seconds, wherever the import
    is then (walking, hashing, saving, or writing the DuckDB projection)."""
    lib = sqlite_lib
    populate(lib)
    argv = [sys.executable, str(DRIVER), "import", "--home", str(lib.home)]
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done = vtq(lib, "import")
    assert done.returncode == 0, done.stderr
    assert_complete_and_consistent(
        lib, {f"Films/{i // 100:02d}/Film {i:04d}.mkv" for i in range(FILES)}
    )
