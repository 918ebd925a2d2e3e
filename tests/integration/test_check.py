"""The ``check`` use case against the real stores (SQLite and PostgreSQL) and DuckDB: what
it appends, in how many events, and how it copes with another writer."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from tests.conftest import Lib
from videotheque.commands.adapters import linkscan
from videotheque.commands.adapters.linkscan import Roots, scan_links
from videotheque.commands.bootstrap import Session, open_session
from videotheque.commands.usecases import checker
from videotheque.domain.media_file import MediaFile


@pytest.fixture
def clib(lib: Lib) -> Lib:
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    return lib


def events_of(lib: Lib, where: str) -> list[dict[str, Any]]:
    query = f"SELECT type, payload FROM events WHERE {where} ORDER BY position"
    result = lib.cli("sql", query, "--format", "json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_a_long_list_of_findings_is_recorded_in_several_events(
    clib: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    clib.write("Films/Known.mkv")
    assert clib.cli("import").exit_code == 0
    for i in range(5):
        clib.write(f"Films/Orphan {i}.mkv")
    monkeypatch.setattr(checker, "FINDINGS_PER_EVENT", 2)

    with open_session(clib.home, clib.store) as session:
        report = checker.check_library(session)

    assert len(report.findings["orphans"]) == 5
    rows = events_of(clib, f"run_id = '{report.run_id}' AND type = 'FindingsRecorded'")
    items = [json.loads(r["payload"])["items"] for r in rows]
    assert [len(i) for i in items] == [2, 2, 1]
    assert [i["path"] for chunk in items for i in chunk] == [
        f"Films/Orphan {i}.mkv" for i in range(5)
    ]


def test_verification_events_follow_another_writers_events(clib: Lib) -> None:
    """The verifier records on the files as the store has them, not as the projection
    knows them: another writer's events the projection has not seen yet are followed."""
    clib.write("Films/A.mkv")
    clib.write("Films/B.mkv")
    assert clib.cli("import").exit_code == 0
    with open_session(clib.home, clib.store) as session:
        a = next(r for r in clib_catalog(session) if r[1] == "Films/A.mkv")
        agg: MediaFile = session.library.repository.get(UUID(a[0]))
        agg.touch("Films/A.mkv", 12345.0, "another-writer")
        session.library.save(agg)  # the projection has not seen it: it is behind

        report = checker.check_library(session, full=True)  # a first full hash: events

        assert report.verified == 2 and report.exit_code == 0
        again: MediaFile = session.library.repository.get(UUID(a[0]))
    assert again.version == agg.version + 1  # Imported, Touched, FullHashRecorded
    assert again.full_hash is not None


def test_a_write_between_reading_a_file_and_appending_its_events_is_redone(
    clib: Lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer appends to a file after the verifier read it from the store and
    before its events are appended (a shared store): the append conflicts, the batch is
    redone on the file read again, and both writers' events are kept."""
    clib.write("Films/A.mkv")
    assert clib.cli("import").exit_code == 0
    real_save = Session.save
    calls: list[int] = []

    def another_writer_first(session: Session, *aggregates: Any) -> int:
        if not aggregates or not all(isinstance(a, MediaFile) for a in aggregates):
            return real_save(session, *aggregates)  # the run's own events
        if not calls:
            other: MediaFile = session.library.repository.get(aggregates[0].id)
            other.touch("Films/A.mkv", 12345.0, "another-writer")
            session.library.save(other)
        calls.append(len(aggregates))
        return real_save(session, *aggregates)

    monkeypatch.setattr(Session, "save", another_writer_first)
    with open_session(clib.home, clib.store) as session:
        report = checker.check_library(session, full=True)  # a first full hash: events
        assert report.verified == 1 and report.exit_code == 0 and not report.errors
        [fid] = [UUID(i) for i, _ in clib_catalog(session)]
        again: MediaFile = session.library.repository.get(fid)
    assert calls == [1, 1]  # the conflicting append, then the redone one
    assert again.version == 3  # Imported, Touched, FullHashRecorded
    assert again.full_hash is not None and again.paths["Films/A.mkv"] == 12345.0


def clib_catalog(session: Any) -> list[tuple[str, str]]:
    with session.projector.connect() as con:
        rows = con.execute("SELECT CAST(id AS VARCHAR), path FROM catalog_files").fetchall()
    return [(str(i), str(p)) for i, p in rows]


def test_find_sees_the_video_tree_exactly_as_the_python_walk(tmp_path: Path) -> None:
    """``find_links`` (GNU find in its own process) is an accelerator for
    ``linkscan.scan_links``: on every kind of link, both give the same entries."""
    storage, video = tmp_path / "storage", tmp_path / "video"
    (storage / "Films" / "A").mkdir(parents=True)
    (storage / "Films" / "A" / "A.mkv").write_bytes(b"a")
    (storage / "top.mkv").write_bytes(b"t")
    (tmp_path / "elsewhere.mkv").write_bytes(b"e")
    alias = tmp_path / "storage-alias"
    alias.symlink_to(storage)
    links = {
        "Films/A.mkv": "../../storage/Films/A/A.mkv",  # relative
        "Films/abs.mkv": str(storage / "Films" / "A" / "A.mkv"),  # absolute
        "Films/alias.mkv": str(alias / "Films" / "A" / "A.mkv"),  # via a symlinked root
        "top.mkv": "../storage/top.mkv",  # a file at the storage root
        "Films/dots.mkv": "./../../storage/./Films/A/../A/A.mkv",
        "Films/folder": "../../storage/Films/",  # a folder, trailing slash
        "Films/up": "..",
        "Films/missing.mkv": "../../storage/Films/B/B.mkv",
        "Films/outside.mkv": "../../elsewhere.mkv",
        "Films/chain.mkv": "A.mkv",  # a link to a link
        "Films/notdir.mkv": "../../storage/top.mkv/x",
        "loop/a": "b",
        "loop/b": "a",
        "root.mkv": "/",
    }
    for rel, target in links.items():
        (video / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, video / rel)
    raw = os.fsencode(video) + b"/Films/Am\xe9lie.mkv"
    os.symlink(b"../../storage/Films/Am\xe9lie.mkv", raw)
    roots = Roots.of(str(storage), str(video), str(tmp_path / "trash"))

    by_find = linkscan.find_links(roots)

    assert by_find is not None, "GNU find is part of the test machine"
    by_python = scan_links(roots)
    assert by_find.links == by_python.links
    assert len(by_find.links) == len(links) + 1
    problems = {e.link: e.problem for e in by_find.links}
    assert problems["Films/A.mkv"] is None and problems["Films/folder"] is None
    # lexical, as repair-links wants it; check settles these two with realpath
    assert problems["Films/alias.mkv"] == problems["Films/chain.mkv"] == "outside"
    assert (problems["loop/a"], problems["Films/notdir.mkv"]) == ("loop", "missing")


def test_without_gnu_find_the_python_walk_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "storage").mkdir()
    (tmp_path / "video").mkdir()
    os.symlink("../storage/x.mkv", tmp_path / "video" / "x.mkv")
    roots = Roots.of(str(tmp_path / "storage"), str(tmp_path / "video"), str(tmp_path / "t"))
    monkeypatch.setattr(shutil, "which", lambda _name: None)  # a system without find
    assert linkscan.find_links(roots) is None
    [entry] = linkscan.walk_video_tree(roots).links
    assert (entry.link, entry.problem) == ("x.mkv", "missing")


def test_a_non_utf8_name_is_verified_and_kept_exactly(clib: Lib) -> None:
    clib.write("Films/Plain.mkv")
    raw = os.fsencode(clib.storage) + b"/Films/Am\xe9lie.mkv"
    with open(raw, "wb") as f:
        f.write(b"a film with a Latin-1 name")
    assert clib.cli("import").exit_code == 0

    with open_session(clib.home, clib.store) as session:
        report = checker.check_library(session, verify_hash=True)
        assert report.verified == 2 and report.exit_code == 0
        with session.projector.connect() as con:
            rows = con.execute(
                "SELECT raw_path, path, ok FROM integrity_verifications ORDER BY raw_path"
            ).fetchall()
    assert rows == [
        (b"Films/Am\xe9lie.mkv", "Films/Am\ufffdlie.mkv", True),
        (b"Films/Plain.mkv", "Films/Plain.mkv", True),
    ]
