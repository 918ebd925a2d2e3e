"""Events projected in SQL (staged) make exactly the rows the Python projections make.

The projector cuts most events' payload out of the stored JSON without decoding it and
projects them in SQL (``videotheque.projections.events.cut_payload``, ``Projector.stage``). The same
store replayed with that switched off (every event decoded and applied in Python) must give
the same tables, byte for byte: on the demo library (every command's events) plus names
that JSON and DuckDB treat specially.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import videotheque.commands.cli.app
import videotheque.projections.events
from tests.faults.harness import dump
from videotheque.commands.cli.base import app
from videotheque.commands.library import open_library
from videotheque.projections.events import cut_payload, decode
from videotheque.projections.projector import Projector

ODD_NAMES = [
    "Amélie (2001).mkv",  # non-ASCII: \u escapes in the store, UTF-8 in DuckDB
    "東京物語 (1953).mkv",
    "Emoji 🎬 Night (2020).mkv",  # a surrogate pair in the store's JSON
    'Quote " and back\\slash (1999).mkv',
    "Tab\tand newline\n (2001).mkv",
    "Apostrophe's 'quoted' (2002).mkv",
]


def _write(path: Path | bytes, seed: int) -> None:
    with open(path, "wb") as f:
        f.write(seed.to_bytes(8, "big") * 1024)


def test_staged_and_decoded_events_make_the_same_projection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    home = root / "home"
    storage = root / "library" / "storage"
    if not storage.is_dir():  # the demo's layout: the storage tree under DIR
        storage = next(p for p in root.rglob("storage") if p.is_dir())
    odd = storage / "Odd names"
    odd.mkdir()
    for i, name in enumerate(ODD_NAMES):
        _write(odd / name, 1000 + i)
    _write(os.fsencode(odd) + b"/Caf\xe9 latin-1 (1998).mkv", 2000)  # not UTF-8
    moved = odd / ODD_NAMES[0]
    env = {"VIDEOTHEQUE_HOME": str(home)}
    runner = CliRunner(env=env)
    first = runner.invoke(app, ["import", "--home", str(home)], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    moved.rename(odd / "Amélie renamed (2001).mkv")
    (odd / ODD_NAMES[1]).unlink()
    again = runner.invoke(app, ["import", "--home", str(home)], catch_exceptions=False)
    assert again.exit_code == 0, again.output

    library = open_library(None, home)
    try:
        states = library.recorder.select_notifications(start=1, limit=1_000_000)
        staged = sum(cut_payload(n.state) is not None for n in states)
        decoded = len(states) - staged
        # Most events take the SQL path, and the odd ones (non-UTF-8) the Python path.
        assert staged > len(states) // 2
        assert decoded >= 1
        assert any(
            decode(n.id, n.originator_id, n.originator_version, n.topic, n.state).in_sql
            for n in states
        )

        fast_db, slow_db = tmp_path / "staged.duckdb", tmp_path / "decoded.duckdb"
        Projector(fast_db, library.recorder).rebuild()
        monkeypatch.setattr(videotheque.projections.events, "cut_payload", lambda state: None)
        Projector(slow_db, library.recorder).rebuild()
    finally:
        library.close()

    fast, slow = dump(fast_db), dump(slow_db)
    assert set(fast) == set(slow)
    for table in slow:
        assert fast[table] == slow[table], table
    assert len(fast["events"]) == len(states)
    paths = {row[1] for row in fast["file_paths"]}
    assert "Odd names/Amélie renamed (2001).mkv" in paths
    assert "Odd names/" + ODD_NAMES[4] in paths


@pytest.mark.parametrize(
    "state",
    [
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"},'
        b'"originator_topic":"domain.x:X","path":"caf\\udce9.mkv"}',  # a lone surrogate
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"},'
        b'"when":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"}}',
        b'{"path":"a.mkv","timestamp":{"_type_":"datetime_iso","_data_":"x"}}',  # not first
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"},'
        b'"duration":NaN,"bitrate":-Infinity}',  # Python's json, not JSON
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"},'
        b'"originator_topic":"domain.x:X","path":"caf\xc3\xa9"}',  # not ASCII
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"}'
        b'"path":"a"}',  # not JSON
    ],
)
def test_unusual_states_are_decoded_not_cut(state: bytes) -> None:
    assert cut_payload(state) is None


def test_a_usual_state_is_cut_into_timestamp_and_payload() -> None:
    state = (
        b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"},'
        b'"originator_topic":"domain.media_file:MediaFile","path":"Am\\u00e9lie.mkv","size":1}'
    )
    assert cut_payload(state) == (
        "2026-01-01T00:00:00+00:00",
        '{"path":"Am\\u00e9lie.mkv","size":1}',
    )
    later = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"},"a":1}'
    assert cut_payload(later) == ("2026-01-01T00:00:00+00:00", '{"a":1}')
    bare = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-01T00:00:00+00:00"},'
    assert cut_payload(bare + b'"originator_topic":"domain.x:X"}')[1] == "{}"
    assert cut_payload(bare[:-1] + b"}")[1] == "{}"


def test_a_non_finite_float_is_projected_as_the_python_path_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python's json writes ``NaN`` (not JSON): such an event is decoded the long way, so
    its rows are the ones a replay that decodes everything makes."""
    from videotheque.domain.media_file import MediaFile

    (tmp_path / "home").mkdir()
    library = open_library(None, tmp_path / "home")
    try:
        odd = MediaFile(
            fingerprint="1:abc",
            algorithm="xxh3_128-3x64k-v1",
            size=1,
            path="Odd (2000).mkv",
            mtime=float("nan"),
            name={"kind": "movie", "title": "Odd", "year": 2000},
            parser="test",
            run_id="r1",
        )
        library.save(odd)
        fast_db, slow_db = tmp_path / "staged.duckdb", tmp_path / "decoded.duckdb"
        assert Projector(fast_db, library.recorder).catch_up().events == 1
        monkeypatch.setattr(videotheque.projections.events, "cut_payload", lambda state: None)
        Projector(slow_db, library.recorder).catch_up()
    finally:
        library.close()
    assert dump(fast_db) == dump(slow_db)
    assert [row[1] for row in dump(fast_db)["catalog_files"]] == ["Odd (2000).mkv"]
