"""`report -o FILE` (and `maintain -o`) never writes over a file of the library: the
report replaced the event store (the whole audit trail), the config, or a video in
storage, atomically and without a word. A report of its own is still replaced, as a
daily `report -o audit.html` wants."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import Lib

FILM = "Films/Heat (1995)/Heat (1995).mkv"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def lib(sqlite_lib: Lib) -> Lib:
    sqlite_lib.write(FILM)
    with open(sqlite_lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    assert sqlite_lib.cli("import").exit_code == 0
    assert sqlite_lib.cli("organize").exit_code == 0
    (sqlite_lib.trash / "kept.txt").write_text("a file in the trash")
    return sqlite_lib


@pytest.mark.parametrize(
    "target",
    ["home/events.sqlite", "home/config.toml", "home/catalog.duckdb",
     f"storage/{FILM}", f"video/{FILM}", "trash/kept.txt", "storage/Films/new.html"],
)  # fmt: skip
@pytest.mark.parametrize("command", [["report"], ["maintain", "--skip", "check"]])
def test_a_report_never_replaces_a_file_of_the_library(
    lib: Lib, target: str, command: list[str]
) -> None:
    where, _, rel = target.partition("/")
    root = {"home": lib.home, "storage": lib.storage, "video": lib.video, "trash": lib.trash}
    path = root[where] / rel
    before = digest(path) if path.exists() else None
    result = lib.cli(*command, "-o", str(path))
    assert result.exit_code == 2, result.output
    assert "a report is never written" in result.stderr
    assert (digest(path) if path.exists() else None) == before
    status = lib.cli("status")
    assert status.exit_code == 0, status.output  # the store and the config still open


def test_a_report_file_of_its_own_is_replaced(lib: Lib, tmp_path: Path) -> None:
    out = tmp_path / "audit.html"
    assert lib.cli("report", "-o", str(out)).exit_code == 0
    first = out.read_text()
    assert lib.cli("report", "-o", str(out)).exit_code == 0
    assert out.read_text().startswith("<!DOCTYPE html>") and first
