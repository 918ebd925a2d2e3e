"""Scoring candidates against a parsed name (rapidfuzz over every name of a candidate)."""

from __future__ import annotations

from videotheque.commands.adapters.providers.base import Candidate
from videotheque.commands.adapters.providers.matcher import (
    Query,
    match,
    rank,
    similarity,
    year_penalty,
)
from videotheque.domain.titles import Decision


def film(pid: str, title: str, year: int | None, *, original: str | None = None,
         alts: tuple[str, ...] = (), popularity: float | None = None) -> Candidate:  # fmt: skip
    return Candidate("tmdb", pid, "movie", title, original or title, year, alts, popularity)


def test_year_decides_between_remakes() -> None:
    candidates = [film("841", "Dune", 1984, popularity=35), film("438631", "Dune", 2021,
                  popularity=150)]  # fmt: skip
    old = match(Query("Dune", 1984, "movie"), candidates)
    new = match(Query("Dune", 2021, "movie"), candidates)
    assert (old.decision, old.best and old.best.candidate.provider_id) == (Decision.ACCEPT, "841")
    assert new.best is not None and new.best.candidate.provider_id == "438631"
    assert new.decision is Decision.ACCEPT


def test_without_a_year_comparable_remakes_are_ambiguous() -> None:
    candidates = [film("841", "Dune", 1984, popularity=35), film("438631", "Dune", 2021,
                  popularity=150)]  # fmt: skip
    assert match(Query("Dune", None, "movie"), candidates).decision is Decision.AMBIGUOUS


def test_without_a_year_a_far_more_popular_title_wins() -> None:
    candidates = [film("27205", "Inception", 2010, popularity=90),
                  film("9", "Inception", 2014, popularity=0.6)]  # fmt: skip
    result = match(Query("Inception", None, "movie"), candidates)
    assert result.decision is Decision.ACCEPT
    assert result.best is not None and result.best.candidate.provider_id == "27205"


def test_a_year_off_by_one_is_a_small_penalty_not_a_veto() -> None:
    result = match(Query("Memento", 2001, "movie"), [film("77", "Memento", 2000)])
    assert result.decision is Decision.ACCEPT
    assert result.best is not None and 0.9 <= result.best.score < 1.0
    assert year_penalty(2001, 2000) < year_penalty(2002, 2000) < year_penalty(2010, 2000)


def test_a_far_year_is_not_accepted() -> None:
    result = match(Query("Les Misérables", 1934, "movie"), [film("82695", "Les Misérables", 2012)])
    assert result.decision is not Decision.ACCEPT


def test_french_title_original_and_alternative_titles_all_count() -> None:
    amelie = film("194", "Le Fabuleux Destin d'Amélie Poulain", 2001, alts=("Amélie",))
    by_alt = match(Query("Amelie", 2001, "movie"), [amelie])
    assert by_alt.decision is Decision.ACCEPT and by_alt.best is not None
    assert by_alt.best.matched == "Amélie"
    shawshank = film("278", "Les Évadés", 1994, original="The Shawshank Redemption")
    assert match(Query("The Shawshank Redemption", 1994, "movie"), [shawshank]).decision is (
        Decision.ACCEPT
    )


def test_a_sequel_does_not_steal_the_original() -> None:
    candidates = [film("348", "Alien", 1979), film("679", "Aliens", 1986)]
    result = match(Query("Alien", 1979, "movie"), candidates)
    assert result.best is not None and result.best.candidate.provider_id == "348"
    assert result.decision is Decision.ACCEPT


def test_a_longer_title_containing_the_query_is_not_a_match() -> None:
    result = match(Query("Fight Club", 2014, "movie"), [film("289732", "Zombie Fight Club", 2014)])
    assert result.decision is not Decision.ACCEPT


def test_kind_mismatch_is_penalised() -> None:
    show = Candidate("tmdb", "60622", "series", "Fargo", "Fargo", 2014)
    assert match(Query("Fargo", 2014, "movie"), [show]).ranked[0].score <= 0.8


def test_rank_keeps_one_entry_per_id_and_prefers_detailed_records() -> None:
    summary = film("129", "Le Voyage de Chihiro", 2001)
    detailed = Candidate("tmdb", "129", "movie", "Le Voyage de Chihiro", "千と千尋の神隠し", 2001,
                         ("Spirited Away",), detailed=True)  # fmt: skip
    ranked = rank(Query("Spirited Away", 2001, "movie"), [summary, detailed])
    assert len(ranked) == 1 and ranked[0].candidate.detailed and ranked[0].score > 0.9


def test_similarity_bounds() -> None:
    assert similarity("matrix", "matrix") == 1.0
    assert similarity("", "matrix") == 0.0
    assert similarity("club fight", "fight club") == 1.0  # word order
    assert similarity("matrix", "titanic") < 0.5


def _timed(pid: str, runtime: int | None) -> Candidate:
    return Candidate("tmdb", pid, "movie", "The Return", "The Return", 2003, runtime=runtime)


def test_the_duration_tells_apart_two_films_of_one_title_and_year() -> None:
    candidates = [_timed("1", 105), _timed("2", 52)]
    blind = match(Query("The Return", 2003, "movie"), candidates)
    assert blind.decision is Decision.AMBIGUOUS  # same title, same year: no evidence
    short = match(Query("The Return", 2003, "movie", duration=53.5), candidates)
    long = match(Query("The Return", 2003, "movie", duration=104.0), candidates)
    assert short.decision is Decision.ACCEPT and short.best is not None
    assert short.best.candidate.provider_id == "2"
    assert long.decision is Decision.ACCEPT and long.best is not None
    assert long.best.candidate.provider_id == "1"


def test_a_runtime_more_than_ten_percent_off_loses_0_15() -> None:
    query = Query("The Return", 2003, "movie", duration=100.0)
    within, beyond, unknown = (rank(query, [_timed("x", r)])[0].score for r in (109, 112, None))
    assert within == unknown == 1.0  # 9% off is no evidence; no runtime is no penalty
    assert beyond == 0.85
