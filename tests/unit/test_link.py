"""The Link aggregate: its events, state and the paths it refuses."""

from __future__ import annotations

import pytest

from videotheque.domain.errors import DomainError
from videotheque.domain.ids import link_id
from videotheque.domain.link import FOUND, LINKED, QUARANTINED, REMOVED, Link

RUN = "11111111-1111-4111-8111-111111111111"
UNDO = "22222222-2222-4222-8222-222222222222"


def tracked(target: str | None = "../../storage/old/a.mkv") -> Link:
    return Link.track(
        link="Films/A (2001)/A (2001).mkv",
        target=target,
        target_path="old/a.mkv" if target else None,
        file_id="f1",
        run_id=RUN,
    )


def test_id_is_derived_from_the_link_path() -> None:
    link = tracked()
    assert link.id == link_id("Films/A (2001)/A (2001).mkv")
    assert link.state == FOUND


def test_repair_records_old_and_new_target_with_run_and_file() -> None:
    link = tracked()
    link.repair(
        old_target="../../storage/old/a.mkv",
        new_target="../../storage/new/a.mkv",
        target_path="new/a.mkv",
        file_id="f1",
        method="identity",
        run_id=RUN,
    )
    events = link.collect_events()
    assert [type(e).__name__ for e in events] == ["Tracked", "LinkRepaired"]
    repaired = events[1]
    assert repaired.old_target == "../../storage/old/a.mkv"  # type: ignore[attr-defined]
    assert repaired.new_target == "../../storage/new/a.mkv"  # type: ignore[attr-defined]
    assert repaired.method == "identity"  # type: ignore[attr-defined]
    assert repaired.run_id == RUN  # type: ignore[attr-defined]
    assert repaired.file_id == "f1"  # type: ignore[attr-defined]
    assert (link.state, link.target_path) == (LINKED, "new/a.mkv")


@pytest.mark.parametrize("bad", ["../outside.mkv", "/etc/passwd", "a/../../b.mkv", "", "a//b"])
def test_never_points_a_link_outside_storage(bad: str) -> None:
    link = tracked()
    with pytest.raises(DomainError):
        link.repair("x", "y", bad, None, "name", RUN)
    with pytest.raises(DomainError):
        link.retarget("x", "y", bad, None, RUN)
    with pytest.raises(DomainError):
        link.create("y", bad, None, RUN)


def test_a_repair_that_changes_nothing_is_refused() -> None:
    with pytest.raises(DomainError):
        tracked().repair("same", "same", "a.mkv", None, "identity", RUN)


def test_quarantine_then_restore_from_the_trash() -> None:
    link = tracked("nowhere.mkv")
    link.quarantine("nowhere.mkv", f"orphans/{RUN}/Films/A (2001)/A (2001).mkv", RUN)
    assert (link.state, link.target) == (QUARANTINED, None)
    link.restore(
        target="nowhere.mkv",
        target_path=None,
        file_id=None,
        replaced_target=None,
        trash_path=f"orphans/{RUN}/Films/A (2001)/A (2001).mkv",
        undoes=RUN,
        run_id=UNDO,
    )
    assert (link.state, link.target, link.trash_path) == (FOUND, "nowhere.mkv", None)
    names = [type(e).__name__ for e in link.collect_events()]
    assert names == ["Tracked", "LinkQuarantined", "LinkRestored"]


def test_quarantine_path_must_be_relative_to_the_trash() -> None:
    with pytest.raises(DomainError):
        tracked().quarantine("x", "/tmp/elsewhere", RUN)
    with pytest.raises(DomainError):
        tracked().quarantine("x", "../escape", RUN)


def test_created_then_removed_by_an_undo() -> None:
    link = tracked(None)
    link.create("../../storage/a.mkv", "a.mkv", "f1", RUN)
    assert link.state == LINKED
    link.remove("../../storage/a.mkv", f"undo/{UNDO}/Films/A (2001)/A (2001).mkv", RUN, UNDO)
    assert (link.state, link.target) == (REMOVED, None)


def test_replay_gives_the_same_state() -> None:
    link = tracked()
    link.retarget("../../storage/old/a.mkv", "/s/new/a.mkv", "new/a.mkv", "f1", RUN)
    events = link.collect_events()
    copy = None
    for e in events:
        copy = e.mutate(copy)
    assert copy is not None
    assert (copy.target, copy.target_path, copy.state) == ("/s/new/a.mkv", "new/a.mkv", LINKED)
