"""A real file that appears at a link's path between the last look and the change survives.

`repair-links` retargets broken links and quarantines orphans; between its last look at a
link and the step that replaces or removes it, a person or a program may put a real file
there. Each test drops one in exactly that moment (by wrapping the step the tool takes
next) and checks that the file is still there byte for byte and the link is reported, not
repaired. Once reproduced by wrapping ``os.rename``: the new link was renamed over the file.
Run on the system's atomic swap, without it (a file system that cannot swap), and without
any flagged rename at all (the plain calls of an older C library).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import videotheque.commands.adapters.linkops as linkops
from tests.conftest import Lib
from tests.e2e.test_repair_links import AMELIE, MATRIX, NOTHING, moved_library
from tests.link_tree import link

REAL = b"a real film someone just saved here\x00\xff"


def drop_real_file(path: Path) -> None:
    if os.path.lexists(path):
        os.unlink(path)
    path.write_bytes(REAL)


def once_before(
    monkeypatch: pytest.MonkeyPatch,
    owner: Any,
    name: str,
    when: Callable[..., Path | None],
) -> list[Path]:
    """Wrap ``owner.name``: the first call for which ``when(*args)`` names a path drops a
    real file there, then the call goes on. Returns the paths hit."""
    real = getattr(owner, name)
    hit: list[Path] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        target = when(*args) if not hit else None
        if target is not None:
            drop_real_file(target)
            hit.append(target)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapped)
    return hit


def no_swap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linkops, "exchange", lambda a, b: False)


def no_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linkops, "_rename_flags", lambda *a: False)


def repaired(lib: Lib, *args: str) -> dict[str, Any]:
    result = lib.cli("repair-links", "--auto", *args, "--json")
    assert result.exit_code == 1, result.output  # a link left alone, reported
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def at_link(lib: Lib, rel: str) -> Callable[..., Path | None]:
    path = str(lib.video / rel)
    return lambda *args: Path(path) if path in (os.fspath(a) for a in args) else None


def assert_survived(lib: Lib, rel: str, report: dict[str, Any]) -> None:
    path = lib.video / rel
    assert not path.is_symlink() and path.read_bytes() == REAL  # byte for byte
    skipped = {s["link"]: s["reason"] for s in report["skipped"]}
    assert "appeared" in skipped[rel], report
    assert rel not in {r["link"] for r in report["repaired"]}
    leftovers = [n for n in os.listdir(path.parent) if n.startswith(".vtq-")]
    assert leftovers == []  # no temporary name left behind


@pytest.mark.parametrize("system", ["swap", "no-swap", "no-flags"])
def test_a_file_dropped_just_before_the_retarget_survives(
    sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch, system: str
) -> None:
    lib = sqlite_lib
    moved_library(lib)
    if system == "swap":
        hit = once_before(monkeypatch, linkops, "exchange", at_link(lib, AMELIE))
    else:
        no_swap(monkeypatch)
        if system == "no-flags":
            no_flags(monkeypatch)
        hit = once_before(monkeypatch, os, "rename", at_link(lib, AMELIE))
    report = repaired(lib)
    assert hit == [lib.video / AMELIE]
    assert_survived(lib, AMELIE, report)
    assert [r["link"] for r in report["repaired"]] == [MATRIX]  # the other one is done


@pytest.mark.parametrize("system", ["no-swap", "no-flags"])
def test_a_file_dropped_while_the_path_is_empty_survives(
    sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch, system: str
) -> None:
    """Without a swap the old link is renamed aside first: the path is empty for a moment."""
    lib = sqlite_lib
    moved_library(lib)
    no_swap(monkeypatch)
    if system == "no-flags":
        no_flags(monkeypatch)
        hit = once_before(monkeypatch, os, "symlink", at_link(lib, AMELIE))
    else:
        hit = once_before(monkeypatch, linkops, "place", at_link(lib, AMELIE))
    report = repaired(lib)
    assert hit == [lib.video / AMELIE]
    assert_survived(lib, AMELIE, report)


@pytest.mark.parametrize("system", ["swap", "no-flags"])
def test_a_file_dropped_just_before_a_quarantine_removes_the_link_survives(
    sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch, system: str
) -> None:
    lib = sqlite_lib
    moved_library(lib)
    link(lib, NOTHING, lib.storage / "Old/nothing.mkv")  # an orphan: quarantined
    if system == "no-flags":
        no_flags(monkeypatch)
    hit = once_before(monkeypatch, os, "rename", at_link(lib, NOTHING))
    report = repaired(lib, "--quarantine-orphans")
    assert hit == [lib.video / NOTHING]
    assert_survived(lib, NOTHING, report)
    assert report["quarantined"] == []
    trash = [os.path.join(d, n) for d, _, ns in os.walk(lib.trash) for n in ns]
    assert trash == []  # the link's copy made in the trash is taken back


def test_swap_and_exclusive_rename_work_here(tmp_path: Path) -> None:
    """The primitives on this machine's file system (tmp_path): a swap is a swap, and an
    exclusive rename refuses an existing name whether the system can or cannot do it."""
    a, b = tmp_path / "a", tmp_path / "b"
    os.symlink("to-a", a)
    b.write_bytes(REAL)
    if linkops.exchange(str(a), str(b)):
        assert a.read_bytes() == REAL and os.readlink(b) == "to-a"
        linkops.exchange(str(a), str(b))
    with pytest.raises(FileExistsError):
        linkops.place(str(a), str(b), "to-a")
    assert b.read_bytes() == REAL and os.readlink(a) == "to-a"
