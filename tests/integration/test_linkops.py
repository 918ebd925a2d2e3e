"""The file-system actions on real symlinks: never overwrite, never write outside the video
and trash roots, never point a link outside storage, idempotent, finish a half-done move."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from videotheque.commands.adapters.linkjournal import Create
from videotheque.commands.adapters.linkops import Guard, Op, apply, tmp_name
from videotheque.commands.adapters.linkscan import Roots


@pytest.fixture
def roots(tmp_path: Path) -> Roots:
    for d in ("storage", "video", "trash", "outside"):
        (tmp_path / d).mkdir()
    (tmp_path / "storage" / "a.mkv").write_bytes(b"a")
    return Roots.of(str(tmp_path / "storage"), str(tmp_path / "video"), str(tmp_path / "trash"))


def op(kind: str, paths: list[str], before: list[str | None], after: list[str | None]) -> Op:
    tmp = tmp_name(paths[0], "0123456789abcdef") if kind == "retarget" else None
    record = Create(target="a.mkv", target_path="a.mkv", file_id=None, run_id="r")  # unused
    return Op(kind, "0123456789abcdef", "x", None, paths, before, after, record, "r", tmp=tmp)


def test_retarget_is_atomic_and_idempotent(roots: Roots) -> None:
    p = os.path.join(roots.video, "l.mkv")
    os.symlink("old.mkv", p)
    o = op("retarget", [p], ["old.mkv"], ["../storage/a.mkv"])
    assert apply(o, Guard(roots)).ok
    assert os.readlink(p) == "../storage/a.mkv"
    again = apply(o, Guard(roots))
    assert again.ok and again.already
    assert os.listdir(roots.video) == ["l.mkv"]  # no temporary name left


def test_a_link_changed_since_the_plan_is_left_alone(roots: Roots) -> None:
    p = os.path.join(roots.video, "l.mkv")
    os.symlink("someone-else.mkv", p)
    out = apply(op("retarget", [p], ["old.mkv"], ["../storage/a.mkv"]), Guard(roots))
    assert not out.ok and "changed since the plan" in out.reason
    assert os.readlink(p) == "someone-else.mkv"


def test_a_move_never_overwrites(roots: Roots) -> None:
    src = os.path.join(roots.video, "l.mkv")
    dst = os.path.join(roots.trash, "orphans", "r", "l.mkv")
    os.symlink("gone.mkv", src)
    os.makedirs(os.path.dirname(dst))
    os.symlink("already-here.mkv", dst)
    out = apply(op("move", [src, dst], ["gone.mkv", None], [None, "gone.mkv"]), Guard(roots))
    assert not out.ok
    assert os.readlink(src) == "gone.mkv" and os.readlink(dst) == "already-here.mkv"


def test_a_half_done_move_is_finished(roots: Roots) -> None:
    src = os.path.join(roots.video, "l.mkv")
    dst = os.path.join(roots.trash, "l.mkv")
    os.symlink("gone.mkv", src)
    os.symlink("gone.mkv", dst)  # killed between the two steps
    out = apply(op("move", [src, dst], ["gone.mkv", None], [None, "gone.mkv"]), Guard(roots))
    assert out.ok
    assert not os.path.lexists(src) and os.readlink(dst) == "gone.mkv"


def test_never_writes_through_a_folder_link_leaving_the_roots(roots: Roots) -> None:
    outside = os.path.join(os.path.dirname(roots.video), "outside")
    os.symlink(outside, os.path.join(roots.video, "Films"))  # video/Films -> ../outside
    p = os.path.join(roots.video, "Films", "New", "l.mkv")
    out = apply(op("create", [p], [None], ["../../storage/a.mkv"]), Guard(roots))
    assert not out.ok and "outside the video and trash roots" in out.reason
    assert os.listdir(outside) == []


def test_never_writes_a_link_pointing_outside_storage(roots: Roots) -> None:
    p = os.path.join(roots.video, "l.mkv")
    out = apply(op("create", [p], [None], ["../outside/x.mkv"]), Guard(roots))
    assert not out.ok and "outside the storage root" in out.reason
    assert not os.path.lexists(p)
    os.symlink("old.mkv", p)
    out = apply(op("retarget", [p], ["old.mkv"], ["/etc/passwd"]), Guard(roots))
    assert not out.ok and os.readlink(p) == "old.mkv"
