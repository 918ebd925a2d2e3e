"""Hostile sidecars, providers and queries.

- NFO files: malformed, billion laughs, external entities, huge, binary, deeply nested, or
  not files at all (a FIFO, a link to /dev/zero): ``enrich --provider nfo`` reads what it
  can, queues the rest with the reason, and never hangs or crashes.
- A provider answering HTML instead of JSON, 10 MB bodies, a body that never ends, one
  that trickles a byte at a time, redirect loops, empty or wrongly shaped JSON
  (tests/faults/hostile_server.py): each file is a recorded failure (or no match), the
  run ends in bounded time and memory, the key never shows, and the next run against a
  sane provider enriches everything.
- ``videotheque sql`` cannot write, attach, copy, read files or the environment, and says so.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Lib
from tests.fakes.provider_server import TMDB_KEY, FakeProviders
from tests.faults import harness
from tests.faults.hostile_server import HostileServer

# -- NFO sidecars -------------------------------------------------------------------------

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i else "&lol;" * 10}">' for i in range(9))
    + "]><movie><title>&lol8;</title></movie>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE movie [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<movie><title>&xxe;</title><uniqueid type="tmdb">1</uniqueid></movie>'
)
NFOS: dict[str, bytes] = {
    "malformed": b"<movie><title>Broken</movie><year>",
    "billion-laughs": LAUGHS.encode(),
    "external-entity": XXE.encode(),
    "huge": b"<movie><title>" + b"x" * (3 * 1024 * 1024) + b"</title></movie>",
    "binary": bytes(range(256)) * 64,
    "deep": b"<movie>" + b"<a>" * 50_000 + b"</a>" * 50_000 + b"</movie>",
    "utf16": '<movie><title>Été</title><uniqueid type="tmdb">77</uniqueid></movie>'.encode(
        "utf-16"  # with its byte-order mark, as Windows editors write it
    ),
    "good": b'<movie><title>Good</title><year>2001</year><uniqueid type="tmdb">42</uniqueid>'
    b"</movie>",
}


def _film(lib: Lib, name: str) -> Path:
    return lib.write(f"Films/{name} (2001)/{name}.2001.mkv")


def test_hostile_nfo_sidecars_are_refused_with_a_reason(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    for name, content in NFOS.items():
        _film(lib, name).with_suffix(".nfo").write_bytes(content)
    fifo_film = _film(lib, "fifo")
    os.mkfifo(fifo_film.parent / "movie.nfo")  # reading it would block for ever
    zero_film = _film(lib, "zero")
    (zero_film.parent / "movie.nfo").symlink_to("/dev/zero")  # endless
    dir_film = _film(lib, "folder")
    (dir_film.parent / "movie.nfo").mkdir()
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    assert lib.cli("import").exit_code == 0

    started = time.monotonic()
    result = lib.cli("enrich", "--provider", "nfo", "--json")
    assert time.monotonic() - started < 30
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["enriched"] == 2 and out["failed"] == 0, out  # good and utf16
    pending = {e["path"].split("/")[1].split(" (")[0]: e for e in lib.json("pending")}
    reasons = {k: " ".join(v["query"].get("notes") or []) for k, v in pending.items()}
    assert "entities" in reasons["billion-laughs"]
    assert "entities" in reasons["external-entity"] or "external" in reasons["external-entity"]
    assert "limit" in reasons["huge"]
    assert "not well-formed" in reasons["malformed"]
    assert "no id or title" in reasons["deep"]  # parsed (no recursion), nothing useful
    assert set(pending) == set(NFOS) - {"good", "utf16"}
    assert out["skipped"] == 3  # a FIFO, /dev/zero, a folder: no sidecar at all, never read
    history = lib.cli("sql", "SELECT CAST(payload AS VARCHAR) FROM events", "--format", "csv")
    assert "root:" not in history.stdout  # /etc/passwd was never read into an event


# -- providers gone wrong ---------------------------------------------------------------------

MODES = {
    "html": "malformed JSON",
    "empty": "malformed JSON",
    "huge-json": "over 8 MiB",
    "huge-garbage": "over 8 MiB",
    "endless": "over 8 MiB",
    "trickle": "no whole answer",
    "redirect-loop": "HTTP 302",
    "redirect-out": "HTTP 302",
}
CATALOGUE = {
    "films": [
        {"tmdb_id": 603, "title": "The Matrix", "original_title": "The Matrix", "year": 1999,
         "popularity": 85, "alt_titles": []},
        {"tmdb_id": 949, "title": "Heat", "original_title": "Heat", "year": 1995,
         "popularity": 30, "alt_titles": []},
    ]
}  # fmt: skip


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def films(sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch) -> Lib:
    for name in ("TMDB_API_KEY", "TMDB_READ_TOKEN", "TVDB_API_KEY", "TVDB_PIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TMDB_API_KEY", TMDB_KEY)
    lib = sqlite_lib
    lib.write("Films/The Matrix (1999)/The.Matrix.1999.mkv")
    lib.write("Films/Heat (1995)/Heat.1995.mkv")
    config = lib.home / "config.toml"
    text = config.read_text().replace("[enrich]\n", "[enrich]\nretries = 0\ntimeout = 1\n")
    config.write_text(text + "\n[media]\nanalyze_on_import = false\n")
    assert lib.cli("import").exit_code == 0
    return lib


@pytest.mark.parametrize("mode", list(MODES))
def test_a_provider_gone_wrong_is_a_recorded_failure_retried_next_run(
    films: Lib, hostile: HostileServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = films
    monkeypatch.setenv("VIDEOTHEQUE_TMDB_URL", hostile.url(mode))
    started = time.monotonic()
    result = lib.cli("enrich", "--provider", "tmdb", "--json")
    assert time.monotonic() - started < 20, "a hostile provider must not hold a run"
    assert result.exit_code == 1, result.output
    out = json.loads(result.stdout)
    assert out["failed"] == 2 and out["enriched"] == 0, out
    assert MODES[mode] in result.stderr, result.stderr
    assert TMDB_KEY not in result.output
    events = lib.cli("sql", "SELECT CAST(payload AS VARCHAR) FROM events", "--format", "csv")
    assert TMDB_KEY not in events.stdout

    with FakeProviders(CATALOGUE) as sane:
        monkeypatch.setenv("VIDEOTHEQUE_TMDB_URL", sane.tmdb_url)
        again = lib.json("enrich", "--provider", "tmdb")
    assert (again["enriched"], again["failed"]) == (2, 0), again


def test_wrongly_shaped_json_is_no_match_not_a_crash(
    films: Lib, hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIDEOTHEQUE_TMDB_URL", hostile.url("wrong-json"))
    result = films.cli("enrich", "--provider", "tmdb", "--json")
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    out = json.loads(result.stdout)
    assert out["enriched"] == 0 and out["no_match"] + out["failed"] == 2, out


# -- SQL ---------------------------------------------------------------------------------------

REFUSED = {
    "INSERT INTO runs (run_id) VALUES ('x')": "read-only",
    "UPDATE catalog_files SET title = 'x'": "read-only",
    "DELETE FROM events": "read-only",
    "DROP TABLE catalog_files": "read-only",
    "CREATE TABLE t (x INTEGER)": "read-only",
    "SELECT 1; DROP TABLE runs": "read-only",
    "ATTACH ':memory:' AS m": "read-only",
    "ATTACH '{tmp}/other.duckdb' AS other": "disabled",
    "COPY runs TO '{tmp}/runs.csv'": "disabled",
    "COPY runs FROM '{tmp}/runs.csv'": "disabled",
    "EXPORT DATABASE '{tmp}/export'": "disabled",
    "SELECT * FROM read_csv('/etc/passwd')": "disabled",
    "SELECT * FROM read_text('/etc/hostname')": "disabled",
    "SELECT * FROM read_blob('{home}/events.sqlite')": "disabled",
    "SELECT * FROM read_json_auto('{home}/config.toml')": "disabled",
    "SELECT * FROM glob('/*')": "disabled",
    "SELECT * FROM '/etc/passwd'": "does not exist",
    "INSTALL httpfs": "disabled",
    "LOAD httpfs": "disabled",
    "SET enable_external_access = true": "locked",
    "SET allowed_directories = ['/']": "locked",
    "SELECT getenv('TMDB_API_KEY')": "does not exist",
    "CREATE SECRET (TYPE s3, KEY_ID 'a', SECRET 'b')": "disabled",
}


def test_sql_cannot_write_attach_or_read_files_and_says_so(
    sqlite_lib: Lib, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = sqlite_lib
    monkeypatch.setenv("TMDB_API_KEY", TMDB_KEY)
    lib.write("Films/Film (2001)/Film.2001.mkv")
    assert lib.cli("import").exit_code == 0
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "runs.csv").write_text("run_id\nx\n")
    db = lib.home / "catalog.duckdb"
    before = harness.dump(db)
    for template, why in REFUSED.items():
        query = template.format(tmp=scratch, home=lib.home)
        result = lib.cli("sql", query)
        assert result.exit_code == 2, (query, result.output)
        assert result.stderr.startswith("videotheque: error: SQL: "), (query, result.stderr)
        assert why in result.stderr.lower() or why in result.stderr, (query, result.stderr)
        assert "Traceback" not in result.output and TMDB_KEY not in result.output
    assert sorted(p.name for p in scratch.iterdir()) == ["runs.csv"]  # nothing written
    assert harness.dump(db) == before
    ok = lib.cli("sql", "SELECT count(*) AS n FROM files", "--format", "json")
    assert ok.exit_code == 0 and json.loads(ok.stdout) == [{"n": 1}]
