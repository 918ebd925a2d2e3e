"""A library with a history, for the report and time-travel tests.

Six days in the life of a small library, recorded under freezegun so every timestamp is
known: an import of hostile file names (``<script>``, quotes, ``|``, a backtick, a newline,
a non-UTF-8 byte), an enrichment run, a storage reorganisation (a move and a deletion), a
check that finds broken links, a repair run (one repair, one quarantine), a validation,
an undo, and a clean check.

The import, move and vanish are real (``import`` through the CLI). Enrichment, link and
check outcomes are recorded by the real aggregates' command methods, as the use cases call
them (``MediaFile.enrich``, ``queue_match``, ``fail_enrichment``, ``validate_match``;
``Link.track``, ``repair``, ``quarantine``, ``restore``; ``Run.record_findings`` with a
``CheckReport`` summary), saved through the session and projected by the real projector:
the events, their payloads and the projection tables are the ones a user's library has.
What is not driven is the outside world those use cases observe (a provider's answers,
a video tree of symlinks).

freezegun's ``FakeDatetime`` is not a type the event store can transcode; the
``fake_clock`` fixture registers it under the name of the real datetime transcoding, so the
stored JSON is the same as with a real clock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import Transcoder, Transcoding
from freezegun import freeze_time
from freezegun.api import FakeDatetime

from tests.conftest import Lib
from videotheque.commands.bootstrap import Session, open_session
from videotheque.commands.library import Library
from videotheque.commands.usecases.checker import CheckReport
from videotheque.domain import integrity
from videotheque.domain.ids import link_id
from videotheque.domain.link import Link
from videotheque.domain.link_plan import quarantine_path
from videotheque.domain.media_file import MediaFile


class FakeDatetimeAsISO(Transcoding):
    type = FakeDatetime
    name = "datetime_iso"  # the real transcoding's name: stored JSON is unchanged

    def encode(self, obj: datetime) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> datetime:
        return datetime.fromisoformat(data)


def allow_fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let events be saved under ``freeze_time`` (see the module docstring)."""
    original = Library.register_transcodings

    def register(self: Library, transcoder: Transcoder) -> None:
        original(self, transcoder)
        transcoder.register(FakeDatetimeAsISO())

    monkeypatch.setattr(Library, "register_transcodings", register)


def frozen(when: str) -> Any:
    """``freeze_time(when)`` for the code that stamps events, not for the PostgreSQL driver:
    psycopg's pool times its waits with the clock, and a frozen clock made each import
    ~5 s slower."""
    return freeze_time(when, ignore=["psycopg", "psycopg_pool", "eventsourcing.postgres"])


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    allow_fake_clock(monkeypatch)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    """The story, recorded once per test module on the SQLite store."""
    from tests.conftest import _make_lib

    with pytest.MonkeyPatch.context() as mp:
        allow_fake_clock(mp)
        yield build_story(_make_lib(tmp_path_factory.mktemp("story"), None))


# -- the story ------------------------------------------------------------------------------

SCRIPT = "Films/<script>alert(1)</script> (2001).mkv"
QUOTES = "Films/Quote \"double\" & 'single' (1999).mkv"
PIPE = "Films/Pipe | and `backtick` (2004).mkv"
NEWLINE = "Films/New\nline (2010).mkv"
NON_UTF8 = os.fsdecode(b"Films/Caf\xe9 Noir (1990).mkv")
MATRIX = "Films/The Matrix (1999)/The.Matrix.1999.1080p.mkv"
AMELIE = "Films/Amelie (2001)/Le.Fabuleux.Destin.d.Amelie.Poulain.2001.FRENCH.mkv"
DUNE = "Films/Dune (2021)/Dune.2021.2160p.mkv"
EPISODE = "Series/Kaamelott/Livre 1/Kaamelott.S01E01.avi"
MATRIX_MOVED = "Cinema/The Matrix (1999)/The.Matrix.1999.1080p.mkv"

NAMES = [SCRIPT, QUOTES, PIPE, NEWLINE, NON_UTF8, MATRIX, AMELIE, DUNE, EPISODE]

DAY1 = "2024-03-01 09:00:00"  # first import
DAY1_ENRICH = "2024-03-01 10:00:00"
DAY2 = "2024-03-04 20:00:00"  # Matrix moved, the episode deleted
DAY2_CHECK = "2024-03-04 20:05:00"
DAY3_REPAIR = "2024-03-06 08:00:00"
DAY3_VALIDATE = "2024-03-06 08:10:00"
DAY3_UNDO = "2024-03-06 08:15:00"
DAY3_CHECK = "2024-03-06 09:00:00"


@dataclass
class Story:
    lib: Lib
    file_ids: dict[str, str] = field(default_factory=dict)  # stored path -> file id
    run_ids: list[str] = field(default_factory=list)  # in the order they started


def _import(lib: Lib, when: str) -> None:
    with frozen(when):
        result = lib.cli("import")
    assert result.exit_code == 0, result.output


def _record(
    lib: Lib,
    when: str,
    command: str,
    act: Any,
    summary: dict[str, Any] | None = None,
    exit_code: int = 0,
) -> str:
    """A run of ``command`` at ``when``: ``act(session, run_id)`` calls the aggregates'
    command methods and returns them (and the run's summary when ``summary`` is None)."""
    with frozen(when), open_session(lib.home, lib.store) as session:
        run = session.start_run(command, {"test": True})
        aggregates, found = act(session, run.run_id)
        if aggregates:
            session.save(*aggregates)
        session.finish_run(found if summary is None else summary, exit_code)
        session.catch_up()
        return run.run_id


def _candidate(
    title: str, year: int, pid: str, score: float, provider: str = "tmdb"
) -> dict[str, Any]:
    return {"provider": provider, "provider_id": pid, "title": title, "year": year, "score": score}


def _file(session: Session, file_id: str) -> MediaFile:
    file = session.library.repository.get(UUID(file_id))
    assert isinstance(file, MediaFile)
    return file


def _link(session: Session, link: str) -> Link:
    found = session.library.repository.get(link_id(link))
    assert isinstance(found, Link)
    return found


def _check(broken: list[dict[str, Any]], files: int, links: int) -> Any:
    """A check run that found these broken links (as ``check`` records them)."""

    def act(session: Session, run_id: str) -> tuple[list[Any], dict[str, Any]]:
        report = CheckReport(run_id=run_id, files=files, links=links)
        report.findings[integrity.BROKEN_LINKS] = list(broken)
        assert session.run is not None
        if broken:
            session.run.record_findings(integrity.BROKEN_LINKS, list(broken))
        return [], report.summary

    return act


def build_story(lib: Lib) -> Story:
    """Record the six days; return the file ids by their first path."""
    story = Story(lib)
    stamp = datetime.fromisoformat(DAY1).timestamp() - 3600
    for name in NAMES:
        path = lib.write(name, size=700 * 1024 * 1024)
        os.utime(path, (stamp, stamp))
    _import(lib, DAY1)
    for row in lib.json("catalog"):
        story.file_ids[row["path"]] = row["file_id"]
    fid = {name: story.file_ids[_shown(name)] for name in NAMES}
    dune_candidates = [
        _candidate("Dune", 2021, "438631", 0.82),
        _candidate("Dune", 1984, "841", 0.78),
        _candidate("Dune: Part Two", 2024, "693134", 0.55),
    ]

    def enrich(session: Session, run_id: str) -> tuple[list[Any], dict[str, Any]]:
        matrix, script, dune, quotes, pipe = (
            _file(session, fid[name]) for name in (MATRIX, SCRIPT, DUNE, QUOTES, PIPE)
        )
        matrix.enrich(
            _candidate("The Matrix", 1999, "603", 0.98) | {"original_title": "The Matrix"},
            query={"title": "The Matrix", "year": 1999, "kind": "movie"},
            candidates=[
                _candidate("The Matrix", 1999, "603", 0.98),
                _candidate("The Matrix Reloaded", 2003, "604", 0.61),
            ],
            run_id=run_id,
        )
        script.enrich(  # an NFO sidecar's ids: qualified by the provider they name
            _candidate("<b>Bold</b> | title", 2001, "imdb:tt0000001", 1.0, provider="nfo"),
            query={"via": "nfo"}, candidates=[], run_id=run_id,
        )  # fmt: skip
        dune.queue_match(
            True, query={"title": "Dune", "year": 2021, "kind": "movie"},
            candidates=dune_candidates, run_id=run_id,
        )  # fmt: skip
        quotes.queue_match(False, query={"title": "Quote", "kind": "movie"}, candidates=[],
                           run_id=run_id)  # fmt: skip
        pipe.fail_enrichment("tmdb", "HTTP 503 | retry `later`", run_id)
        summary = {"enriched": 2, "ambiguous": 1, "no_match": 1, "failed": 1}
        return [matrix, script, dune, quotes, pipe], summary

    story.run_ids.append(_record(lib, DAY1_ENRICH, "enrich", enrich))

    # Day 2: the share is reorganised: Matrix moves, the episode is deleted.
    os.renames(lib.storage / MATRIX, lib.storage / MATRIX_MOVED)
    (lib.storage / EPISODE).unlink()
    _import(lib, DAY2)

    broken = [
        {"link": "Films/The Matrix (1999)/The Matrix (1999).mkv",
         "target": "../../../storage/" + MATRIX, "reason": integrity.MISSING_TARGET},
        {"link": "Films/<img src=x onerror=alert(2)>.mkv",
         "target": "../../../storage/Films/gone|away.mkv", "reason": integrity.MISSING_TARGET},
    ]  # fmt: skip
    story.run_ids.append(
        _record(lib, DAY2_CHECK, "check", _check(broken, files=8, links=5), exit_code=1)
    )

    def repair(session: Session, run_id: str) -> tuple[list[Any], dict[str, Any]]:
        matrix = Link.track(broken[0]["link"], broken[0]["target"], MATRIX, fid[MATRIX], run_id)
        matrix.repair(
            old_target=broken[0]["target"], new_target="../../../storage/" + MATRIX_MOVED,
            target_path=MATRIX_MOVED, file_id=fid[MATRIX], method="identity", run_id=run_id,
        )  # fmt: skip
        gone = Link.track(broken[1]["link"], broken[1]["target"], "Films/gone|away.mkv", None,
                          run_id)  # fmt: skip
        gone.quarantine(broken[1]["target"], quarantine_path(run_id, gone.link), run_id)
        return [matrix, gone], {"broken": 2, "repaired": 1, "quarantined": 1}

    repair_run = _record(lib, DAY3_REPAIR, "repair-links", repair)
    story.run_ids.append(repair_run)

    def validate(session: Session, run_id: str) -> tuple[list[Any], dict[str, Any]]:
        dune = _file(session, fid[DUNE])
        dune.validate_match(dune_candidates[0], how="candidate", run_id=run_id)
        return [dune], {"validated": 1}

    story.run_ids.append(_record(lib, DAY3_VALIDATE, "validate", validate))

    def undo(session: Session, run_id: str) -> tuple[list[Any], dict[str, Any]]:
        gone = _link(session, broken[1]["link"])
        gone.restore(
            target=broken[1]["target"], target_path=None, file_id=None, replaced_target=None,
            trash_path=gone.trash_path, undoes=repair_run, run_id=run_id,
        )  # fmt: skip
        return [gone], {"restored": 1}

    story.run_ids.append(_record(lib, DAY3_UNDO, "undo", undo))
    story.run_ids.append(_record(lib, DAY3_CHECK, "check", _check([], files=8, links=4)))
    return story


def _shown(name: str) -> str:
    from videotheque.domain.paths import display

    return display(name)


def all_run_ids(lib: Lib) -> list[str]:
    """Every run id, oldest first (imports included)."""
    runs = lib.json("runs")
    return [r["run_id"] for r in sorted(runs, key=lambda r: (r["started_at"], r["run_id"]))]


def iter_names() -> Iterator[str]:
    yield from NAMES
