"""Names that a terminal would act on are shown, never obeyed.

A library holds files whose names carry an OSC sequence that retitles the window, an ESC
sequence that clears the screen, a newline, a carriage return, a right-to-left override, a
C1 control (U+009B, a CSI on some terminals) and bytes that are not UTF-8; a provider's
titles carry ESC sequences too. Every command that prints them (tables, lines, error lines,
through CliRunner and through a real pseudo-terminal) shows them visibly: no control
character inside a line, the visible form instead. ``--json`` stays exact.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Lib
from tests.fakes.provider_server import FakeProviders

# Relative to storage, as bytes, and the visible form each must be shown in.
NAMES: dict[bytes, str] = {
    b"Films/Title\x1b]0;pwned\x07 (1999).mkv": "Title␛]0;pwned␇ (1999)",
    b"Films/Clear\x1b[2J (2000).mkv": "Clear␛[2J (2000)",
    b"Films/Two\nLines (2001).mkv": "Two␊Lines (2001)",
    b"Films/Carriage\rReturn (2002).mkv": "Carriage␍Return (2002)",
    b"Films/\xe2\x80\xaeevil (2003).mkv": "\\u202eevil (2003)",
    b"Films/csi\xc2\x9b31m (2004).mkv": "csi\\x9b31m (2004)",
    b"Films/caf\xe9 (2005).mkv": "caf\ufffd (2005)",
}
PLAIN = "Films/Dune.mkv"  # matched against the hostile provider titles below
CATALOGUE = {
    "films": [
        {"tmdb_id": 438631, "title": "Dune\x1b]0;pwned\x07", "original_title": "Dune",
         "year": 2021, "popularity": 150, "translations": {"en": "Dune\x1b]0;pwned\x07"},
         "alt_titles": []},
        {"tmdb_id": 841, "title": "Dune\x1b[2J\u202e", "original_title": "Dune", "year": 1984,
         "popularity": 35, "translations": {"en": "Dune\x1b[2J\u202e"}, "alt_titles": []},
    ],
}  # fmt: skip
# What a terminal acts on: C0 (a line break only between lines), DEL, C1, line and
# paragraph separators, bidi embeddings, overrides and isolates.
RAW = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
SGR = re.compile("\x1b\\[[0-9;]*m")  # Rich's own colours and bold, on a terminal only


def assert_shown_visibly(text: str) -> None:
    for line in text.split("\n"):
        found = RAW.search(line)
        assert found is None, f"raw {found.group()!r} in line {line!r}"


@pytest.fixture
def server() -> Iterator[FakeProviders]:
    with FakeProviders(CATALOGUE) as fake:
        yield fake


@pytest.fixture
def hostile(sqlite_lib: Lib, server: FakeProviders, monkeypatch: pytest.MonkeyPatch) -> Lib:
    lib = sqlite_lib
    monkeypatch.setenv("COLUMNS", "250")  # one table row a line: the forms stay whole
    for name in ("TMDB_API_KEY", "TMDB_READ_TOKEN", "TVDB_API_KEY", "TVDB_PIN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    with open(lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    for rel in NAMES:
        path = os.fsencode(lib.storage) + b"/" + rel
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(b"content of " + rel)
    lib.write(PLAIN)
    assert lib.cli("import").exit_code == 0
    assert lib.cli("enrich", "--provider", "tmdb").exit_code in (0, 1)
    # A broken link with a hostile name, for check and repair-links.
    lib.video.mkdir(parents=True, exist_ok=True)
    os.symlink(b"/nowhere/\x1b[2J.mkv", os.fsencode(lib.video) + b"/Broken\x1b]2;x\x07.mkv")
    return lib


def _out(result: object) -> str:
    return str(result.stdout) + str(getattr(result, "stderr", ""))  # type: ignore[attr-defined]


def test_every_command_shows_control_characters_visibly(hostile: Lib) -> None:
    lib = hostile
    shown_names = list(NAMES.values())
    outputs: dict[str, str] = {}
    for args in [
        ("catalog",),
        ("status",),
        ("runs",),
        ("pending",),
        ("check",),
        ("organize", "--dry-run"),
        ("repair-links", "--dry-run"),
        ("diff", "--from", "2000-01-01"),
        ("sql", "SELECT path, title FROM catalog_files ORDER BY path"),
        ("sql", "SELECT '\x1b]0;col\x07' AS \"h\x1b[2J\""),
        ("report", "--format", "md"),
        ("history", "Films/Title\x1b]0;pwned\x07 (1999).mkv"),
        ("repair-links", str(lib.root / "no\x1b]0;such\x07")),  # an error line
    ]:
        result = lib.cli(*args)
        text = _out(result)
        assert_shown_visibly(text)
        outputs[args[0] + (args[1] if args[0] == "sql" else "")] = text

    for name in shown_names:
        assert name in outputs["catalog"], name
        assert name in outputs["sqlSELECT path, title FROM catalog_files ORDER BY path"], name
        assert name in outputs["diff"], name
    assert "␛]0;col␇" in outputs["sqlSELECT '\x1b]0;col\x07' AS \"h\x1b[2J\""]
    assert "h␛[2J" in outputs["sqlSELECT '\x1b]0;col\x07' AS \"h\x1b[2J\""]
    assert "Title␛]0;pwned␇ (1999)" in outputs["history"]
    assert "Broken␛]2;x␇.mkv" in outputs["check"]
    assert "error: " in outputs["repair-links"] and "no␛]0;such␇" in outputs["repair-links"]
    # The provider's titles, as `pending` lists the candidates.
    assert "Dune␛]0;pwned␇" in outputs["pending"]
    assert "Dune␛[2J\\u202e" in outputs["pending"]
    assert "Title␛\\]0;pwned␇" in outputs["report"]  # Markdown escapes the bracket


def test_validate_and_enrich_show_provider_titles_visibly(hostile: Lib) -> None:
    result = hostile.cli("validate", PLAIN, "--choose", "2")
    assert result.exit_code == 0, _out(result)
    assert_shown_visibly(_out(result))
    assert "Dune␛[2J\\u202e" in _out(result)
    sql = hostile.cli("sql", "SELECT canonical_title FROM files WHERE path = 'Films/Dune.mkv'")
    assert_shown_visibly(_out(sql))
    assert "Dune␛[2J\\u202e" in sql.stdout
    # The event store and --json keep the exact title.
    rows = {r["path"]: r for r in hostile.json("catalog")}
    assert rows[PLAIN]["canonical_title"] == "Dune\x1b[2J\u202e"


def test_json_stays_exact_and_escapes_what_a_terminal_acts_on(hostile: Lib) -> None:
    for args in (("catalog", "--json"), ("sql", "SELECT path FROM catalog_files", "--format",
                                         "json")):  # fmt: skip
        result = hostile.cli(*args)
        assert_shown_visibly(result.stdout)  # \u001b, \u009b, \u202e: escapes, not characters
        paths = {r["path"] for r in json.loads(result.stdout)}
        for raw in NAMES:
            try:
                exact = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue  # a non-UTF-8 name: its display form (checked elsewhere)
            assert exact in paths, exact


def test_csv_to_a_pipe_is_exact(hostile: Lib) -> None:
    result = hostile.cli("sql", "SELECT path FROM catalog_files ORDER BY path", "--format", "csv")
    assert result.exit_code == 0
    import csv
    import io

    paths = [r[0] for r in csv.reader(io.StringIO(result.stdout))][1:]
    assert "Films/Title\x1b]0;pwned\x07 (1999).mkv" in paths
    assert "Films/Two\nLines (2001).mkv" in paths


def run_in_terminal(lib: Lib, *args: str) -> str:
    """The CLI in a subprocess whose stdout is a pseudo-terminal: the bytes a terminal
    would get (stderr is a pipe, so that the progress bars' own sequences stay out)."""
    master, slave = pty.openpty()
    env = dict(os.environ, COLUMNS="250", LINES="50", TERM="xterm-256color")
    proc = subprocess.Popen(
        [sys.executable, "-m", "videotheque", *args, "--home", str(lib.home)],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError(f"{args} gave no output for 60 s")
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not data:
            break
        chunks.append(data)
    _, err = proc.communicate(timeout=60)
    os.close(master)
    text = (b"".join(chunks) + err).decode("utf-8")  # strict: always valid UTF-8
    return SGR.sub("", text).replace("\r\n", "\n")  # the tty's own line ends


def test_a_terminal_gets_no_control_character_from_a_name(hostile: Lib) -> None:
    lib = hostile
    for args, expected in [
        (("catalog",), "Title␛]0;pwned␇ (1999)"),
        (("history", "Films/Clear\x1b[2J (2000).mkv"), "Clear␛[2J (2000)"),
        (("pending",), "Dune␛]0;pwned␇"),
        (("sql", "SELECT path FROM catalog_files", "--format", "csv"), "Two␊Lines (2001)"),
        (("organize", "--dry-run"), "storage/Films/Title␛]0;pwned␇ (1999).mkv"),
        (("check",), "Broken␛]2;x␇.mkv"),
    ]:
        text = run_in_terminal(lib, *args)
        assert_shown_visibly(text)
        assert expected in text, (args, text)


def test_error_lines_show_names_visibly(sqlite_lib: Lib, tmp_path: Path) -> None:
    bad = tmp_path / "x\x1b]0;pwned\x07\x9b"
    result = sqlite_lib.cli("repair-links", str(bad))
    assert result.exit_code != 0
    assert "videotheque: error: " in result.stderr
    assert_shown_visibly(result.stderr)
    assert "x␛]0;pwned␇\\x9b" in result.stderr
