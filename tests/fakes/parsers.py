"""Stand-in name parsers for tests and benchmarks that measure something else than names,
and for the use-case tests (``tests/usecases``), which give each file the name they need.

Importing this module changes nothing: a driver that wants the import to use one patches
``videotheque.commands.adapters.naming.default_parser`` itself (in its own process).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

Parser = Callable[[list[str]], list[dict[str, Any]]]


def parse_trivially(paths: list[str]) -> list[dict[str, Any]]:
    """Every file a film titled after its file name (guessit's cost left out)."""
    return [
        {"kind": "movie", "title": os.path.splitext(os.path.basename(p))[0], "year": None}
        for p in paths
    ]


def movie(title: str, year: int | None = None) -> dict[str, Any]:
    """A parsed film, as ``adapters.naming`` gives it."""
    return _name("movie", title, year)


def episode(title: str, season: int, number: int, year: int | None = None) -> dict[str, Any]:
    return {**_name("episode", title, year), "season": season, "episode": number,
            "episodes": [number], "seasons": [season]}  # fmt: skip


def home_video(title: str) -> dict[str, Any]:
    """A dated clip or a home video: no title a provider could know."""
    return _name("other", title, None)


def _name(kind: str, title: str, year: int | None) -> dict[str, Any]:
    return {"kind": kind, "title": title, "year": year, "season": None, "episode": None,
            "episodes": [], "extra": None, "seasons": [], "alternatives": []}  # fmt: skip


def parse_from(names: dict[str, dict[str, Any]]) -> Parser:
    """A parser answering from a table, path -> name, that the test writes (paths relative
    to the storage root, or to the video root for ``repair``); any other path is read as
    ``parse_trivially`` reads it. ``parse_from.asked`` lists the paths it was given."""
    asked: list[str] = []

    def parse(paths: list[str]) -> list[dict[str, Any]]:
        asked.extend(paths)
        trivial = parse_trivially(paths)
        return [dict(names[p]) if p in names else t for p, t in zip(paths, trivial, strict=True)]

    parse.asked = asked  # type: ignore[attr-defined]
    return parse
