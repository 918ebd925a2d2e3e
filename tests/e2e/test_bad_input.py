"""Bad input from a user: a clear message and the exit code of the table, never a
traceback (CliRunner with catch_exceptions=False raises on one)."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import Lib

HEAT = "Films/Heat (1995)/Heat (1995).mkv"


@pytest.mark.parametrize(
    "moment", ["0001-01-01", "0001-01-01T00:00", "99999999d", "9" * 30 + "w", "9999-12-31"]
)
def test_as_of_out_of_range_is_a_usage_error(sqlite_lib: Lib, moment: str) -> None:
    result = sqlite_lib.cli("catalog", "--as-of", moment)
    assert result.exit_code == 2, result.output
    assert "--as-of" in result.stderr and "out of range" in result.stderr


def test_a_moment_in_range_still_works(sqlite_lib: Lib) -> None:
    assert sqlite_lib.cli("catalog", "--as-of", "1970-01-02", "--json").stdout.strip() == "[]"


@pytest.mark.parametrize("query", ["", "   ", ";", " ; ; ", "/* nothing */", "\n-- nothing"])
def test_an_empty_query_is_a_usage_error(sqlite_lib: Lib, query: str) -> None:
    result = sqlite_lib.cli("sql", query)
    assert result.exit_code == 2, result.output
    assert "SQL" in result.stderr


@pytest.mark.parametrize("workers", ["100000", "65", "0"])
def test_analyze_workers_out_of_bounds_is_refused(sqlite_lib: Lib, workers: str) -> None:
    result = sqlite_lib.cli("analyze", "--workers", workers)
    assert result.exit_code == 2
    assert "--workers" in result.stderr


def test_analyze_timeout_nan_is_refused(sqlite_lib: Lib) -> None:
    assert sqlite_lib.cli("analyze", "--timeout", "nan").exit_code == 2


@pytest.mark.parametrize(
    "rate", ["tmdb=nan", "tmdb=inf", "tmdb=1e-300", "tmdb=-1", "tmdb=0", "tvdb=1e9", "tmdb="]
)
def test_enrich_rate_must_be_a_real_rate(sqlite_lib: Lib, rate: str) -> None:
    result = sqlite_lib.cli("enrich", "--provider", "nfo", "--rate", rate)
    assert result.exit_code == 2, result.output
    assert "--rate" in result.stderr


def test_import_min_age_nan_is_refused(sqlite_lib: Lib) -> None:
    assert sqlite_lib.cli("import", "--min-age", "nan").exit_code == 2


@pytest.mark.parametrize("command", [["repair-links"], ["organize"]])
@pytest.mark.parametrize(
    "content",
    [
        b'{"link": "caf\xe9"}\n',  # a byte that is not UTF-8
        b"\xff\xfe\x00garbage",
        b'not json\n{"also": "not an op"}\n',  # damaged before the last line
    ],
)
def test_a_corrupt_journal_is_set_aside_and_link_commands_carry_on(
    sqlite_lib: Lib, command: list[str], content: bytes
) -> None:
    lib = sqlite_lib
    lib.write("Films/Heat.1995.mkv")
    assert lib.cli("import").exit_code == 0
    journal = lib.home / "journal" / "links-0123.jsonl"
    journal.parent.mkdir()
    journal.write_bytes(content)
    result = lib.cli(*command)
    assert result.exit_code == 0, result.output
    assert "corrupt" in result.stderr and "links-0123.jsonl.corrupt" in result.stderr
    assert not journal.exists()
    kept = journal.with_name("links-0123.jsonl.corrupt")
    assert kept.read_bytes() == content  # never deleted, never changed
    again = lib.cli(*command)
    assert again.exit_code == 0 and "corrupt" not in again.stderr
    if command == ["organize"]:
        assert os.path.islink(lib.video / HEAT)


def test_a_journal_cut_on_its_last_line_is_not_corrupt(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    journal = lib.home / "journal" / "links-0456.jsonl"
    journal.parent.mkdir()
    journal.write_bytes(b'{"kind": "create", "li')  # the kill came while it was written
    result = lib.cli("repair-links", "--json")
    assert result.exit_code == 0, result.output
    assert "corrupt" not in result.stderr
    assert not journal.exists() and not journal.with_name(journal.name + ".corrupt").exists()
    assert json.loads(result.stdout)["run_id"]


@pytest.mark.parametrize("url", ["http://[::1", "http://h:99999/", "http://:80/", "ftp://h/"])
@pytest.mark.parametrize("provider", ["tmdb", "tvdb"])
def test_a_malformed_provider_url_is_a_usage_error(
    sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch, url: str, provider: str
) -> None:
    sqlite_lib.write("Films/Heat.1995.mkv")
    assert sqlite_lib.cli("import").exit_code == 0
    monkeypatch.setenv("TMDB_API_KEY", "k" * 16)
    monkeypatch.setenv("TVDB_API_KEY", "k" * 16)
    monkeypatch.setenv(f"VIDEOTHEQUE_{provider.upper()}_URL", url)
    result = sqlite_lib.cli("enrich", "--provider", provider)
    assert result.exit_code == 2, result.output
    assert "base URL" in result.stderr


@pytest.mark.parametrize("blank", ["", " ", "\t"])
@pytest.mark.parametrize(
    "command",
    [
        ["catalog", "--as-of"],
        ["report", "--since"],
        ["report", "--until"],
        ["diff", "--from"],
        ["diff", "--from", "2020-01-01", "--to"],
    ],
)
def test_an_empty_moment_is_a_usage_error_not_now(
    sqlite_lib: Lib, command: list[str], blank: str
) -> None:
    # `--as-of "$DAY"` with DAY unset: today's catalog shown as that day's would be a lie.
    sqlite_lib.write("Films/Heat.1995.mkv")
    assert sqlite_lib.cli("import").exit_code == 0
    result = sqlite_lib.cli(*command, blank)
    assert result.exit_code == 2, result.output
    assert f"{command[-1]} {blank!r} is empty" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
