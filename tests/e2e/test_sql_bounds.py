"""`sql` is bounded: rows streamed, memory capped, time capped, a table capped in rows, and
the sandbox (read-only, no file access) holds."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import Lib
from tests.peak import run_measured

HUGE = "SELECT * FROM range(10000000000)"  # ten billion rows


@pytest.fixture
def lib(sqlite_lib: Lib) -> Lib:
    sqlite_lib.write("Films/Dune (2021).mkv")
    with open(sqlite_lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    assert sqlite_lib.cli("import").exit_code == 0
    return sqlite_lib


def test_a_table_shows_the_first_rows_and_says_there_are_more(lib: Lib) -> None:
    result = lib.cli("sql", HUGE)
    assert result.exit_code == 0, result.stderr
    assert "│ 999 " in result.stdout and "│ 1000 " not in result.stdout
    assert "only the first 1,000 rows are shown" in result.stderr
    few = lib.cli("sql", "SELECT * FROM range(3)")
    assert few.exit_code == 0 and few.stderr == ""


def test_max_rows_caps_csv_and_json(lib: Lib) -> None:
    csv = lib.cli("sql", HUGE, "--format", "csv", "--max-rows", "5")
    assert csv.exit_code == 0
    assert csv.stdout.splitlines() == ["range", "0", "1", "2", "3", "4"]
    out = lib.cli("sql", HUGE, "--format", "json", "--max-rows", "3")
    assert json.loads(out.stdout) == [{"range": 0}, {"range": 1}, {"range": 2}]
    empty = lib.cli("sql", "SELECT 1 AS a WHERE false", "--format", "json")
    assert json.loads(empty.stdout) == []


def test_the_timeout_stops_a_query_with_a_clear_message(lib: Lib) -> None:
    result = lib.cli("sql", "SELECT count(*) FROM range(100000000000000)", "--timeout", "0.5")
    assert result.exit_code == 1
    assert "stopped after 0.5 s (--timeout)" in result.stderr
    # Streaming rows when it strikes: what was printed stays valid JSON.
    streamed = lib.cli("sql", HUGE, "--format", "json", "--timeout", "0.5")
    assert streamed.exit_code == 1
    rows = json.loads(streamed.stdout)
    assert rows and rows[0] == {"range": 0}
    assert f"({len(rows):,} rows printed before)" in streamed.stderr


def test_the_memory_limit_stops_a_query_that_needs_more(lib: Lib) -> None:
    result = lib.cli(
        "sql",
        "SELECT * FROM range(100000000) ORDER BY random()",
        "--memory-limit",
        "64MB",
        "--max-rows",
        "1",
    )
    assert result.exit_code == 1, result.output
    assert "the query needs more than 64MB (--memory-limit)" in result.stderr
    # Nothing spilled to disk next to the projection.
    assert not list(lib.home.glob("*.tmp"))
    assert lib.cli("sql", "SELECT 1", "--memory-limit", "lots").exit_code == 2


@pytest.mark.parametrize(
    "query",
    [
        "SET memory_limit = '100GB'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY (SELECT 1) TO '/tmp/vtq-sql-escape.csv'",
        "CREATE TABLE t AS SELECT 1",
        "ATTACH '/tmp/vtq-other.duckdb'",
    ],
)
def test_the_sandbox_holds(lib: Lib, query: str) -> None:
    result = lib.cli("sql", query)
    assert result.exit_code == 2, result.output
    assert "videotheque: error: SQL: " in result.stderr


def test_streaming_ten_billion_rows_keeps_memory_flat(lib: Lib, tmp_path: Path) -> None:
    """The real CLI in a subprocess, printing CSV rows for two seconds: its peak memory
    stays small (it would grow until the OOM killer if the result were fetched whole)."""
    out, err = tmp_path / "out.csv", tmp_path / "err.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        run = run_measured(
            [sys.executable, "-m", "videotheque", "sql", HUGE, "--format", "csv",
             "--timeout", "2", "--home", str(lib.home)],
            stdout=stdout, stderr=stderr,
        )  # fmt: skip
    assert run.returncode == 1, err.read_text()
    with out.open("rb") as rows:
        assert sum(1 for _ in rows) > 10_000  # it streamed
    peak_mib = run.peak_rss / 2**20
    assert peak_mib < 400, peak_mib
