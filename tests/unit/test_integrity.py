"""The integrity rules of ``check`` and what the aggregates record of a check."""

from __future__ import annotations

import pytest

from videotheque.domain import integrity
from videotheque.domain.errors import DomainError
from videotheque.domain.media_file import MediaFile
from videotheque.domain.run import Run

RUN = "00000000-0000-0000-0000-0000000000aa"
FP = "1234:00ff00ff00ff00ff00ff00ff00ff00ff"
FULL = "xxh3_128-full-v1"


def imported() -> MediaFile:
    f = MediaFile(
        fingerprint=FP,
        algorithm="xxh3_128-3x64k-v1",
        size=1234,
        path="Films/Film.mkv",
        mtime=100.0,
        name={"kind": "movie", "title": "Film"},
        parser="guessit 4.4",
        run_id=RUN,
    )
    f.collect_events()
    return f


def types(f: MediaFile | Run) -> list[str]:
    return [type(e).__name__ for e in f.collect_events()]


# -- ghosts, orphans, links, exit codes ------------------------------------------------------


def test_ghosts_are_catalogued_paths_missing_on_disk_but_not_unseen_ones() -> None:
    catalogued = {"b.mkv", "a.mkv", "locked/c.mkv", "d.mkv"}
    on_disk = {"d.mkv"}

    def unseen(path: str) -> bool:  # under an unreadable folder
        return path.startswith("locked/")

    assert integrity.ghosts(catalogued, on_disk, unseen) == ["a.mkv", "b.mkv"]


def test_orphans_are_files_on_disk_the_catalog_does_not_know() -> None:
    assert integrity.orphans(["z.mkv", "known.mkv", "a.mkv"], {"known.mkv"}) == ["a.mkv", "z.mkv"]


@pytest.mark.parametrize(
    ("inside", "is_dir", "expected"),
    [
        (None, False, integrity.OUTSIDE_STORAGE),
        (None, True, integrity.OUTSIDE_STORAGE),
        ("Films/known.mkv", False, None),
        ("Films/unknown.mkv", False, integrity.NOT_CATALOGUED),
        ("Films/unknown.srt", False, None),  # subtitles are never catalogued
        ("Films", True, None),  # a folder inside storage
    ],
)
def test_stray_reason(inside: str | None, is_dir: bool, expected: str | None) -> None:
    def is_video(path: str) -> bool:
        return path.endswith(".mkv")

    assert integrity.stray_reason(inside, is_dir, {"Films/known.mkv"}, is_video) == expected


@pytest.mark.parametrize(
    ("findings", "errors", "unreachable", "code"),
    [(0, 0, 0, 0), (2, 0, 0, 1), (0, 1, 0, 1), (5, 1, 1, 3), (0, 0, 1, 3)],
)
def test_exit_codes(findings: int, errors: int, unreachable: int, code: int) -> None:
    assert integrity.exit_code(findings, errors, unreachable) == code


# -- MediaFile.verify -------------------------------------------------------------------------


def test_a_matching_fingerprint_is_ok_and_left_to_the_run_to_record() -> None:
    f = imported()
    v = f.verify("Films/Film.mkv", FP, RUN)
    assert v == integrity.Verification("Films/Film.mkv", True)
    assert types(f) == []  # matches are recorded in bulk: Run.record_verifications


def test_another_fingerprint_is_a_mismatch_with_both_values() -> None:
    f = imported()
    v = f.verify("Films/Film.mkv", "1234:0000", RUN, full_hash="abc", full_algorithm=FULL)
    assert (v.ok, v.mismatch, v.expected, v.actual) == (False, "fingerprint", FP, "1234:0000")
    assert f.full_hash is None  # changed content never becomes the reference
    [event] = f.collect_events()
    assert type(event).__name__ == "HashVerified"
    recorded = {k: getattr(event, k) for k in ("path", "ok", "mismatch", "expected", "actual")}
    assert recorded == {
        "path": "Films/Film.mkv", "ok": False, "mismatch": "fingerprint",
        "expected": FP, "actual": "1234:0000",
    }  # fmt: skip
    assert event.run_id == RUN  # type: ignore[attr-defined]


def test_the_first_full_hash_is_recorded_then_compared() -> None:
    f = imported()
    first = f.verify("Films/Film.mkv", FP, RUN, full_hash="aaa", full_algorithm=FULL)
    assert (first.ok, first.full) == (True, "recorded")
    assert types(f) == ["FullHashRecorded"]
    assert (f.full_hash, f.full_algorithm) == ("aaa", FULL)

    same = f.verify("Films/Film.mkv", FP, RUN, full_hash="aaa", full_algorithm=FULL)
    assert (same.ok, same.full) == (True, "compared")
    rotten = f.verify("Films/Film.mkv", FP, RUN, full_hash="bbb", full_algorithm=FULL)
    assert (rotten.ok, rotten.mismatch, rotten.expected, rotten.actual) == (
        False, "full_hash", "aaa", "bbb",
    )  # fmt: skip
    assert types(f) == ["HashVerified"]  # the mismatch only
    assert f.full_hash == "aaa"  # the reference stays


def test_a_full_hash_of_another_algorithm_is_recorded_anew() -> None:
    f = imported()
    f.verify("Films/Film.mkv", FP, RUN, full_hash="aaa", full_algorithm=FULL)
    v = f.verify("Films/Film.mkv", FP, RUN, full_hash="zzz", full_algorithm="blake3-full-v2")
    assert (v.ok, v.full) == (True, "recorded")
    assert f.full_algorithm == "blake3-full-v2"


def test_verifying_a_path_the_file_does_not_have_is_refused() -> None:
    with pytest.raises(DomainError):
        imported().verify("Films/Other.mkv", FP, RUN)


def test_the_full_hash_survives_a_replay() -> None:
    f = imported()
    f.verify("Films/Film.mkv", FP, RUN, full_hash="aaa", full_algorithm=FULL)
    copy = None
    for e in [*imported_events(), *f.collect_events()]:
        copy = e.mutate(copy)
    assert isinstance(copy, MediaFile)
    assert (copy.full_hash, copy.full_algorithm) == ("aaa", FULL)


def imported_events() -> list[object]:
    f = MediaFile(
        fingerprint=FP,
        algorithm="xxh3_128-3x64k-v1",
        size=1234,
        path="Films/Film.mkv",
        mtime=100.0,
        name={"kind": "movie", "title": "Film"},
        parser="guessit 4.4",
        run_id=RUN,
    )
    return list(f.collect_events())


# -- Run.record_findings -------------------------------------------------------------------------


def started() -> Run:
    run = Run(
        run_id=RUN,
        command="check",
        arguments={"verify_hash": False},
        app_version="0.1.0",
        host="nas",
        started_at="2026-01-02T03:04:05+00:00",
    )
    run.collect_events()
    return run


def test_a_run_records_its_findings_until_it_finishes() -> None:
    run = started()
    run.record_findings("ghosts", [{"path": "a.mkv", "file_id": "x"}])
    [event] = run.collect_events()
    assert type(event).__name__ == "FindingsRecorded"
    assert event.category == "ghosts"  # type: ignore[attr-defined]
    assert event.items == [{"path": "a.mkv", "file_id": "x"}]  # type: ignore[attr-defined]
    assert event.run_id == RUN  # type: ignore[attr-defined]
    run.record_verifications([{"file_id": "x", "path": "a.mkv", "full": ""}])
    [event] = run.collect_events()
    assert type(event).__name__ == "HashesVerified"
    assert event.items == [{"file_id": "x", "path": "a.mkv", "full": ""}]  # type: ignore[attr-defined]
    run.finish({"ghosts": 1}, 1, "2026-01-02T03:04:06+00:00")
    with pytest.raises(DomainError):
        run.record_findings("orphans", [{"path": "b.mkv"}])
    with pytest.raises(DomainError):
        run.record_verifications([])
