"""Title normalisation, ids written in names and the decision rule (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from videotheque.domain.titles import (
    Decision,
    ExternalIds,
    Rule,
    decide,
    extract_ids,
    normalize_title,
    roman_to_int,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Matrix", "Matrix"),
        ("Matrix, The", "The Matrix"),
        ("Les Évadés", "Les.Evades"),
        ("L'Âge de glace", "Age de glace"),
        ("Le Fabuleux Destin d'Amélie Poulain", "Le Fabuleux Destin d Amelie Poulain"),
        ("Monstres & Cie", "Monstres et Cie"),
        ("Fast & Furious", "Fast and Furious"),
        ("Rocky IV", "Rocky 4"),
        ("La Reine des neiges II", "La Reine des Neiges 2"),
        ("Star Wars: Episode V", "Star Wars Episode 5"),
        ("WALL·E", "WALL-E"),
        ("Schindler's List", "Schindlers List"),
        ("S.W.A.T.", "SWAT"),
        ("Cœur", "Coeur"),
        ("À bout de souffle", "A bout de souffle"),
    ],
)
def test_equivalent_titles_normalise_alike(a: str, b: str) -> None:
    assert normalize_title(a) == normalize_title(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Alien", "Aliens"),
        ("Rocky", "Rocky II"),
        ("L.A. Confidential", "Confidential"),  # an acronym is not an article
        ("I, Robot", "Robot"),  # a lone "I" is a pronoun, not a numeral
    ],
)
def test_different_titles_stay_different(a: str, b: str) -> None:
    assert normalize_title(a) != normalize_title(b)


def test_a_title_that_is_only_an_article_is_kept() -> None:
    assert normalize_title("Les") == "les"
    assert normalize_title("It") == "it"


ROMANS = [("i", 1), ("iv", 4), ("ix", 9), ("xiv", 14), ("xl", 40), ("mix", None), ("", None),
          ("iiii", None)]  # fmt: skip


@pytest.mark.parametrize(("text", "value"), ROMANS)
def test_roman_numerals(text: str, value: int | None) -> None:
    assert roman_to_int(text) == value


@given(st.text(max_size=60))
def test_normalisation_is_idempotent_and_plain(title: str) -> None:
    once = normalize_title(title)
    assert normalize_title(once) == once or once.split()[0] in {"the", "a", "an", "le", "la"}
    assert all(c.isascii() and (c.isalnum() or c == " ") for c in once)


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("The Matrix (1999) {tmdb-603}.mkv", ExternalIds(tmdb="603")),
        ("The Matrix [tmdbid=603].mkv", ExternalIds(tmdb="603")),
        ("The Matrix [tmdbid-603]", ExternalIds(tmdb="603")),
        ("Matrix.1999.tt0133093.mkv", ExternalIds(imdb="tt0133093")),
        ("Matrix {imdb-tt0133093}", ExternalIds(imdb="tt0133093")),
        ("Breaking Bad {tvdb-81189}/S01E01.mkv", ExternalIds(tvdb="81189")),
        ("Show [tvdbid=81189] {tmdb-1396}", ExternalIds(tmdb="1396", tvdb="81189")),
        ("Attmdb-3.mkv", ExternalIds()),  # not a tag: glued to a word
        ("tt123.mkv", ExternalIds()),  # too short for an IMDb id
        ("A {tmdb-1} B {tmdb-2}", ExternalIds()),  # two different ids: neither
    ],
)
def test_ids_in_names(name: str, ids: ExternalIds) -> None:
    assert extract_ids(name) == ids


def test_merged_ids_keep_the_first_ones() -> None:
    merged = ExternalIds(tmdb="1").merged(ExternalIds(tmdb="2", imdb="tt0000001"))
    assert merged == ExternalIds(tmdb="1", imdb="tt0000001")
    assert not ExternalIds()


@pytest.mark.parametrize(
    ("scores", "decision"),
    [
        ([0.95, 0.60], Decision.ACCEPT),
        ([0.75], Decision.ACCEPT),
        ([0.95, 0.90], Decision.AMBIGUOUS),  # no clear gap
        ([0.70, 0.20], Decision.AMBIGUOUS),  # plausible but below the threshold
        ([0.40, 0.10], Decision.NO_MATCH),
        ([], Decision.NO_MATCH),
        ([0.6, 0.95], Decision.ACCEPT),  # unsorted input
    ],
)
def test_decision_rule(scores: list[float], decision: Decision) -> None:
    assert decide(scores) is decision


def test_the_rule_is_configurable_and_checked() -> None:
    assert decide([0.8, 0.1], Rule(threshold=0.85)) is Decision.AMBIGUOUS
    assert decide([0.9, 0.85], Rule(gap=0.02)) is Decision.ACCEPT
    with pytest.raises(ValueError):
        Rule(threshold=1.5)
    with pytest.raises(ValueError):
        Rule(threshold=0.5, floor=0.6)
