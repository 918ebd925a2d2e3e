"""Broken-link detection on real symlinks in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from videotheque.commands.adapters.linkscan import Roots, inspect_link, scan_links
from videotheque.domain.link_plan import LOOP, MISSING, OUTSIDE


@pytest.fixture
def tree(tmp_path: Path) -> Roots:
    storage, video, trash = tmp_path / "storage", tmp_path / "video", tmp_path / "trash"
    for d in (storage / "Films", video / "Films" / "A", trash):
        d.mkdir(parents=True)
    (storage / "Films" / "a.mkv").write_bytes(b"a")
    (tmp_path / "elsewhere.mkv").write_bytes(b"x")
    v = video / "Films"
    os.symlink("../../../storage/Films/a.mkv", v / "A" / "rel-ok.mkv")
    os.symlink(str(storage / "Films" / "a.mkv"), v / "abs-ok.mkv")
    os.symlink("../../storage/Films/gone.mkv", v / "rel-missing.mkv")
    os.symlink(str(storage / "Films" / "gone.mkv"), v / "abs-missing.mkv")
    os.symlink("loop-b.mkv", v / "loop-a.mkv")
    os.symlink("loop-a.mkv", v / "loop-b.mkv")
    os.symlink(str(tmp_path / "elsewhere.mkv"), v / "outside.mkv")
    os.symlink("../../storage/Films", v / "dir-link")  # a link to a folder: never walked
    (v / "real-file.nfo").write_text("not a link")
    return Roots.of(str(storage), str(video), str(trash))


def test_every_kind_of_finding(tree: Roots) -> None:
    scan = scan_links(tree)
    found = {e.link: e.problem for e in scan.links}
    assert found == {
        "Films/A/rel-ok.mkv": None,
        "Films/abs-ok.mkv": None,
        "Films/dir-link": None,
        "Films/rel-missing.mkv": MISSING,
        "Films/abs-missing.mkv": MISSING,
        "Films/loop-a.mkv": LOOP,
        "Films/loop-b.mkv": LOOP,
        "Films/outside.mkv": OUTSIDE,
    }
    by = {e.link: e for e in scan.links}
    assert by["Films/rel-missing.mkv"].target_path == "Films/gone.mkv"
    assert by["Films/abs-missing.mkv"].target_path == "Films/gone.mkv"
    assert by["Films/A/rel-ok.mkv"].target_path == "Films/a.mkv"
    assert by["Films/outside.mkv"].target_path is None
    assert not by["Films/A/rel-ok.mkv"].absolute and by["Films/abs-ok.mkv"].absolute


def test_broken_only_keeps_the_findings(tree: Roots) -> None:
    links = [e.link for e in scan_links(tree, broken_only=True).links]
    assert links == [
        "Films/abs-missing.mkv",
        "Films/loop-a.mkv",
        "Films/loop-b.mkv",
        "Films/outside.mkv",
        "Films/rel-missing.mkv",
    ]


def test_a_sub_folder_only(tree: Roots) -> None:
    scan = scan_links(tree, os.path.join(tree.video, "Films", "A"))
    assert [e.link for e in scan.links] == ["Films/A/rel-ok.mkv"]
    with pytest.raises(ValueError):
        scan_links(tree, tree.storage)


def test_storage_reached_through_a_symlinked_root(tmp_path: Path, tree: Roots) -> None:
    alias = tmp_path / "alias-storage"
    alias.symlink_to(tree.storage)
    roots = Roots.of(str(alias), tree.video, tree.trash)
    by = {e.link: e for e in scan_links(roots).links}
    assert by["Films/abs-ok.mkv"].problem is None
    assert by["Films/abs-ok.mkv"].target_path == "Films/a.mkv"


def test_non_utf8_link_names_survive(tree: Roots) -> None:
    raw = os.fsencode(tree.video) + b"/Films/caf\xe9.mkv"
    os.symlink(b"../../storage/Films/gone\xff.mkv", raw)
    by = {e.link: e for e in scan_links(tree).links}
    name = os.fsdecode(b"Films/caf\xe9.mkv")
    assert by[name].problem == MISSING
    assert os.fsencode(by[name].target_path or "") == b"Films/gone\xff.mkv"


def test_inspect_one_path(tree: Roots) -> None:
    entry = inspect_link(tree, "Films/rel-missing.mkv")
    assert entry is not None and entry.problem == MISSING
    assert inspect_link(tree, "Films/real-file.nfo") is None
    assert inspect_link(tree, "Films/nothing-here.mkv") is None
