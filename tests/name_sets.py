"""Every name the project can check its parsers on: its labelled sets, guessit's own suite
(read from the installed package, nothing copied) and generated documented layouts."""

from __future__ import annotations

import json
from pathlib import Path

import guessit

from tests.benchmarks.treegen import documented_names

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def guessit_suite(name: str) -> list[str]:
    """The names of one of guessit's yml suites (``? name`` lines), from the installed package."""
    text = (Path(guessit.__file__).parent / "test" / name).read_text(encoding="utf-8")
    return [
        line[2:].strip()
        for line in text.splitlines()
        if line.startswith("? ") and line[2:].strip() != "__default__"
    ]


# Names near the edges of the fast path's shapes: words guessit reads, odd episode ranges,
# years at the limits of what guessit takes for a year, release groups that are words.
EDGES = [
    "Spider-Man (2002).mkv", "Movies/X-Men (2000).mkv", "Movies/Rock & Roll (2010).mkv",
    "Movies/Hello, Dolly! (1969).mkv", "Movies/Ocean's Eleven (2001).mkv", "Airplane! (1980).mkv",
    "Movies/Mission Impossible - Fallout (2018)/Mission Impossible - Fallout (2018) DVD.mkv",
    "Movies/Star Wars - A New Hope (1977).mkv", "Paris, Texas (1984).mkv", "Proof (2005).mkv",
    "It (2017).mkv", "Us (2019).mkv", "Up (2009).mkv", "Films/No (2012)/No (2012).mkv",
    "TV/Lost/Season 1/Lost - S01E01 - Pilot, Part One.mkv",
    "TV/Lost/Season 1/Lost - S01E01 - Exodus - Part Two HDTV-720p.mkv",
    "TV/Lost/Season 1/Lost - S01E01 - Extended Cut.mkv",
    "TV/Lost/Season 1/Lost - S01E01 - French Lesson.mkv",
    "TV/Lost/Season 1/Lost - S01E01 - The Other Side.mkv",
    "TV/Lost/Season 1/Lost - S01E01 - Sample.mkv", "TV/Lost/Season 1/Lost - S01E01 - Dvd.mkv",
    "TV/Lost/Season 1/Lost - S01E99-E101.mkv", "TV/Lost/Season 1/Lost - S01E01E02E03.mkv",
    "TV/Lost/Season 1/Lost - S01E01-E02-E03.mkv", "TV/Lost/Season 1/Lost - S01E01-03.mkv",
    "TV/Lost/Season 1/Lost - S01E010.mkv", "TV/Lost/Season 10/Lost - S10E01.mkv",
    "TV/lost/Season 1/Lost - S01E01.mkv", "TV/Lost/Season 1/LOST.S01E01.720p.HDTV.x264.mkv",
    "LOST.S01E01.720p.HDTV.x264-DIMENSION.mkv", "How.I.Met.Your.Mother.S01E01.720p.HDTV.mkv",
    "Vikings.S01E01.720p.HDTV.x264-2HD.mkv", "Series/Lost.S01E01.720p.HDTV.x264-Proper.mkv",
    "Series/Lost.S01E01.720p.HDTV.x264-FRENCH.mkv", "Series/Lost.S01E01.720p.HDTV.x264-DL.mkv",
    "TV/Law & Order/Season 1/Law & Order - S01E01.mkv", "TV/It/Season 1/It - S01E01.mkv",
    "TV/Doctor Who (2005)/Specials/Doctor Who (2005) - S00E01 - The Christmas Invasion.mkv",
    "TV/Doctor Who/Specials/Doctor Who - S01E01.mkv", "TV/Lost/Specials/Lost.S00E02.HDTV.x264.mkv",
    *(f"Films/Heat ({y}) Bluray-1080p.mkv" for y in (1899, 1900, 1909, 1910, 2030, 2034, 2035)),
    *(f"Films/Heat ({y})/Heat ({y}).mkv" for y in (1869, 1870, 2099)),
]  # fmt: skip


def name_sets(generated: int = 800) -> dict[str, list[str]]:
    naming_set = json.loads((FIXTURES / "naming_set.json").read_text(encoding="utf-8"))
    matching_set = json.loads((FIXTURES / "matching_set.json").read_text(encoding="utf-8"))
    return {
        "naming_set": [c["path"] for c in naming_set["cases"]],
        "matching_set": [c["path"] for c in matching_set["cases"]],
        "guessit movies.yml": guessit_suite("movies.yml"),
        "guessit episodes.yml": guessit_suite("episodes.yml"),
        "documented layouts": documented_names(generated, seed=7),
        "edge cases": EDGES,
    }
