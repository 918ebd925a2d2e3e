"""One exit-code table for every command (README "Exit codes"): 0 success, 1 done with
findings or per-file errors, 2 usage, 3 storage unreachable or mass-vanish guard,
4 locked. Each row is a user's command line on a real library in tmp_path."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import Lib
from videotheque.commands.adapters.lock import HomeLock
from videotheque.commands.cli.app import app

Setup = Callable[[Lib], list[str]]


def _args(*args: str) -> Setup:
    return lambda lib: list(args)


def _a_file(lib: Lib) -> Path:
    path = lib.root.parent / "a-file"
    path.write_text("not a folder")
    return path


def _config(text: str, *args: str) -> Setup:
    def setup(lib: Lib) -> list[str]:
        (lib.home / "config.toml").write_text(text)
        return list(args)

    return setup


def _ghost(lib: Lib) -> list[str]:
    (lib.storage / "Films/Heat.1995.mkv").unlink()
    return ["check"]


def _zero_byte(lib: Lib) -> list[str]:
    (lib.storage / "Films/Empty.2001.mkv").write_bytes(b"")
    return ["import"]


def _unmounted(lib: Lib) -> list[str]:
    shutil.rmtree(lib.storage)
    lib.storage.mkdir()
    return ["import"]


def _storage_gone(lib: Lib) -> list[str]:
    shutil.rmtree(lib.storage)
    return ["check"]


TABLE: list[tuple[str, Setup, int]] = [
    # 0: success
    ("status", _args("status"), 0),
    ("catalog", _args("catalog"), 0),
    ("catalog as of a date", _args("catalog", "--as-of", "2020-01-01"), 0),
    ("runs", _args("runs"), 0),
    ("history of a known path", _args("history", "Films/Heat.1995.mkv"), 0),
    ("sql", _args("sql", "SELECT 1"), 0),
    ("pending", _args("pending"), 0),
    ("import unchanged", _args("import"), 0),
    ("init with the same roots", lambda lib: ["init", str(lib.root)], 0),
    ("rebuild", _args("rebuild"), 0),
    # 1: done, with findings or per-file errors
    ("check finds a ghost", _ghost, 1),
    ("import meets a zero-byte file", _zero_byte, 1),
    # 2: usage
    ("init on a file as ROOT", _args("init", "/etc/passwd"), 2),
    ("init --storage FILE", lambda lib: ["init", str(lib.root), "--storage", str(_a_file(lib))], 2),
    ("init re-pointing without --force", lambda lib: ["init", str(lib.root.parent / "other")], 2),
    ("home inside a file", lambda lib: ["status", "--home", str(_a_file(lib) / "home")], 2),
    (
        "init with a home inside a file",
        lambda lib: ["init", str(lib.root), "--home", str(_a_file(lib) / "home")],
        2,
    ),
    ("no library in the home", lambda lib: ["status", "--home", str(lib.root / "nothing")], 2),
    ("history of an unknown file", _args("history", "UNKNOWN"), 2),
    ("validate an unknown file", _args("validate", "Films/Nope.mkv", "--skip"), 2),
    ("catalog --kind bogus", _args("catalog", "--kind", "bogus"), 2),
    ("catalog --as-of 0001-01-01", _args("catalog", "--as-of", "0001-01-01"), 2),
    ("catalog --as-of 99999999d", _args("catalog", "--as-of", "99999999d"), 2),
    ("catalog --as-of ''", _args("catalog", "--as-of", ""), 2),
    ("sql ''", _args("sql", ""), 2),
    ("sql with a syntax error", _args("sql", "SELEC"), 2),
    ("analyze --workers 100000", _args("analyze", "--workers", "100000"), 2),
    ("enrich --rate tmdb=nan", _args("enrich", "--rate", "tmdb=nan"), 2),
    ("enrich --provider bogus", _args("enrich", "--provider", "bogus"), 2),
    ("undo an unknown run", _args("undo", "deadbeef"), 2),
    ("report --run unknown", _args("report", "--run", "deadbeef"), 2),
    ("report --format pdf", _args("report", "--format", "pdf"), 2),
    ("diff --from garbage", _args("diff", "--from", "garbage"), 2),
    ("repair-links outside", _args("repair-links", "/nonexistent"), 2),
    ("an unknown option", _args("organize", "--bogus"), 2),
    ("an unknown command", _args("frobnicate"), 2),
    ("config: library is a string", _config('library = "x"\n', "status"), 2),
    ("config: import is a number", _config("import = 3\n", "import"), 2),
    ("config: store is a number", _config("[library]\nstore = 5\n", "status"), 2),
    ("config: not TOML", _config("[library\n", "catalog"), 2),
    ("config: a relative root", _config('[library]\nstorage = "relative/x"\n', "status"), 2),
    ("a malformed store URL", _args("status", "--store", "postgresql://[::1"), 2),
    ("an unknown store", _args("status", "--store", "mysql://h/db"), 2),
    # 3: storage unreachable, mass-vanish guard
    ("import of an empty (unmounted) storage", _unmounted, 3),
    ("check with the storage root gone", _storage_gone, 3),
]


@pytest.fixture
def library(sqlite_lib: Lib) -> Lib:
    sqlite_lib.write("Films/Heat.1995.mkv")
    sqlite_lib.write("Films/Dune.2021.mkv")
    assert sqlite_lib.cli("import").exit_code == 0
    return sqlite_lib


@pytest.mark.parametrize(("case", "setup", "code"), TABLE, ids=[row[0] for row in TABLE])
def test_exit_code_table(library: Lib, case: str, setup: Setup, code: int) -> None:
    args = setup(library)
    if "--home" in args:  # a home of its own (Lib.cli would add the library's)
        result = CliRunner().invoke(app, args, catch_exceptions=False)
    else:
        result = library.cli(*args)  # catch_exceptions=False: a traceback fails the test
    assert result.exit_code == code, f"{case}: {args}\n{result.output}"
    if code == 2:
        assert result.stderr.strip(), "a usage error says what is wrong"


def test_a_locked_home_is_4_for_every_command_that_writes(library: Lib) -> None:
    with HomeLock(library.home):
        for args in (["import"], ["check"], ["organize"], ["enrich"], ["rebuild"]):
            result = library.cli(*args)
            assert result.exit_code == 4, (args, result.output)
            assert f"pid {os.getpid()}" in result.stderr
        # commands that only read answer from the last caught-up projection (how far behind
        # it is, when it is: tests/e2e/test_read_during_import.py)
        for args in (["status"], ["catalog"], ["runs"], ["sql", "SELECT 1"]):
            result = library.cli(*args)
            assert result.exit_code == 0, (args, result.output)
