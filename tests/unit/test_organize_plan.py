"""Where organize puts links: templates, safe names, files that want the same name."""

from __future__ import annotations

import pytest

from videotheque.domain.organize_plan import (
    DEFAULT_TEMPLATES,
    Placeable,
    TemplateError,
    Unplaced,
    check_template,
    desired_link,
    doubt,
    place,
    safe_component,
    safe_value,
)


def movie(
    title: str | None, year: int | None, path: str = "in/file.mkv", fid: str = "f"
) -> Placeable:
    return Placeable(fid, path, "movie", title, year)


def test_default_film_and_episode_paths() -> None:
    assert desired_link(movie("Amélie", 2001), DEFAULT_TEMPLATES) == (
        "Films/Amélie (2001)/Amélie (2001).mkv"
    )
    ep = Placeable("e", "s/x.mp4", "episode", "Kaamelott", 2005, 1, 2, (2,))
    assert desired_link(ep, DEFAULT_TEMPLATES) == (
        "Series/Kaamelott (2005)/Season 01/Kaamelott - S01E02.mp4"
    )


def test_double_episode_and_missing_year() -> None:
    ep = Placeable("e", "s/x.mkv", "episode", "Show", None, 2, 7, (7, 8))
    assert desired_link(ep, DEFAULT_TEMPLATES) == "Series/Show/Season 02/Show - S02E07-E08.mkv"
    assert desired_link(movie("Nine", None), DEFAULT_TEMPLATES) == "Films/Nine/Nine.mkv"


def test_titles_become_safe_file_names() -> None:
    assert safe_value('AC/DC: Live? "Now" <x>|y') == "AC-DC - Live 'Now' x-y"
    got = desired_link(movie("Mission: Impossible / Fallout", 2018), DEFAULT_TEMPLATES)
    assert got == (
        "Films/Mission - Impossible - Fallout (2018)/Mission - Impossible - Fallout (2018).mkv"
    )
    assert safe_component("...hidden. ") == "hidden"
    long = safe_component("é" * 300 + ".mkv", ".mkv")
    assert long.endswith(".mkv") and len(long.encode()) <= 255


def test_files_without_a_place_say_why() -> None:
    extra = Placeable("x", "a/trailer.mkv", "extra", "Film", 2001)
    no_season = Placeable("e", "a/e.mkv", "episode", "Show", None, None, 3)
    for f, why in ((extra, "not a film"), (no_season, "season"), (movie(None, 2001), "title")):
        got = desired_link(f, DEFAULT_TEMPLATES)
        assert isinstance(got, Unplaced) and why in got.reason


def test_custom_templates_and_bad_ones() -> None:
    t = {"movie": "Movies/{title} [{year}]{ext}", "episode": DEFAULT_TEMPLATES["episode"]}
    assert desired_link(movie("Heat", 1995), t) == "Movies/Heat [1995].mkv"
    assert desired_link(movie("Heat", None), t) == "Movies/Heat.mkv"
    for bad in ("/abs/{title}{ext}", "Films/{nope}{ext}", "{title:d}{ext}", "Films/../{ext}"):
        with pytest.raises(TemplateError):
            check_template("movie", bad)


def test_two_versions_of_a_film_get_distinct_names_and_the_current_one_keeps_its_name() -> None:
    a = movie("Heat", 1995, "a/heat.1080p.mkv", "fa")
    b = movie("Heat", 1995, "b/heat.720p.mkv", "fb")
    placed, _ = place([a, b], DEFAULT_TEMPLATES)
    assert {p.file_id: p.link for p in placed} == {
        "fa": "Films/Heat (1995)/Heat (1995).mkv",
        "fb": "Films/Heat (1995)/Heat (1995) - 2.mkv",
    }
    placed, _ = place([a, b], DEFAULT_TEMPLATES, {"Films/Heat (1995)/Heat (1995).mkv": b.path})
    assert {p.file_id: p.link for p in placed}["fb"] == "Films/Heat (1995)/Heat (1995).mkv"


def episode(path: str, title: str = "Kaamelott", **kw: object) -> Placeable:
    return Placeable("e", path, "episode", title, None, 1, 2, (2,), **kw)  # type: ignore[arg-type]


def test_only_confident_identities_are_placed() -> None:
    confident = [
        movie("Heat", 1995),  # a title and a year
        Placeable("d", "Films/Dune.mkv", "movie", "Dune", 1984, matched=True),  # validated
        episode("Series/Kaamelott/Livre 1/k.mkv"),  # a season folder under the show's
        episode("Series/Kaamelott (2005)/Season 01/e02.mkv"),
        episode("TV/Kaamelott.S01E02.mkv"),  # "Show ... S01E02"
        episode("TV/Kaamelott - 1x02.mkv"),
        episode("x/y.mkv", layout=True),  # the fast path read it as catalogued
    ]  # fmt: skip
    for f in confident:
        assert doubt(f) is None, f
    doubtful = [
        (movie("Movie", None, "Downloads/movie.mkv"), "no year and not matched"),
        (Placeable("b", "Blade.Runner.2049.mkv", "movie", "Blade Runner", 2049,
                   alternatives=({"title": "Blade Runner 2049", "year": None},)),
         "ambiguous title (2 readings) and not matched"),
        (episode("Series/Breaking Bad/S01E01 - Pilot.mkv", "Pilot"),
         "episode outside a show or season layout and not matched"),
        (episode("Series/Other Show/Season 1/e.mkv"),
         "episode outside a show or season layout and not matched"),
        (Placeable("x", "Films/Heat (1995)/Heat-trailer.mkv", "extra", "Heat", 1995,
                   extra="trailer", matched=True), "extra (trailer)"),
        (Placeable("o", "Home videos/IMG_1234.mp4", "other", "IMG 1234", None, matched=True),
         "kind other"),
    ]  # fmt: skip
    for f, why in doubtful:
        assert doubt(f) == why, f
    placed, unplaced = place([*confident, *(f for f, _ in doubtful)], DEFAULT_TEMPLATES)
    assert len(placed) == len(confident)
    assert sorted(u.reason for u in unplaced) == sorted(why for _, why in doubtful)
