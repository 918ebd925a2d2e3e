"""Time travel: ``catalog --as-of``, ``diff`` and ``report --until`` replay the event store
up to a moment (on SQLite and on PostgreSQL), and keep no copy of the past.

Dates are set with freezegun around the imports only (``fake_clock`` lets the store
transcode freezegun's datetimes); the queries run on the real clock.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import PG_URL, Lib, _make_lib
from tests.report_story import allow_fake_clock, frozen
from videotheque.commands.bootstrap import open_session
from videotheque.projections import queries
from videotheque.projections.time_travel import RecorderUntil, replay_until

JAN = "2024-01-10 09:00:00"
FEB = "2024-02-10 09:00:00"
MAR = "2024-03-10 09:00:00"
# Enough files that one deletion stays under import's mass-vanish guard (20%).
OTHERS = [f"Films/Other {n} (200{n})/Other.{n}.200{n}.mkv" for n in range(4)]


def _import(lib: Lib, when: str) -> None:
    with frozen(when):
        result = lib.cli("import")
    assert result.exit_code == 0, result.output


def _history(lib: Lib) -> None:
    """January: six films. February: one moves, one is deleted, a series arrives.
    March: the deleted film comes back."""
    lib.write("Films/Alien (1979)/Alien.1979.mkv")
    lib.write("Films/Heat (1995)/Heat.1995.mkv")
    for other in OTHERS:
        lib.write(other)
    _import(lib, JAN)
    os.renames(lib.storage / "Films/Alien (1979)", lib.storage / "Cinema/Alien (1979)")
    heat = (lib.storage / "Films/Heat (1995)/Heat.1995.mkv").read_bytes()
    (lib.storage / "Films/Heat (1995)/Heat.1995.mkv").unlink()
    lib.write("Series/Dark/Season 1/Dark.S01E01.mkv")
    _import(lib, FEB)
    lib.write("Films/Heat (1995)/Heat.1995.mkv", heat)
    _import(lib, MAR)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def past(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lib]:
    """A library with three months of history, recorded once per store (tests only read)."""
    store = None
    if request.param == "postgresql":
        request.getfixturevalue("postgres_available")
        schema = "vtq_" + uuid.uuid4().hex[:12]
        store = f"{PG_URL}?schema={schema}"

        def drop() -> None:
            import psycopg

            with psycopg.connect(PG_URL, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

        request.addfinalizer(drop)
    with pytest.MonkeyPatch.context() as mp:
        allow_fake_clock(mp)
        lib = _make_lib(tmp_path_factory.mktemp(f"past-{request.param}"), store)
        _history(lib)
        yield lib


def _paths(rows: list[dict[str, object]]) -> dict[str, str]:
    return {str(r["path"]): str(r["status"]) for r in rows}


def test_catalog_as_of_shows_each_moment(past: Lib) -> None:
    lib = past
    assert lib.json("catalog", "--as-of", "2024-01-09") == []
    others = {o: "present" for o in OTHERS}
    assert _paths(lib.json("catalog", "--as-of", "2024-01-10")) == {
        "Films/Alien (1979)/Alien.1979.mkv": "present",
        "Films/Heat (1995)/Heat.1995.mkv": "present",
        **others,
    }
    assert _paths(lib.json("catalog", "--as-of", "2024-02-10T12:00:00+00:00")) == {
        "Cinema/Alien (1979)/Alien.1979.mkv": "present",
        "Films/Heat (1995)/Heat.1995.mkv": "vanished",
        "Series/Dark/Season 1/Dark.S01E01.mkv": "present",
        **others,
    }
    now = _paths(lib.json("catalog"))
    assert now["Films/Heat (1995)/Heat.1995.mkv"] == "present"
    # Same answer as the live projection once the moment is after the last event.
    assert _paths(lib.json("catalog", "--as-of", "now")) == now
    # Nothing of the past is kept in the home.
    assert not [p for p in lib.home.iterdir() if p.name.startswith(".as-of-")]


def test_catalog_as_of_keeps_the_catalog_keys(past: Lib) -> None:
    lib = past
    rows = lib.json("catalog", "--as-of", "2024-01-31")
    keys = {"file_id", "path", "paths", "size", "fingerprint", "kind", "title", "year",
            "season", "episode", "status"}  # fmt: skip
    assert rows and all(keys <= set(r) for r in rows)


def test_diff_between_two_dates(past: Lib) -> None:
    lib = past
    d = lib.json("diff", "--from", "2024-02-01", "--to", "2024-02-28")
    assert [r["path"] for r in d["added"]] == ["Series/Dark/Season 1/Dark.S01E01.mkv"]
    assert [(r["from_path"], r["to_path"]) for r in d["moved"]] == [
        ("Films/Alien (1979)/Alien.1979.mkv", "Cinema/Alien (1979)/Alien.1979.mkv")
    ]
    assert [r["path"] for r in d["vanished"]] == ["Films/Heat (1995)/Heat.1995.mkv"]
    assert d["reappeared"] == [] and d["enriched"] == [] and d["links_repaired"] == []

    # From February to now: Heat came back, so it has not vanished.
    d = lib.json("diff", "--from", "2024-02-01")
    assert d["to"] is None
    assert d["vanished"] == []
    assert [r["path"] for r in d["added"]] == ["Series/Dark/Season 1/Dark.S01E01.mkv"]

    # After the vanish, before the return: it reappears.
    d = lib.json("diff", "--from", "2024-02-20", "--to", "2024-03-31")
    assert [r["path"] for r in d["reappeared"]] == ["Films/Heat (1995)/Heat.1995.mkv"]

    # A bare date range covers whole days.
    d = lib.json("diff", "--from", "2024-01-10", "--to", "2024-01-10")
    assert len(d["added"]) == 6


def test_diff_human_output_and_errors(past: Lib) -> None:
    lib = past
    result = lib.cli("diff", "--from", "2024-02-01", "--to", "2024-02-28")
    assert result.exit_code == 0, result.output
    assert "1 added, 1 moved, 1 vanished, 0 reappeared, 0 enriched, 0 links repaired" in (
        result.stdout
    )
    bad = lib.cli("diff", "--from", "2024-03-01", "--to", "2024-02-01")
    assert bad.exit_code == 2 and "--from is after --to" in bad.stderr
    bad = lib.cli("diff", "--from", "someday")
    assert bad.exit_code == 2 and "is not a moment" in bad.stderr


def test_report_until_replays_the_past(past: Lib, tmp_path: Path) -> None:
    lib = past
    out = tmp_path / "jan.md"
    result = lib.cli("report", "--format", "md", "--until", "2024-01-31", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "6 files present" in text
    assert "Films/Alien (1979)/Alien.1979.mkv" in text
    assert "Cinema/" not in text and "Series/Dark" not in text
    assert "The library as it was on" in text and ", replayed." in text


def test_recorder_until_cuts_at_a_position_and_at_a_moment(past: Lib) -> None:
    lib = past
    with open_session(lib.home, lib.store) as session:
        top = session.library.max_position()
        # A position: exactly the prefix of the log.
        with replay_until(session.library.recorder, position=3, directory=lib.home) as r:
            assert r.position == 3 and r.store_position == top
            with r.projector.connect() as con:
                events = con.execute("SELECT max(position), count(*) FROM events").fetchone()
            assert events == (3, 3)
        # A moment between January and February: only January's events.
        moment = datetime(2024, 1, 20, tzinfo=UTC)
        bounded = RecorderUntil(session.library.recorder, moment)
        seen = bounded.read(0, 1000)
        assert seen and all(e.timestamp.startswith("2024-01-10") for e in seen)
        assert bounded.ended
        assert bounded.read(seen[-1].position, 1000) == []


def test_a_replay_to_now_equals_the_live_projection(past: Lib) -> None:
    """The replay and the incremental projection agree (``--as-of`` after the last event
    reads the live projection directly, so this is where the two are compared)."""
    with open_session(past.home, past.store) as session:
        with session.projector.connect() as con:
            live = queries.catalog(con)
            live_events = con.execute("SELECT count(*), max(position) FROM events").fetchone()
        moment = datetime.now(UTC)
        with (
            replay_until(session.library.recorder, moment, directory=past.home) as replay,
            replay.projector.connect() as con,
        ):
            replayed = queries.catalog(con)
            events = con.execute("SELECT count(*), max(position) FROM events").fetchone()
    assert replayed == live
    assert events == live_events
