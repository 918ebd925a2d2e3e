"""commands/naming.py: the interface, each folder-aware rule, and names that must not crash it."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import guessit
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from videotheque.commands import naming
from videotheque.commands.naming import (
    PARSER_NAME,
    PARSER_VERSION,
    RESULT_KEYS,
    parse_many,
    parse_name,
)


def parsed(path: str, **fields: Any) -> None:
    got = parse_name(path)
    assert {k: got[k] for k in fields} == fields, got


def assert_well_formed(result: dict[str, Any]) -> None:
    assert tuple(result) == RESULT_KEYS
    assert result["kind"] in ("movie", "episode", "extra")
    assert result["title"] is None or (isinstance(result["title"], str) and result["title"])
    for key in ("year", "season", "episode"):
        assert result[key] is None or type(result[key]) is int
    assert isinstance(result["episodes"], list)
    assert all(type(e) is int for e in result["episodes"])
    assert result["episode"] == (result["episodes"][0] if result["episodes"] else None)
    assert (result["extra"] is None) == (result["kind"] != "extra")
    # JSON-safe and storable as UTF-8: no lone surrogates, no guessit types
    json.dumps(result, ensure_ascii=False, allow_nan=False).encode("utf-8")


# --- interface ---------------------------------------------------------------------------------


def test_parser_name_and_version_name_guessit_and_our_rules() -> None:
    assert PARSER_NAME == "guessit"
    expected = f"{guessit.__version__}+{naming.RULES_VERSION}"
    assert expected == PARSER_VERSION
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?\S*\+vtq\d+", PARSER_VERSION)


def test_result_has_exactly_the_keys_and_plain_types() -> None:
    for path in (
        "Films/Inception (2010)/Inception (2010).mkv",
        "Series/Friends/Season 1/Friends.S01E01E02.mkv",
        "Movies/Avatar (2009)/Avatar (2009)-trailer.mkv",
    ):
        assert_well_formed(parse_name(path))


def test_guessit_user_config_in_home_or_cwd_is_never_read(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "guessit.options.json").write_text('{"type": "episode"}', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    # the trap is real: guessit alone picks the stray file up
    assert guessit.guessit("Inception (2010).mkv")["type"] == "episode"
    parsed("Films/Inception (2010)/Inception (2010).mkv", kind="movie", title="Inception")


# --- folder rules ------------------------------------------------------------------------------


def test_film_folder_carries_the_best_title_and_year() -> None:
    parsed(
        "Films/Le Fabuleux Destin d'Amélie Poulain (2001)/amelie.1080p.mkv",
        kind="movie",
        title="Le Fabuleux Destin d'Amélie Poulain",
        year=2001,
    )
    # even over a different-language file name
    parsed(
        "Films/Le Cinquième Élément (1997)/The.Fifth.Element.1997.1080p.BluRay.x264.mkv",
        title="Le Cinquième Élément",
        year=1997,
    )
    # ids in Plex/Jellyfin folder names are not part of the title
    parsed("Movies/Heat (1995) {imdb-tt0113277}/Heat.mkv", title="Heat", year=1995)


def test_plain_folder_gives_accents_when_it_names_the_same_film() -> None:
    parsed(
        "Films/Le Dîner de cons/Le.Diner.de.Cons.1998.FRENCH.mkv",
        title="Le Dîner de cons",
        year=1998,
    )


def test_collection_folder_does_not_replace_the_file_title() -> None:
    parsed(
        "Films/Collection Astérix/Astérix et Cléopâtre (1968).mkv",
        title="Astérix et Cléopâtre",
        year=1968,
    )
    parsed("Films/Kubrick/2001 A Space Odyssey (1968).mkv", title="2001 A Space Odyssey")


def test_scene_release_folder_gives_title_and_year() -> None:
    parsed(
        "Downloads/Inception.2010.1080p.BluRay.x264-SPARKS/sparks-inception-1080p.mkv",
        kind="movie",
        title="Inception",
        year=2010,
    )


@pytest.mark.parametrize(
    ("path", "season"),
    [
        ("Series/Les Revenants/Saison 1/Les.Revenants.E01.avi", 1),
        ("Series/Friends/Season 03/01 - The One with the Princess Leia Fantasy.mkv", 3),
        ("Series/Kaamelott/Livre 2/02 - Le Dialogue de Paix.mkv", 2),
        ("Series/Kaamelott/Livre IV/Kaamelott - 10.avi", 4),
        ("Series/Fargo/S02/Fargo - 05.mkv", 2),
        ("Series/Black Mirror/Series 3/Black Mirror - 01.mkv", 3),
        ("Series/The Simpsons/Specials/The Simpsons - 01.mkv", 0),
    ],
)
def test_season_folders_carry_the_season(path: str, season: int) -> None:
    parsed(path, kind="episode", season=season)


def test_series_folder_carries_the_show_title() -> None:
    parsed(
        "Series/Kaamelott/Livre 1/Kaamelott - 1x01 - Heat.mkv",
        kind="episode",
        title="Kaamelott",
        season=1,
        episode=1,
    )
    # an abbreviated file name
    parsed("Séries/Plus belle la vie/Saison 12/PBLV.S12E101.mkv", title="Plus belle la vie")
    # a show name guessit would mangle ("Trailer" taken for a marker)
    parsed(
        "TV/Trailer Park Boys/Season 1/Trailer Park Boys - S01E01.mkv",
        kind="episode",
        title="Trailer Park Boys",
    )
    # "Twin Peaks Season 2": one folder naming show and season
    parsed("TV/Twin Peaks/Twin Peaks Season 2/Twin.Peaks.S02E07.avi", title="Twin Peaks", season=2)


def test_livre_in_the_file_name_is_a_season() -> None:
    parsed(
        "Kaamelott - Livre III - 15 - La Pâte Feuilletée.avi",
        kind="episode",
        title="Kaamelott",
        season=3,
        episodes=[15],
    )


def test_french_title_dash_subtitle_stays_whole_for_films() -> None:
    parsed(
        "Films/Astérix et Obélix - Mission Cléopâtre (2002).mkv",
        kind="movie",
        title="Astérix et Obélix - Mission Cléopâtre",
        year=2002,
    )
    parsed(
        "Films/OSS 117 - Le Caire, nid d'espions (2006)/OSS.117.Le.Caire.2006.FRENCH.mkv",
        title="OSS 117 - Le Caire, nid d'espions",
    )
    # an edition after the dash is not part of the title
    parsed(
        "Films/Les Aventures de Rabbi Jacob - Version restaurée.mkv",
        title="Les Aventures de Rabbi Jacob",
    )
    # for episodes the part after the dash is the episode title, not the show's
    parsed(
        "Séries/Dix pour cent/Saison 1/Dix pour cent - S01E01 - Cécile.mkv", title="Dix pour cent"
    )


@pytest.mark.parametrize(
    ("path", "title", "year"),
    [
        ("Films/1917 (2019)/1917.mkv", "1917", 2019),
        ("Films/1917.mkv", "1917", None),
        ("Films/2012/2012.mkv", "2012", None),
        ("Films/2012 (2009)/2012.2009.720p.BluRay.mkv", "2012", 2009),
        ("Movies/2046 (2004)/2046.2004.mkv", "2046", 2004),
    ],
)
def test_titles_that_look_like_years(path: str, title: str, year: int | None) -> None:
    parsed(path, kind="movie", title=title, year=year)


def test_year_folder_grouping_films_is_not_a_title() -> None:
    parsed("Films/1995/Heat (1995).mkv", kind="movie", title="Heat", year=1995)


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("21/21.avi", "21"),  # no hint at all: the file named like its folder is the film
        ("Films/21/21.avi", "21"),
        ("Movies/9.mkv", "9"),  # Movies/ says film
        ("Films/9 (2009)/9.mkv", "9"),
        ("Movies/Blade Runner 2049.mkv", "Blade Runner 2049"),  # not S20E49
    ],
)
def test_titles_that_look_like_episode_numbers(path: str, title: str) -> None:
    parsed(path, kind="movie", title=title, season=None, episodes=[])


def test_number_inside_a_show_title_is_not_the_episode() -> None:
    parsed("Anime/Mob Psycho 100/Mob Psycho 100 - 03.mkv", title="Mob Psycho 100", episodes=[3])


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("Movies/Inception (2010)/Sample/inception-sample.mkv", "sample"),
        ("Movies/Inception (2010)/inception.2010.sample.mkv", "sample"),
        ("Movies/Inception (2010)/sample-inception.mkv", "sample"),
        ("Movies/Inception (2010)/Inception (2010) - Trailer.mkv", "trailer"),
        ("Movies/Inception (2010)/Inception (2010)-trailer.mkv", "trailer"),
        ("Movies/Inception (2010)/Trailers/Teaser 2.mkv", "trailer"),
        ("Movies/Inception (2010)/Bande-annonce.mkv", "trailer"),
        ("Movies/Inception (2010)/Featurettes/Making of.mkv", "featurette"),
        ("Movies/Inception (2010)/Inception (2010)-featurette.mkv", "featurette"),
        ("Movies/Inception (2010)/Behind The Scenes/Dreams.mkv", "behindthescenes"),
        ("Movies/Inception (2010)/Deleted Scenes/Scene 1.mkv", "deleted"),
        ("Films/Intouchables (2011)/Scènes coupées/Scene 1.mkv", "deleted"),
        ("Films/La Haine (1995)/Bonus/Entretien.avi", "extra"),
        ("Movies/Inception (2010)/Extras/Visual Effects.mkv", "extra"),
        ("Movies/Dune (2021)/Dune (2021)-short.mkv", "short"),
    ],
)
def test_extras_by_folder_or_suffix_belong_to_their_film(path: str, extra: str) -> None:
    parsed(path, kind="extra", extra=extra)
    title = parse_name(path)["title"]
    assert title in ("Inception", "Intouchables", "La Haine", "Dune")


def test_episode_sample_keeps_its_show_season_and_episode() -> None:
    parsed(
        "TV/Breaking Bad/Season 01/Sample/breaking.bad.s01e01.sample.mkv",
        kind="extra",
        extra="sample",
        title="Breaking Bad",
        season=1,
        episodes=[1],
    )


@pytest.mark.parametrize(
    "path",
    [
        "Downloads/Les Visiteurs (1993).avi",
        "storage/Films/Les Visiteurs (1993).avi",
        "Séries/Films/Movies/TV/Les Visiteurs (1993).avi",
        "Media/Vidéos/Téléchargements/Les Visiteurs (1993).avi",
        "Les Visiteurs (1993)/BDMV/STREAM/00000.m2ts",
    ],
)
def test_junk_folders_are_never_titles(path: str) -> None:
    parsed(path, kind="movie", title="Les Visiteurs", year=1993)


@pytest.mark.parametrize(
    ("path", "season", "episodes"),
    [
        ("TV/Breaking Bad/Season 01/Breaking.Bad.S01E01E02.720p.mkv", 1, [1, 2]),
        ("TV/Game of Thrones/Season 08/Game.of.Thrones.S08E01-E03.mkv", 8, [1, 2, 3]),
        ("TV/Friends/Season 1/Friends.1x01-02.mkv", 1, [1, 2]),
        ("Séries/Les Revenants/Saison 2/Les Revenants - 2x07-2x08.mkv", 2, [7, 8]),
    ],
)
def test_multi_episode_files(path: str, season: int, episodes: list[int]) -> None:
    parsed(path, kind="episode", season=season, episode=episodes[0], episodes=episodes)


@pytest.mark.parametrize(
    ("path", "title", "episode"),
    [
        ("Anime/Naruto Shippuden/Naruto Shippuden - 001.mkv", "Naruto Shippuden", 1),
        ("Anime/Bleach/Bleach - 101.mkv", "Bleach", 101),
        ("[Erai-raws] Bleach - 366 [1080p].mkv", "Bleach", 366),
        ("Anime/One Piece/One Piece - 1015 [1080p].mkv", "One Piece", 1015),
        ("Anime/Hunter x Hunter (2011)/Hunter x Hunter (2011) - 148.mkv", "Hunter x Hunter", 148),
    ],
)
def test_anime_absolute_numbering_has_no_season(path: str, title: str, episode: int) -> None:
    parsed(path, kind="episode", title=title, season=None, episodes=[episode])


def test_three_digit_episode_in_a_season_folder_is_season_and_episode() -> None:
    parsed("TV/The Office/Season 1/the.office.us.101.hdtv.xvid.avi", season=1, episodes=[1])


def test_title_words_guessit_drops_are_put_back() -> None:
    parsed("Downloads/Dune.Part.Two.2024.2160p.WEB-DL.mkv", title="Dune Part Two", year=2024)
    parsed("Lawrence.of.Arabia.1962.Part1.mkv", title="Lawrence of Arabia")  # a file split
    parsed("Downloads/the.last.of.us.s01e03.1080p.web.h264-cakes.mkv", title="The Last Of Us")


def test_a_backslash_is_part_of_a_posix_name() -> None:
    # guessit alone would read "Yes" as a folder and "No (2010)" as the film
    parsed("Films/Yes\\No (2010).mkv", title="Yes No", year=2010)


def test_lowercase_scene_titles_are_capitalised() -> None:
    parsed("Downloads/mad.men.s07e14.720p.hdtv.x264-killers.mkv", title="Mad Men")


# --- names that must not crash it ----------------------------------------------------------------


def test_non_utf8_names_get_a_readable_title() -> None:
    latin1 = os.fsdecode(b"Films/Am\xe9lie (2001)/am\xe9lie.mkv")
    assert "\udce9" in latin1  # what os.fsdecode gives the importer
    result = parse_name(latin1)
    assert_well_formed(result)
    assert result["title"] == "Amélie"
    assert result["year"] == 2001


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        ".",
        "..",
        "....",
        "....mkv",
        ".mkv",
        "mkv",
        "Films/.mkv",
        "Films/ - .mkv",
        "Films/[].mkv",
        "Films/()()().avi",
        "a" * 250 + ".mkv",
        "Films/" + "Le Grand Bleu " * 18 + "(1988).mkv",
        ".".join(["S01E01"] * 40) + ".mkv",
        "Films/Le\nGrand\nBleu (1988).mkv",
        "Films/Le Grand Bleu\r\n(1988)\t.mkv",
        "Films/nul\x00byte.mkv",
        "Films/🎬 Le Grand Bleu (1988) 🐬.mkv",
        "Séries/" + "/".join(["Saison 1"] * 60) + "/E01.mkv",
        "Films\\Windows\\Le Grand Bleu (1988).mkv",
        "\ud800lone high surrogate.mkv",
        os.fsdecode(b"\xff\xfe\xfd/\x80\x81.mkv"),
        os.fsdecode(b"S\xe9ries/Caf\xe9/Saison 1/Caf\xe9 - 01.avi"),
        "Films/Amélie (2001)/Ame\u0301lie.mkv",  # NFD, as rsync from macOS leaves it
        "Series/Season 99999999999999999999/E99999999999999999999.mkv",
        "Films/Livre MMMMMMMMMMMMM/x.mkv",
        "sample",
        "Sample/sample/Sample.mkv",
    ],
)
def test_absurd_names_do_not_crash(path: str) -> None:
    assert_well_formed(naming._parse(path))  # the strict version: no fallback hides a bug
    assert_well_formed(parse_name(path))


def test_names_with_no_title_and_absurd_numbers() -> None:
    parsed("Films/....mkv", kind="movie", title=None)
    parsed("Series/Show/Season 1/Show.S01E2147483648.mkv", kind="episode", episodes=[])
    parsed("Films/Heat.9999.mkv", year=None)


def test_newlines_do_not_reach_the_title() -> None:
    parsed("Films/Le\nGrand\nBleu (1988).mkv", title="Le Grand Bleu", year=1988)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(st.lists(st.binary(min_size=0, max_size=40), min_size=1, max_size=5))
def test_any_bytes_path_gives_a_well_formed_result(components: list[bytes]) -> None:
    path = os.fsdecode(b"/".join(components))
    assert_well_formed(naming._parse(path))


# --- parse_many --------------------------------------------------------------------------------


def _library(n: int) -> list[str]:
    shows = ["Kaamelott", "Breaking Bad", "Les Revenants", "Friends"]
    films = ["Amour (2012)", "Heat (1995)", "La Haine (1995)", "1917 (2019)"]
    paths = []
    for i in range(n):
        if i % 2:
            show = shows[i % len(shows)]
            paths.append(
                f"Series/{show}/Saison {i % 5 + 1}/{show} - S0{i % 5 + 1}E{i % 23 + 1:02d}.mkv"
            )
        else:
            paths.append(f"Films/{films[i % len(films)]}/{films[i % len(films)]} - CD{i % 3}.mkv")
    return paths


def test_parse_many_keeps_the_order_and_the_results_of_parse_name_over_a_real_pool() -> None:
    paths = _library(naming.POOL_THRESHOLD + 36)
    assert parse_many(paths, workers=2) == [parse_name(p) for p in paths]


def test_parse_many_small_input_and_single_worker_stay_in_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_pool(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a process pool was started")

    monkeypatch.setattr(naming, "worker_pool", no_pool)
    small = _library(naming.POOL_THRESHOLD - 1)
    assert parse_many(small) == [parse_name(p) for p in small]
    big = _library(naming.POOL_THRESHOLD)
    assert parse_many(big, workers=1) == [parse_name(p) for p in big]
    assert parse_many([]) == []


def test_parse_many_falls_back_in_process_when_the_pool_cannot_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no /dev/shm")

    monkeypatch.setattr(naming, "worker_pool", broken)
    paths = _library(naming.POOL_THRESHOLD)
    assert parse_many(paths, workers=4) == [parse_name(p) for p in paths]
