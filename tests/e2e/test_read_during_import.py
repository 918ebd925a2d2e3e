"""Read-only commands answer while an ``import`` runs, from the last caught-up projection,
and say how far behind it is; a long read never keeps a writer out.

Real processes: the import runs in a subprocess holding the library lock (its name parser
sleeps, see ``vtq_slow_parser.py``); the readers run as the CLI in other subprocesses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Lib

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("vtq_slow_parser.py")

pytestmark = pytest.mark.slow


def vtq(lib: Lib, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    argv = [sys.executable, str(DRIVER), *args, "--home", str(lib.home)]
    return subprocess.Popen(
        argv, cwd=REPO, env={**os.environ, **(env or {})}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def run(lib: Lib, *args: str) -> tuple[int, str, str, float]:
    started = time.perf_counter()
    proc = vtq(lib, *args)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err, time.perf_counter() - started


@pytest.fixture
def lib(sqlite_lib: Lib) -> Lib:
    with open(sqlite_lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    for i in range(20):
        sqlite_lib.write(f"Films/Film {i:02d}.mkv")
    code, _, err, _ = run(sqlite_lib, "import")
    assert code == 0, err
    for i in range(20, 25):
        sqlite_lib.write(f"Films/Film {i:02d}.mkv")
    return sqlite_lib


def start_slow_import(lib: Lib, tmp_path: Path, seconds: float) -> subprocess.Popen[str]:
    flag = tmp_path / "parsing"
    proc = vtq(lib, "import", env={"VTQ_TEST_PARSE_SLEEP": str(seconds),
                                   "VTQ_TEST_PARSING_FLAG": str(flag)})  # fmt: skip
    deadline = time.monotonic() + 60
    while not flag.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the import never started parsing"
        time.sleep(0.05)
    return proc


def test_read_only_commands_answer_during_an_import(lib: Lib, tmp_path: Path) -> None:
    importer = start_slow_import(lib, tmp_path, seconds=120)  # killed at the end
    try:
        behind = f"(an import is running: pid {importer.pid}); showing the catalog as of"
        # A writer is refused, as before.
        code, _, err, _ = run(lib, "enrich", "--provider", "nfo")
        assert code == 4, err

        code, out, err, seconds = run(lib, "status", "--json")
        assert code == 0, err
        assert (behind in err and "events behind" in err) or "event behind" in err
        status = json.loads(out)
        assert status["store_position"] > status["projection_position"]
        print(f"status during an import answered in {seconds:.2f} s")

        code, out, err, _ = run(lib, "catalog", "--json")
        assert code == 0 and behind in err, err
        assert len(json.loads(out)) == 20  # as of the last catch-up: the new 5 not yet

        for args in (
            ("history", "Films/Film 03.mkv"),
            ("runs",),
            ("sql", "SELECT count(*) AS n FROM catalog_files", "--format", "csv"),
            ("report", "--format", "md"),
            ("pending",),
            ("diff", "--from", "2000-01-01"),
            ("catalog", "--as-of", "now"),
        ):
            code, out, err, _ = run(lib, *args)
            assert code == 0, (args, err)
            assert behind in err, (args, err)
            assert out, args
        # No snapshot (a projection written by an older version): the projection itself,
        # read-only, which the import does not hold while it parses.
        (lib.home / "catalog.read.duckdb").unlink()
        code, out, err, _ = run(lib, "sql", "SELECT count(*) FROM catalog_files", "--format",
                                "csv")  # fmt: skip
        assert (code, out.splitlines()[-1]) == (0, "20"), err
        assert importer.poll() is None  # still importing all along
    finally:
        importer.kill()
        importer.communicate()
    # The lock is free again: a reader catches up (and publishes) first, as before.
    code, out, err, _ = run(lib, "import")
    assert code == 0, err
    code, out, err, _ = run(lib, "catalog", "--json")
    assert code == 0 and "behind" not in err, err
    assert len(json.loads(out)) == 25
    assert (lib.home / "catalog.read.duckdb").exists()


def test_a_long_query_never_keeps_an_import_out(lib: Lib) -> None:
    query = vtq(lib, "sql", "SELECT count(*) FROM range(100000000000000)", "--timeout", "60")
    try:
        time.sleep(1.5)  # the query runs (it takes the lock for its catch-up, then lets go)
        assert query.poll() is None
        code, out, err, _ = run(lib, "import", "--json")
        assert code == 0, err
        assert json.loads(out)["new"] == 5
        assert query.poll() is None  # the query was still running all along
    finally:
        query.kill()
        query.communicate()
