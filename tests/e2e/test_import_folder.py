"""`import FOLDER`: one folder of the storage, paths still relative to the storage root.

The folder's files are classified (new, unchanged, moved within it, vanished within it);
nothing outside it vanishes or moves. A file that arrives in the folder with the content of
a catalogued file outside it is a move when that old path is gone, a copy when it is still
there. A folder outside the storage is refused (exit 2), symlinks judged where they lead.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Lib


def films(lib: Lib) -> None:
    for i in range(9):
        lib.write(f"A/Film {i} (2001).mkv")
    lib.write("B/Other Film (1999).mkv")


def imported(lib: Lib, *args: str, expect: int = 0) -> dict[str, Any]:
    result = lib.cli("import", *args, "--json")
    assert result.exit_code == expect, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def moved_or_gone(report: dict[str, Any]) -> dict[str, int]:
    keys = ("new", "moved", "copies", "changed", "vanished", "reappeared")
    return {k: report[k] for k in keys if report[k]}


def paths(lib: Lib) -> set[str]:
    return {p for row in lib.json("catalog") for p in row["paths"]}


def present(lib: Lib) -> set[str]:
    return {p for row in lib.json("catalog") if row["status"] == "present" for p in row["paths"]}


def test_importing_a_folder_of_an_organised_library_changes_nothing(sqlite_lib: Lib) -> None:
    """The issue's case: 9 files in A/, 1 in B/; `import storage/A` once recorded 9 moves
    and 1 vanish with paths relative to A/, and `check` found ghosts, orphans, strays."""
    lib = sqlite_lib
    films(lib)
    imported(lib)
    assert lib.cli("organize").exit_code == 0
    before = paths(lib)

    report = imported(lib, str(lib.storage / "A"))
    assert moved_or_gone(report) == {}
    assert report["unchanged"] == 9  # the folder's files only
    assert paths(lib) == before

    check = lib.cli("check", "--json")  # exit 1: the test files are text, not media
    found = json.loads(check.stdout)["summary"]
    assert {k: found[k] for k in ("ghosts", "orphans", "broken_links", "stray_links")} == {
        "ghosts": 0,
        "orphans": 0,
        "broken_links": 0,
        "stray_links": 0,
    }
    assert (found["files"], found["links"]) == (10, 10)


def test_a_folder_import_records_its_own_changes_and_nothing_outside(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    films(lib)
    imported(lib)
    (lib.storage / "B/Other Film (1999).mkv").unlink()  # gone, but B is not looked at
    lib.write("A/New Film (2020).mkv")
    (lib.storage / "A/Film 0 (2001).mkv").unlink()
    (lib.storage / "A/Sub").mkdir()
    os.rename(lib.storage / "A/Film 1 (2001).mkv", lib.storage / "A/Sub/Film 1 (2001).mkv")

    report = imported(lib, str(lib.storage / "A"))
    assert moved_or_gone(report) == {"new": 1, "moved": 1, "vanished": 1}
    assert "A/New Film (2020).mkv" in present(lib)  # relative to the storage root
    assert "A/Sub/Film 1 (2001).mkv" in present(lib)
    assert "A/Film 0 (2001).mkv" not in present(lib)
    assert "B/Other Film (1999).mkv" in present(lib)  # outside: left as it was

    assert moved_or_gone(imported(lib)) == {"vanished": 1}  # the whole storage sees it


def test_a_file_moved_in_from_outside_is_a_move_and_a_copy_stays_a_copy(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    lib.write("A/Film (2001).mkv")
    lib.write("B/Moved (1999).mkv")
    lib.write("B/Copied (1998).mkv")
    imported(lib)
    os.rename(lib.storage / "B/Moved (1999).mkv", lib.storage / "A/Moved (1999).mkv")
    shutil.copy2(lib.storage / "B/Copied (1998).mkv", lib.storage / "A/Copied (1998).mkv")

    report = imported(lib, str(lib.storage / "A"))
    assert moved_or_gone(report) == {"moved": 1, "copies": 1}
    now = present(lib)
    assert {"A/Moved (1999).mkv", "A/Copied (1998).mkv", "B/Copied (1998).mkv"} <= now
    assert "B/Moved (1999).mkv" not in now
    assert moved_or_gone(imported(lib)) == {}  # the whole storage agrees


def test_a_relative_or_symlinked_folder_is_the_folder_it_names(
    sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = sqlite_lib
    films(lib)
    imported(lib)
    before = paths(lib)
    lib.write("A/Late (2022).mkv")

    monkeypatch.chdir(lib.storage)
    report = imported(lib, "A")
    assert moved_or_gone(report) == {"new": 1}

    shortcut = lib.root.parent / "shortcut"
    shortcut.symlink_to(lib.storage / "A")  # a link to a folder of the storage
    lib.write("A/Later (2023).mkv")
    report = imported(lib, str(shortcut))
    assert moved_or_gone(report) == {"new": 1}

    (lib.storage / "Linked").symlink_to(lib.storage / "B")  # inside, to another folder
    report = imported(lib, str(lib.storage / "Linked"))
    assert moved_or_gone(report) == {} and report["unchanged"] == 1
    assert paths(lib) == before | {"A/Late (2022).mkv", "A/Later (2023).mkv"}

    report = imported(lib, str(lib.storage))  # the root itself, through its own path
    assert moved_or_gone(report) == {} and report["unchanged"] == 12


def test_a_folder_outside_the_storage_is_refused(sqlite_lib: Lib, tmp_path: Path) -> None:
    lib = sqlite_lib
    films(lib)
    imported(lib)
    position = lib.json("status")["store_position"]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "Stray (2000).mkv").write_bytes(b"x")
    (lib.storage / "Escape").symlink_to(outside)  # inside storage, leading out of it

    for folder in (outside, lib.storage / "Escape", lib.storage / ".." / "video"):
        result = lib.cli("import", str(folder))
        assert result.exit_code == 2, result.output
        assert "not inside the storage root" in result.stderr
    result = lib.cli("import", str(lib.storage / "B/Other Film (1999).mkv"))  # a file
    assert result.exit_code == 2 and "is not a folder" in result.stderr
    assert lib.json("status")["store_position"] == position
