"""commands/adapters/naming.py: the interface, each folder-aware rule, and names that must not
crash it."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import guessit
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from videotheque.commands.adapters import naming
from videotheque.commands.adapters.naming import (
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
    assert result["kind"] in naming.KINDS
    assert result["title"] is None or (isinstance(result["title"], str) and result["title"])
    for key in ("year", "season", "episode"):
        assert result[key] is None or type(result[key]) is int
    assert isinstance(result["episodes"], list)
    assert all(type(e) is int for e in result["episodes"])
    assert result["episode"] == (result["episodes"][0] if result["episodes"] else None)
    assert (result["extra"] is None) == (result["kind"] != "extra")
    assert all(type(s) is int for s in result["seasons"])
    assert result["season"] == (result["seasons"][0] if result["seasons"] else None)
    for alternative in result["alternatives"]:
        assert set(alternative) == {"kind", "title", "year"}
    # JSON-safe and storable as UTF-8: no lone surrogates, no guessit types
    json.dumps(result, ensure_ascii=False, allow_nan=False).encode("utf-8")


# --- interface ---------------------------------------------------------------------------------


def test_parser_name_and_version_name_guessit_and_our_rules() -> None:
    assert PARSER_NAME == "guessit"
    expected = f"{guessit.__version__}+{naming.RULES_VERSION}+{naming.FAST_VERSION}"
    assert expected == PARSER_VERSION
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?\S*\+vtq\d+\+fast\d+", PARSER_VERSION)


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
    parsed("Downloads/the.last.of.us.s01e03.1080p.web.h264-cakes.mkv", title="the last of us")


def test_a_backslash_is_part_of_a_posix_name() -> None:
    # guessit alone would read "Yes" as a folder and "No (2010)" as the film
    parsed("Films/Yes\\No (2010).mkv", title="Yes No", year=2010)


def test_titles_keep_the_case_of_the_name_as_guessit_reads_it() -> None:
    # the provider's title replaces it once matched; guessit's own suite expects the case kept
    parsed("Downloads/mad.men.s07e14.720p.hdtv.x264-killers.mkv", title="mad men")
    shield = "Marvels.Agents.of.S.H.I.E.L.D.S01E06.720p.HDTV.X264-DIMENSION.mkv"
    parsed(shield, title="Marvels Agents of S.H.I.E.L.D.")
    # a capitalised folder beats a lowercase file name for the same words
    parsed("TV/Merlin/merlin_2008.5x02.720p_hdtv_x264-fov.mkv", title="Merlin")


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
    parsed("Films/....mkv", kind="other", title=None)  # no title: nothing to identify
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


# --- real layouts (issue 12) -------------------------------------------------------------------


def test_a_show_folder_without_season_folders_names_the_show() -> None:
    parsed("Series/Breaking Bad/S01E01 - Pilot.mkv", kind="episode", title="Breaking Bad",
           season=1, episodes=[1])  # fmt: skip
    parsed("Series/Breaking Bad/1x01 - Pilot.avi", kind="episode", title="Breaking Bad",
           season=1, episodes=[1])  # fmt: skip
    parsed("TV/Daniel Tiger's Neighborhood/S02E06 - Playtime Is Different.mp4",
           title="Daniel Tiger's Neighborhood", season=2, episodes=[6])  # fmt: skip


def test_seasons_numbered_by_year_and_season_packs() -> None:
    parsed("Pawn.Stars.S2014E18.720p.HDTV.x264-KILLERS.mkv", season=2014, episodes=[18])
    parsed("Looney Tunes 1940x01 Porky's Last Stand.mkv", season=1940, episodes=[1])
    parsed("Series/The Daily Show/Season 2019/The Daily Show - 2019-07-14.mkv", season=2019)
    # a year-season written with an x and three digits, which alone reads as a screen size
    parsed("TV/Show/Season 2016/Show - 2016x231 - The Guest.mkv", kind="episode", title="Show",
           season=2016, episodes=[231])  # fmt: skip
    parsed("Films/Film (2016)/Film.2016.2048x858.mkv", kind="movie", title="Film", year=2016)
    parsed("Friends.S01-S10.COMPLETE.720p.BluRay.x264-PtM", kind="episode", title="Friends",
           season=1, seasons=list(range(1, 11)))  # fmt: skip
    parsed("Friends.INTEGRALE.MULTi.1080p.BluRay-GRP", kind="episode", title="Friends")
    parsed("Breaking.Bad.COMPLETE.1080p.BluRay.x264-GRP", kind="episode")
    # guessit's "episode" with nothing episodic is still a film ("Final" is no episode)
    parsed("Blade.Runner.1982.Final.Cut.mkv", kind="movie", title="Blade Runner", year=1982,
           alternatives=[])  # fmt: skip


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("Movies/Inception (2010)/Behind The Scenes/Making the dream.mkv", "behindthescenes"),
        ("Movies/Inception (2010)/Deleted Scenes/Limbo.mkv", "deleted"),
        ("Movies/Inception (2010)/Featurettes/Cobb.mkv", "featurette"),
        ("Movies/Inception (2010)/Interviews/Nolan.mkv", "interview"),
        ("Movies/Inception (2010)/Trailers/Teaser.mkv", "trailer"),
        ("Movies/Inception (2010)/Scenes/Hallway.mkv", "scene"),
        ("Movies/Inception (2010)/Shorts/x.mkv", "short"),
        ("Movies/Inception (2010)/Clips/x.mkv", "clip"),
        ("Movies/Inception (2010)/Extras/x.mkv", "extra"),
        ("Movies/Inception (2010)/Other/x.mkv", "extra"),
        ("Movies/Inception (2010)/Inception (2010)-behindthescenes.mkv", "behindthescenes"),
        ("Movies/Inception (2010)/Inception (2010)-deleted.mkv", "deleted"),
        ("Movies/Inception (2010)/Inception (2010)-featurette.mkv", "featurette"),
        ("Movies/Inception (2010)/Inception (2010)-interview.mkv", "interview"),
        ("Movies/Inception (2010)/Inception (2010)-scene.mkv", "scene"),
        ("Movies/Inception (2010)/Inception (2010)-short.mkv", "short"),
        ("Movies/Inception (2010)/Inception (2010)-sample.mkv", "sample"),
        ("Movies/Inception (2010)/Inception (2010)-clip.mkv", "clip"),
        ("Movies/Inception (2010)/Inception (2010)-other.mkv", "extra"),
        ("Movies/Inception (2010)/Inception (2010) - Behind the Scenes.mkv", "behindthescenes"),
    ],
)
def test_extras_the_media_servers_define(path: str, extra: str) -> None:
    parsed(path, kind="extra", extra=extra, title="Inception", year=2010)


def test_a_film_named_like_an_extra_is_a_film() -> None:
    parsed("Movies/Sample (2020)/Sample (2020).mkv", kind="movie", title="Sample", year=2020)
    parsed("Movies/Trailer (2020).mkv", kind="movie", title="Trailer", year=2020)
    parsed("Movies/The Interview (2014)/The Interview (2014) Bluray-1080p.mkv", kind="movie")


def test_a_release_group_is_never_an_extras_suffix() -> None:
    for group in ("SCENE", "TRAILER", "SHORT", "EXTRA"):
        parsed(f"Bones.S03E05.720p.HDTV.x264-{group}.mkv", kind="episode", extra=None,
               title="Bones", season=3, episodes=[5])  # fmt: skip


def test_an_obfuscated_name_takes_what_its_release_folder_says() -> None:
    parsed("Dead Man Down (2013) BRRiP XViD DD5_1 Custom NLSubs =-_lt Q_o_Q gt-=_/"
           "XD607ebb-BRc59935-5155473f-1c5f49/XD607ebb-BRc59935-5155473f-1c5f49.avi",
           kind="movie", title="Dead Man Down", year=2013)  # fmt: skip
    parsed("Hells.Kitchen.US.S17E08.1080p.HEVC.x265-MeGusta-Obfuscated/"
           "c48db7d2aeb040e8a920a9fd6effcbf4.mkv",
           kind="episode", season=17, episodes=[8])  # fmt: skip


def test_a_collection_folder_does_not_win_over_a_film_that_names_itself() -> None:
    parsed("movies/Steig Larsson Millenium Trilogy (2009) BRrip 720 AAC x264/"
           "(1)The Girl With The Dragon Tattoo (2009) BRrip 720 AAC x264.mkv",
           title="The Girl With The Dragon Tattoo", year=2009)  # fmt: skip
    # a translated file name in a "Title (Year)" folder of the same year is the same film
    parsed("Films/Le Cinquième Élément (1997)/The.Fifth.Element.1997.1080p.mkv",
           title="Le Cinquième Élément")  # fmt: skip


@pytest.mark.parametrize(
    "path",
    [
        "Home videos/IMG_1234.MOV",
        "VID_20190714_123456.mp4",
        "DCIM/100APPLE/IMG_0042.MOV",
        "2019-07-14 Vacances Bretagne.MP4",
        "Downloads/movie.mkv",
        "Downloads/c48db7d2aeb040e8a920a9fd6effcbf4.mkv",
        "PXL_20210101_101010123.mp4",
        "GOPR0042.MP4",
    ],
)
def test_what_is_neither_film_nor_episode_is_other(path: str) -> None:
    result = parse_name(path)
    assert_well_formed(result)
    assert result["kind"] == "other", result
    assert result["extra"] is None and result["season"] is None and result["alternatives"] == []


@pytest.mark.parametrize(
    "path",
    [
        "Films/Vidéos/Noël.mkv",  # an odd but real film name
        "Films/Holidays/Home Alone (1990).mkv",  # a film in a folder that often holds clips
        "Downloads/Test.mkv",  # a real title that looks like a placeholder
        "Series/The Daily Show/Season 2019/2019-07-14 - Guest.mkv",  # a dated episode
        "1917.mkv",
        "2012.mkv",
        "300.mkv",
        "Films/9 (2009)/9.mkv",
        "Movie.43.2013.1080p.mkv",
    ],
)
def test_odd_but_real_names_are_not_other(path: str) -> None:
    assert parse_name(path)["kind"] != "other"


def test_a_number_that_is_a_year_or_a_title_keeps_both_readings() -> None:
    got = parse_name("Blade.Runner.2049.mkv")
    assert (got["kind"], got["title"], got["year"]) == ("movie", "Blade Runner 2049", None)
    assert got["alternatives"] == [{"kind": "movie", "title": "Blade Runner", "year": 2049}]
    got = parse_name("2001.A.Space.Odyssey.mkv")
    assert (got["title"], got["year"]) == ("A Space Odyssey", 2001)
    assert got["alternatives"] == [{"kind": "movie", "title": "2001 A Space Odyssey", "year": None}]
    parsed("300.mkv", kind="movie", title="300")
    parsed("2012.mkv", kind="movie", title="2012", year=None)
    # a year in brackets is never ambiguous
    parsed("Films/Heat (1995)/Heat (1995).mkv", alternatives=[])
    parsed("Blade Runner 2049 (2017).mkv", title="Blade Runner 2049", year=2017, alternatives=[])


def test_acronym_titles_keep_their_dots() -> None:
    parsed("TV/S.W.A.T. (2017)/Season 1/S.W.A.T. (2017) - S01E01 - Pilot.mkv",
           title="S.W.A.T.", year=2017, season=1, episodes=[1])  # fmt: skip
    parsed("TV/Marvel's Agents of S.H.I.E.L.D. (2013)/Season 01/"
           "Marvel's Agents of S.H.I.E.L.D. (2013) - S01E01 - Pilot Bluray-1080p.mkv",
           title="Marvel's Agents of S.H.I.E.L.D.", year=2013)  # fmt: skip


# --- rules measured on other projects' naming tests (tests/world_names.py) --------------------


@pytest.mark.parametrize(
    ("path", "season"),
    [
        ("Serier/Forbrydelsen/Sæson 2/Forbrydelsen - 03.mkv", 2),
        ("Sarjat/Sorjonen/Kausi 3/Sorjonen - 04.mkv", 3),
        ("Serier/Bron/Säsong 1/Bron - 05.mkv", 1),
        ("Series/Penoza/Seizoen 4/Penoza - 02.mkv", 4),
        ("Seriale/Ranczo/Sezon 10/Ranczo - 07.mkv", 10),
        ("Seriale/Vyprávěj/Sezóna 2/Vyprávěj - 01.mkv", 2),
        ("Seriale/Umbre/Sezonul 1/Umbre - 06.mkv", 1),
        ("Сериалы/Метод/Сезон 2/Метод - 03.mkv", 2),
        ("드라마/미생/시즌 1/미생 - 04.mkv", 1),
        ("Serien/Tatortreiniger/3. Staffel/Tatortreiniger - 02.mkv", 3),
        ("TV/Fargo/Season 2 (2015)/Fargo - 05.mkv", 2),
    ],
)
def test_season_folders_in_the_languages_media_servers_read(path: str, season: int) -> None:
    got = parse_name(path)
    assert (got["kind"], got["season"]) == ("episode", season), got


@pytest.mark.parametrize(
    ("path", "episodes"),
    [
        ("TV/Columbo/Season 3/4 - Candidate for Crime.avi", [4]),
        ("TV/Columbo/Season 3/3. Any Old Port in a Storm.avi", [3]),
        ("TV/Columbo/Season 3/5 - 10 Grams of Doubt.avi", [5]),
        ("TV/Columbo/Season 3/06-07 - Double Feature.avi", [6, 7]),
        ("TV/Columbo/Season 3/2 Publish or Perish (DVD).mkv", [2]),
    ],
)
def test_a_number_starting_a_name_in_a_season_folder_is_its_episode(
    path: str, episodes: list[int]
) -> None:
    parsed(path, kind="episode", title="Columbo", season=3, episodes=episodes)


def test_a_number_starting_a_name_that_is_the_shows_own_is_not_the_episode() -> None:
    parsed("TV/90 Day Fiance/Season 1/90 Day Fiance - 105.mkv", season=1, episodes=[5])
    parsed("TV/The 100/Season 2/100 - 201.mkv", title="The 100", season=2, episodes=[1])


def test_an_absolute_number_in_a_season_folder_is_not_split_into_season_and_episode() -> None:
    parsed("Anime/Detective Conan/Season 9/Detective Conan - 245.mkv", season=9, episodes=[245])
    parsed("Anime/Naruto/Season 5/Naruto 1012.mkv", season=5, episodes=[1012])
    # the season's own number first stays that season's episode
    parsed("TV/The Office/Season 1/the.office.104.hdtv.avi", season=1, episodes=[4])


def test_an_extras_suffix_needs_a_separator_other_than_a_space() -> None:
    parsed("Movies/The Interview/The Interview.mkv", kind="movie", extra=None)
    parsed("Movies/Wild Short/Wild Short.mkv", kind="movie", extra=None)
    parsed("Movies/Heat (1995)/Heat (1995) - scene3.mkv", kind="extra", extra="scene")
    parsed("Movies/Heat (1995)/Heat (1995)-trailer2.mkv", kind="extra", extra="trailer")
    # a word no title ends with needs no separator
    parsed("Movies/Heat (1995)/Heat (1995) Featurette.mkv", kind="extra", extra="featurette")


def test_a_bracketed_title_is_not_taken_for_a_fansub_tag() -> None:
    parsed("Movies/[REC] 2/[REC] 2.mkv", kind="movie", title="REC 2")


def test_a_folder_named_with_a_video_extension_gives_its_title() -> None:
    parsed("Movies/Nine Queens.avi/Nine Queens.avi", kind="movie", title="Nine Queens")


def test_a_fansub_tag_is_no_part_of_a_show_folders_title() -> None:
    parsed(
        "[Kaizoku] Shoujo Kageki Revue/[Kaizoku] Shoujo Kageki Revue - 07 (1080p).mkv",
        kind="episode",
        title="Shoujo Kageki Revue",
        episodes=[7],
    )


def test_a_year_before_1900_in_brackets_is_a_year() -> None:
    parsed("The Kiss in the Tunnel (1899) [DVD].mp4", kind="movie", year=1899, season=None)
    parsed("Films/Lumière Shorts (1896) [DVD].mkv", kind="movie", title="Lumière Shorts", year=1896)


def test_a_versioned_or_split_episode_marker_is_still_an_episode() -> None:
    parsed("[Grp] Yuru Camp - S02E03v2 (1080p).mkv", kind="episode", season=2, episodes=[3])
    parsed("Show.Name.S04E09b.Second.Half.720p.WEB-DL.mkv", kind="episode", season=4, episodes=[9])


def test_a_dated_episode_keeps_no_number_from_its_title() -> None:
    parsed("Late_Night_2021_03_04_Guest_720p_HDTV.mkv", kind="episode", season=None, episodes=[])
    parsed("Nightly.News.2022.11.05.The.300.Club.720p.HDTV.mkv", season=None, episodes=[])
    # a number before the date is the episode's
    parsed("Show.Name.204.Event.2019.06.02.HDTV.mkv", season=2, episodes=[4])


def test_a_release_folder_naming_an_episode_as_1x02_names_the_file_inside() -> None:
    parsed(
        "Downloads/Brooklyn Nine - 3x07 - The Swedes/The Swedes.avi",
        kind="episode",
        season=3,
        episodes=[7],
    )


@pytest.mark.parametrize(
    ("path", "episodes"),
    [
        ("TV/Frasier/Season 3/Frasier - 3x05-x06 - The Two Parts.mkv", [5, 6]),
        ("TV/Frasier/Season 3/Frasier - 3x05-E07 - Three Parts.mkv", [5, 6, 7]),
        ("TV/Frasier/Season 3/Frasier - 3x05 - x06 - x09 - Picks.mkv", [5, 6, 9]),
        ("TV/Frasier/Season 3/Frasier - [3x10-x11] - Two Parts.mkv", [10, 11]),
    ],
)
def test_episode_ranges_and_lists_written_with_x(path: str, episodes: list[int]) -> None:
    parsed(path, kind="episode", title="Frasier", season=3, episodes=episodes)
