"""A library with a history, for the report and time-travel tests.

Six days in the life of a small library, recorded under freezegun so every timestamp is
known: an import of hostile file names (``<script>``, quotes, ``|``, a backtick, a newline,
a non-UTF-8 byte), an enrichment run, a storage reorganisation (a move and a deletion), a
check that finds broken links, a repair run (one repair, one quarantine), a validation,
an undo, and a clean check.

The import, move and vanish are real (``import`` through the CLI). Enrichment, link and
check outcomes are recorded through small test aggregates whose events carry the type
names and payload keys that issue #3, #4 and #5 give them (``Enriched`` with provider,
score and candidates, ``LinkRepaired(link, old_target, new_target, method)``, ...): the
report reads the audit trail by type and payload, whatever projections those commands
add, so these stand in for them exactly.

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
from uuid import NAMESPACE_URL, UUID, uuid5

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Transcoder, Transcoding
from freezegun import freeze_time
from freezegun.api import FakeDatetime

from tests.conftest import Lib
from videotheque.commands.bootstrap import open_session
from videotheque.commands.library import Library


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


# -- stand-ins for the events of enrich, repair-links and check ---------------------------


def _id(*parts: str) -> UUID:
    return uuid5(NAMESPACE_URL, "vtq-test:" + "/".join(parts))


class Matched(Aggregate):
    @staticmethod
    def create_id(file_id: str, run_id: str) -> UUID:
        return _id("match", file_id, run_id)

    @event("Enriched")
    def __init__(
        self,
        file_id: str,
        run_id: str,
        provider: str,
        provider_id: str,
        title: str,
        year: int,
        score: float,
        candidates: list[dict[str, Any]],
        original_title: str | None = None,
        query: dict[str, Any] | None = None,
    ) -> None:
        pass


class Queued(Aggregate):
    @staticmethod
    def create_id(file_id: str, run_id: str) -> UUID:
        return _id("queued", file_id, run_id)

    @event("MatchAmbiguous")
    def __init__(
        self,
        file_id: str,
        run_id: str,
        candidates: list[dict[str, Any]],
        reason: str | None = None,
    ) -> None:
        pass


class NotFound(Aggregate):
    @staticmethod
    def create_id(file_id: str, run_id: str) -> UUID:
        return _id("nomatch", file_id, run_id)

    @event("NoMatch")
    def __init__(
        self,
        file_id: str,
        run_id: str,
        candidates: list[dict[str, Any]],
    ) -> None:
        pass


class Failed(Aggregate):
    @staticmethod
    def create_id(file_id: str, run_id: str) -> UUID:
        return _id("failed", file_id, run_id)

    @event("EnrichmentFailed")
    def __init__(
        self,
        file_id: str,
        run_id: str,
        provider: str,
        reason: str,
    ) -> None:
        pass


class Validated(Aggregate):
    @staticmethod
    def create_id(file_id: str, run_id: str) -> UUID:
        return _id("validated", file_id, run_id)

    @event("MatchValidated")
    def __init__(
        self,
        file_id: str,
        run_id: str,
        provider: str,
        provider_id: str,
        title: str,
        year: int,
        score: float | None = None,
    ) -> None:
        pass


class Repaired(Aggregate):
    @staticmethod
    def create_id(link: str, run_id: str) -> UUID:
        return _id("repaired", link, run_id)

    @event("LinkRepaired")
    def __init__(
        self,
        link: str,
        run_id: str,
        old_target: str,
        new_target: str,
        target_path: str,
        file_id: str | None,
        method: str,
    ) -> None:
        pass


class Quarantined(Aggregate):
    @staticmethod
    def create_id(link: str, run_id: str) -> UUID:
        return _id("quarantined", link, run_id)

    @event("LinkQuarantined")
    def __init__(
        self,
        link: str,
        run_id: str,
        trash_path: str,
        dangling_target: str,
    ) -> None:
        pass


class Restored(Aggregate):
    @staticmethod
    def create_id(link: str, run_id: str) -> UUID:
        return _id("restored", link, run_id)

    @event("LinkRestored")
    def __init__(
        self,
        link: str,
        run_id: str,
        target: str,
        trash_path: str,
        undoes: str,
    ) -> None:
        pass


class Findings(Aggregate):
    @staticmethod
    def create_id(category: str, run_id: str) -> UUID:
        return _id("findings", category, run_id)

    @event("FindingsRecorded")
    def __init__(self, category: str, run_id: str, items: list[dict[str, Any]]) -> None:
        pass


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
TRASHED = "orphans/run/Films/<img src=x onerror=alert(2)>.mkv"

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
    lib: Lib, when: str, command: str, summary: dict[str, Any], make: Any, exit_code: int = 0
) -> str:
    """A run of ``command`` at ``when`` whose events are the aggregates ``make(run_id)``."""
    with frozen(when), open_session(lib.home, lib.store) as session:
        run = session.start_run(command, {"test": True})
        aggregates = make(run.run_id)
        if aggregates:
            session.save(*aggregates)
        session.finish_run(summary, exit_code)
        session.catch_up()
        return run.run_id


def _candidate(
    title: str, year: int, pid: str, score: float, provider: str = "tmdb"
) -> dict[str, Any]:
    return {"provider": provider, "provider_id": pid, "title": title, "year": year, "score": score}


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

    def enrich(run_id: str) -> list[Aggregate]:
        return [
            Matched(
                fid[MATRIX], run_id, provider="tmdb", provider_id="603", title="The Matrix",
                original_title="The Matrix", year=1999, score=0.98,
                query={"title": "The Matrix", "year": 1999},
                candidates=[
                    _candidate("The Matrix", 1999, "603", 0.98),
                    _candidate("The Matrix Reloaded", 2003, "604", 0.61),
                ],
            ),
            Matched(
                fid[SCRIPT], run_id, provider="nfo", provider_id="tt0000001",
                title="<b>Bold</b> | title", year=2001, score=1.0, candidates=[],
            ),
            Queued(
                fid[DUNE], run_id, reason="ambiguous",
                candidates=[
                    _candidate("Dune", 2021, "438631", 0.82),
                    _candidate("Dune", 1984, "841", 0.78),
                    _candidate("Dune: Part Two", 2024, "693134", 0.55),
                ],
            ),
            NotFound(fid[QUOTES], run_id, candidates=[]),
            Failed(fid[PIPE], run_id, provider="tmdb", reason="HTTP 503 | retry `later`"),
        ]  # fmt: skip

    story.run_ids.append(
        _record(lib, DAY1_ENRICH, "enrich",
                {"enriched": 2, "ambiguous": 1, "no_match": 1, "failed": 1}, enrich)
    )  # fmt: skip

    # Day 2: the share is reorganised: Matrix moves, the episode is deleted.
    os.renames(lib.storage / MATRIX, lib.storage / MATRIX_MOVED)
    (lib.storage / EPISODE).unlink()
    _import(lib, DAY2)

    broken = [
        {"link": "Films/The Matrix (1999)/The Matrix (1999).mkv",
         "target": "../../../storage/" + MATRIX, "reason": "missing target"},
        {"link": "Films/<img src=x onerror=alert(2)>.mkv",
         "target": "../../../storage/Films/gone|away.mkv", "reason": "missing target"},
    ]  # fmt: skip
    story.run_ids.append(
        _record(
            lib, DAY2_CHECK, "check",
            {"ghosts": 0, "orphans": 0, "broken_links": 2, "stray_links": 0, "duplicates": 0,
             "hash_mismatches": 0, "files": 8, "links": 5},
            lambda run_id: [Findings("broken_links", run_id, items=broken)], exit_code=1,
        )
    )  # fmt: skip

    def repair(run_id: str) -> list[Aggregate]:
        return [
            Repaired(
                broken[0]["link"], run_id, old_target=broken[0]["target"],
                new_target="../../../storage/" + MATRIX_MOVED, target_path=MATRIX_MOVED,
                file_id=fid[MATRIX], method="identity",
            ),
            Quarantined(
                broken[1]["link"], run_id, trash_path=TRASHED,
                dangling_target=broken[1]["target"],
            ),
        ]  # fmt: skip

    repair_run = _record(lib, DAY3_REPAIR, "repair-links",
                         {"broken": 2, "repaired": 1, "quarantined": 1}, repair)  # fmt: skip
    story.run_ids.append(repair_run)
    story.run_ids.append(
        _record(
            lib, DAY3_VALIDATE, "validate", {"validated": 1},
            lambda run_id: [
                Validated(fid[DUNE], run_id, provider="tmdb", provider_id="438631",
                          title="Dune", year=2021, score=0.82)
            ],
        )
    )  # fmt: skip
    story.run_ids.append(
        _record(
            lib, DAY3_UNDO, "undo", {"restored": 1},
            lambda run_id: [
                Restored(broken[1]["link"], run_id, target=broken[1]["target"],
                         trash_path=TRASHED,
                         undoes=repair_run)
            ],
        )
    )  # fmt: skip
    story.run_ids.append(
        _record(
            lib, DAY3_CHECK, "check",
            {"ghosts": 0, "orphans": 0, "broken_links": 0, "stray_links": 0, "duplicates": 0,
             "hash_mismatches": 0, "files": 8, "links": 4},
            lambda run_id: [],
        )
    )  # fmt: skip
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
