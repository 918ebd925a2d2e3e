"""`repair-links` sees what `check` sees: a link whose text names a catalogued path of
storage, but that really leads out of it because a folder of storage became a symlink to
elsewhere, is broken (target outside storage), not a working link."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import Lib

FILM = "Films/Alien (1979)/Alien (1979).mkv"


def linked_then_led_out(lib: Lib, tmp_path: Path) -> Path:
    lib.write(FILM)
    for i in range(5):  # so that one file vanishing stays under the mass-vanish guard
        lib.write(f"Films/Other {chr(65 + i)} (2001)/Other {chr(65 + i)} (2001).mkv")
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    assert lib.cli("import").exit_code == 0
    assert lib.cli("organize").exit_code == 0
    link = lib.video / FILM
    assert link.is_symlink() and link.resolve() == (lib.storage / FILM).resolve()
    # The film's folder moves off the share; a symlink to it takes its place in storage.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = lib.storage / "Films" / "Alien (1979)"
    os.rename(folder, elsewhere / folder.name)
    folder.symlink_to(elsewhere / folder.name)
    assert lib.cli("import").exit_code == 0  # the walk does not follow it: vanished
    return link


def test_a_link_leading_out_through_a_symlinked_folder_is_broken(
    sqlite_lib: Lib, tmp_path: Path
) -> None:
    lib = sqlite_lib
    link = linked_then_led_out(lib, tmp_path)
    text = os.readlink(link)
    check = lib.cli("check", "--json")
    assert [s["link"] for s in json.loads(check.stdout)["stray_links"]] == [FILM]

    dry = lib.cli("repair-links", "--dry-run", "--json")
    assert dry.exit_code == 1, dry.output
    report = json.loads(dry.stdout)
    assert report["broken"] == 1
    assert [(s["link"], s["problem"]) for s in report["skipped"]] == [(FILM, "outside")]

    auto = lib.cli("repair-links", "--auto", "--json")
    assert auto.exit_code == 1, auto.output  # left broken, and said so
    assert json.loads(auto.stdout)["repaired"] == []
    assert os.readlink(link) == text  # never pointed elsewhere

    moved = lib.cli("repair-links", "--auto", "--quarantine-orphans", "--json")
    assert moved.exit_code == 0, moved.output
    quarantined = json.loads(moved.stdout)["quarantined"]
    assert [q["link"] for q in quarantined] == [FILM]
    assert not link.is_symlink()
    kept = lib.trash / quarantined[0]["trash_path"]
    assert kept.is_symlink() and os.readlink(kept) == text  # the link itself, unchanged
    assert (tmp_path / "elsewhere" / "Alien (1979)" / "Alien (1979).mkv").is_file()


def test_a_link_to_a_link_that_ends_in_storage_is_working(sqlite_lib: Lib) -> None:
    """An alias in the video tree (a link to the organized link, by absolute path) works
    and `check` lists nothing: `repair-links --quarantine-orphans` took it for a link
    leading outside storage and moved it to the trash."""
    lib = sqlite_lib
    lib.write(FILM)
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    assert lib.cli("import").exit_code == 0
    assert lib.cli("organize").exit_code == 0
    alias = lib.video / "Alien.mkv"
    alias.symlink_to(lib.video / FILM)  # -> the link -> the file in storage
    again = lib.video / "Alien again.mkv"
    again.symlink_to("Alien.mkv")
    out = lib.video / "Trash.mkv"
    out.symlink_to(lib.trash)  # a folder outside storage: broken for both

    check = json.loads(lib.cli("check", "--json").stdout)
    assert [s["link"] for s in check["stray_links"]] == ["Trash.mkv"]
    result = lib.cli("repair-links", "--auto", "--quarantine-orphans", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["broken"] == 1
    assert [q["link"] for q in report["quarantined"]] == ["Trash.mkv"]
    assert alias.is_symlink() and again.is_symlink() and again.resolve().is_file()
