"""The MediaFile aggregate: what each command records, and what it refuses."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from videotheque.domain.errors import DomainError
from videotheque.domain.ids import file_id
from videotheque.domain.media_file import PRESENT, VANISHED, MediaFile

RUN = "00000000-0000-0000-0000-0000000000aa"
FP = "1234:00ff00ff00ff00ff00ff00ff00ff00ff"


def imported(path: str = "Films/Film.mkv", mtime: float = 100.0) -> MediaFile:
    return MediaFile(
        fingerprint=FP,
        algorithm="xxh3_128-3x64k-v1",
        size=1234,
        path=path,
        mtime=mtime,
        name={"kind": "movie", "title": "Film", "year": 2001},
        parser="guessit 4.4",
        run_id=RUN,
    )


def event_types(f: MediaFile) -> list[str]:
    return [type(e).__name__ for e in f.collect_events()]


def replay(f: MediaFile) -> MediaFile:
    """The aggregate rebuilt from its own events."""
    events = f.collect_events()
    copy: MediaFile | None = None
    for e in events:
        copy = e.mutate(copy)
    assert copy is not None
    return copy


def test_the_id_is_the_fingerprints_and_the_import_records_everything() -> None:
    f = imported()
    assert f.id == file_id(FP) == MediaFile.create_id(FP)
    assert f.status == PRESENT
    assert f.paths == {"Films/Film.mkv": 100.0}
    assert f.name == {"kind": "movie", "title": "Film", "year": 2001}
    (event,) = f.collect_events()
    assert type(event).__name__ == "Imported"
    assert event.run_id == RUN  # type: ignore[attr-defined]


def test_every_event_carries_the_run_id_and_replays_to_the_same_state() -> None:
    f = imported()
    f.copy("backup/Film.mkv", 200.0, RUN)
    f.touch("backup/Film.mkv", 300.0, RUN)
    f.move("Films/Film.mkv", "Films/Film (2001)/Film.mkv", 100.0, RUN)
    f.vanish("backup/Film.mkv", RUN)
    f.vanish("Films/Film (2001)/Film.mkv", RUN)
    f.reappear("back/Film.mkv", 400.0, RUN)
    pending = list(f.pending_events)
    assert [type(e).__name__ for e in pending] == [
        "Imported", "Copied", "Touched", "Moved", "Vanished", "Vanished", "Reappeared",
    ]  # fmt: skip
    assert all(e.run_id == RUN for e in pending)  # type: ignore[attr-defined]
    again = replay(f)
    assert (again.paths, again.status, again.name, again.version) == (
        {"back/Film.mkv": 400.0},
        PRESENT,
        f.name,
        f.version,
    )


def test_move_requires_the_old_path_and_a_new_one() -> None:
    f = imported()
    with pytest.raises(DomainError, match="not a path"):
        f.move("elsewhere.mkv", "new.mkv", 1.0, RUN)
    f.copy("b.mkv", 1.0, RUN)
    with pytest.raises(DomainError, match="already a path"):
        f.move("Films/Film.mkv", "b.mkv", 1.0, RUN)
    assert sorted(f.paths) == ["Films/Film.mkv", "b.mkv"]


def test_copy_refuses_a_known_path_and_a_vanished_file() -> None:
    f = imported()
    with pytest.raises(DomainError, match="already a path"):
        f.copy("Films/Film.mkv", 1.0, RUN)
    f.vanish("Films/Film.mkv", RUN)
    with pytest.raises(DomainError, match="not present"):
        f.copy("b.mkv", 1.0, RUN)


def test_vanishing_the_last_path_makes_the_file_vanished() -> None:
    f = imported()
    f.copy("b.mkv", 1.0, RUN)
    f.vanish("b.mkv", RUN)
    assert f.status == PRESENT
    f.vanish("Films/Film.mkv", RUN)
    assert (f.status, f.paths) == (VANISHED, {})
    with pytest.raises(DomainError, match="not a path"):
        f.vanish("Films/Film.mkv", RUN)


def test_only_a_vanished_file_reappears_and_keeps_its_metadata() -> None:
    f = imported()
    with pytest.raises(DomainError, match="has not vanished"):
        f.reappear("x.mkv", 1.0, RUN)
    f.vanish("Films/Film.mkv", RUN)
    f.reappear("x.mkv", 5.0, RUN)
    assert (f.status, f.paths, f.name["title"]) == (PRESENT, {"x.mkv": 5.0}, "Film")
    assert f.id == file_id(FP)


def test_replaced_content_removes_the_path() -> None:
    f = imported()
    with pytest.raises(DomainError, match="not a path"):
        f.replace_content("other.mkv", "some-id", RUN)
    f.replace_content("Films/Film.mkv", "new-id", RUN)
    assert (f.status, f.paths) == (VANISHED, {})
    assert event_types(f)[-1] == "Replaced"


def test_touch_records_only_a_real_change() -> None:
    f = imported(mtime=100.0)
    f.touch("Films/Film.mkv", 100.0, RUN)
    assert event_types(f) == ["Imported"]
    f = imported(mtime=100.0)
    f.touch("Films/Film.mkv", 101.0, RUN)
    assert event_types(f) == ["Imported", "Touched"]
    assert f.paths == {"Films/Film.mkv": 101.0}
    with pytest.raises(DomainError, match="not a path"):
        f.touch("nope.mkv", 1.0, RUN)


def test_a_refused_command_records_nothing() -> None:
    f = imported()
    f.collect_events()
    version = f.version
    refused: list[Callable[[], None]] = [
        lambda: f.move("x.mkv", "y.mkv", 1.0, RUN),
        lambda: f.copy("Films/Film.mkv", 1.0, RUN),
        lambda: f.vanish("x.mkv", RUN),
        lambda: f.reappear("x.mkv", 1.0, RUN),
        lambda: f.replace_content("x.mkv", "id", RUN),
        lambda: f.touch("x.mkv", 1.0, RUN),
    ]
    for bad in refused:
        with pytest.raises(DomainError):
            bad()
    assert f.collect_events() == []
    assert f.version == version
