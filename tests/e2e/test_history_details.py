"""`history` shows an event's details whole, or cut at a word boundary, never mid-word."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Lib
from videotheque.commands.cli.base import shorten

WORDS = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel"]


@pytest.fixture
def lib(sqlite_lib: Lib, monkeypatch: pytest.MonkeyPatch) -> Lib:
    monkeypatch.setenv("COLUMNS", "2000")  # one line a row: the cell reads as printed
    with open(sqlite_lib.home / "config.toml", "a", encoding="utf-8") as f:
        f.write("\n[media]\nanalyze_on_import = false\n")
    return sqlite_lib


def details(lib: Lib, path: str) -> str:
    result = lib.cli("history", path)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "Imported" in line]
    return rows[0].split("│")[5].strip()


def test_details_are_whole_when_they_fit(lib: Lib) -> None:
    path = "Films/A Long Film Title (2001).mkv"
    lib.write(path)
    assert lib.cli("import").exit_code == 0
    text = details(lib, path)
    # Cut at 80 characters before: the parsed name lost its year mid-way.
    assert '"title": "A Long Film Title", "year": 2001,' in text
    assert '"alternatives": []} parser=' in text


def test_long_details_are_cut_at_a_word_boundary(lib: Lib) -> None:
    title = " ".join(WORDS * 4)  # 32 words
    path = f"Films/{title} (2001).mkv"
    lib.write(path)
    assert lib.cli("import").exit_code == 0
    name = re.search(r"name=(\{.*?)(?: parser=|$)", details(lib, path))
    assert name is not None
    shown = name.group(1)
    assert shown.endswith("…")
    last = shown[:-1].split()[-1].strip('"')
    assert last in WORDS, shown  # a whole word before the ellipsis


@pytest.mark.parametrize("text", ["x" * 500, "word " * 100, "a/b/" * 100, "short"])
def test_shorten_never_cuts_a_word_it_could_keep_whole(text: str) -> None:
    out = shorten(text, 60)
    assert len(out) <= 60
    if len(text) <= 60:
        assert out == text
    else:
        assert out.endswith("…")
        kept = out[:-1]
        assert text.startswith(kept)
        boundary = text[len(kept)] in " ,;/" or kept[-1] in " ,;/"
        assert boundary or (" " not in text[:60] and "/" not in text[:60])
