"""commands/adapters/fastnames.py: wherever the fast path answers, its answer is the full parse's.

The guard runs both parsers over every labelled name the project has (the naming and
matching sets), guessit's own test suite read from the installed package, and a generated
library in the layouts Radarr, Sonarr and the media-server guides document. Coverage per set
is printed (``pytest -s``); the generated library must stay mostly covered, or the fast path
has silently stopped answering.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.name_sets import name_sets
from videotheque.commands.adapters import naming
from videotheque.commands.adapters.fastnames import parse_fast

GENERATED = 800


def test_wherever_the_fast_path_answers_it_equals_the_full_parse() -> None:
    coverage: dict[str, float] = {}
    differences: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for label, paths in name_sets(GENERATED).items():
        assert paths, label
        answered = 0
        for path in paths:
            fast = parse_fast(path)
            if fast is None:
                continue
            answered += 1
            full = naming._parse(path)  # the full parse, without the fast path
            if fast != full or list(fast) != list(full):
                differences.append((path, fast, full))
        coverage[label] = answered / len(paths)
        share = coverage[label]
        print(f"\n{label}: {len(paths)} names, fast path answers {answered} ({share:.1%})")
    assert differences == []
    # the documented layouts are what the fast path is for: it must answer most of them
    assert coverage["documented layouts"] >= 0.75, coverage


def test_parse_name_gives_the_fast_answer_with_every_key_of_the_full_parse() -> None:
    path = "Films/Heat (1995)/Heat (1995) Bluray-1080p.mkv"
    fast = parse_fast(path)
    assert fast is not None and tuple(fast) == naming.RESULT_KEYS
    assert naming.parse_name(path) == fast == naming._parse(path)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Films/Heat (1995)/Heat (1995) Bluray-1080p.mkv", ("movie", "Heat", 1995, None, [])),
        ("Movies/Avatar (2009)/Avatar (2009).mkv", ("movie", "Avatar", 2009, None, [])),
        ("Le Grand Bleu (1988).mkv", ("movie", "Le Grand Bleu", 1988, None, [])),
        (
            "Series/Breaking Bad (2008)/Season 01/"
            "Breaking Bad (2008) - S01E01 - Pilot WEBDL-1080p.mkv",
            ("episode", "Breaking Bad", 2008, 1, [1]),
        ),
        ("TV/Friends/Season 3/Friends - S03E24-E25.mkv", ("episode", "Friends", None, 3, [24, 25])),
        ("TV/Friends/Season 3/Friends - s03e01e02.mkv", ("episode", "Friends", None, 3, [1, 2])),
        (
            "TV/Friends/Season 3/Friends - S03E01-E03.mkv",
            ("episode", "Friends", None, 3, [1, 2, 3]),
        ),
        ("Shows/Dark (2017)/Season 01/Dark (2017) S01E04.mkv", ("episode", "Dark", 2017, 1, [4])),
        (
            "TV/Breaking Bad/Season 1/Breaking.Bad.S01E02.720p.HDTV.x264-KiNGS.mkv",
            ("episode", "Breaking Bad", None, 1, [2]),
        ),
        (
            "TV/Doctor Who (2005)/Specials/Doctor Who (2005) - S00E01 - The Next Doctor.mkv",
            ("episode", "Doctor Who", 2005, 0, [1]),
        ),
        (
            "the.wire.S02E03.720p.WEB-DL.x264-NTb.mkv",  # the name's case, as guessit keeps it
            ("episode", "the wire", None, 2, [3]),
        ),
    ],
)
def test_documented_layouts_are_answered(path: str, expected: tuple[Any, ...]) -> None:
    got = parse_fast(path)
    assert got is not None, path
    assert (got["kind"], got["title"], got["year"], got["season"], got["episodes"]) == expected
    assert got == naming._parse(path)


@pytest.mark.parametrize(
    "path",
    [
        "Movies/Blade Runner 2049 (2017)/Blade Runner 2049 (2017).mkv",  # a number in the title
        "Blade.Runner.2049.mkv",
        "Movies/Inception (2010)/Inception (2010)-trailer.mkv",  # an extra
        "Movies/Inception (2010)/Featurettes/Inception (2010).mkv",
        "Home videos/Birthday (2019).mkv",  # a personal video's folder
        "Series/Breaking Bad/S01E01 - Pilot.mkv",  # no season folder
        "TV/Friends/Season 3/Friends - S02E01.mkv",  # the name and its season folder disagree
        "Bones.S03E05.720p.HDTV.x264-SCENE.mkv",  # a group named like an extras suffix
        "The.French.Connection.S01E01.720p.HDTV.x264-NTb.mkv",  # a word guessit reads
        "Movies/Heat (1995)/heat.1995.1080p.mkv",  # the file does not repeat its folder
        "Films/Ame\u0301lie (2001)/Ame\u0301lie (2001).mkv",  # NFD (macOS): left to the decoder
        "Films/Heat (1995)/Heat (1995)\udce9.mkv",  # not UTF-8
        "TV/Kausi IV/Season 01/Kausi IV - S01E01.mkv",  # a season word (Finnish), a numeral
        "TV/Сезон IV/Season 01/Сезон IV - S01E01.mkv",  # one fold does not keep (Cyrillic)
    ],
)
def test_what_the_fast_path_leaves_to_the_full_parse(path: str) -> None:
    assert parse_fast(path) is None
