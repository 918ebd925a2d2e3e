"""Enrichment events on the MediaFile aggregate: rules, state, and a trip through the store."""

from __future__ import annotations

import pytest

from videotheque.commands.library import Library
from videotheque.domain.enrichment import ENRICHED, FAILED, PENDING, REJECTED, VALIDATED, parse_key
from videotheque.domain.errors import DomainError
from videotheque.domain.media_file import MediaFile

RUN = "00000000-0000-0000-0000-000000000001"
MATRIX = {"provider": "tmdb", "provider_id": "603", "title": "Matrix",
          "original_title": "The Matrix", "year": 1999, "score": 0.97}  # fmt: skip
OTHER = {**MATRIX, "provider_id": "604", "title": "Matrix Reloaded", "year": 2003, "score": 0.6}
QUERY = {"title": "Matrix", "year": 1999, "kind": "movie", "via": "search", "provider": "tmdb"}


def media() -> MediaFile:
    return MediaFile(fingerprint="fp", algorithm="xxh3", size=1, path="Films/Matrix.mkv",
                     mtime=1.0, name={"kind": "movie", "title": "Matrix", "year": 1999},
                     parser="test", run_id=RUN)  # fmt: skip


def test_enriched_keeps_the_match_and_the_candidates() -> None:
    f = media()
    f.enrich(MATRIX, QUERY, [MATRIX, OTHER], RUN)
    assert f.match_status == ENRICHED
    assert f.match is not None and f.match["provider_id"] == "603"
    assert [c["provider_id"] for c in f.candidates or []] == ["603", "604"]


def test_queue_then_validate_then_never_auto_again() -> None:
    f = media()
    f.queue_match(True, QUERY, [MATRIX, OTHER], RUN)
    assert f.match_status == PENDING
    f.validate_match(OTHER, "candidate", RUN)
    assert f.match_status == VALIDATED and f.match is not None and f.match["score"] == 1.0
    with pytest.raises(DomainError):
        f.enrich(MATRIX, QUERY, [MATRIX], RUN)
    with pytest.raises(DomainError):
        f.fail_enrichment("tmdb", "HTTP 503", RUN)


def test_an_ambiguous_outcome_without_candidates_is_a_no_match() -> None:
    f = media()
    f.queue_match(True, QUERY, [], RUN)
    assert type(f.pending_events[-1]).__name__ == "NoMatch"


def test_rejected_candidates_are_never_proposed_again() -> None:
    f = media()
    f.enrich(MATRIX, QUERY, [MATRIX, OTHER], RUN)
    assert f.reject_match(RUN) == ["tmdb:603", "tmdb:604"]
    assert f.match_status == REJECTED and f.match is None
    f.queue_match(True, QUERY, [MATRIX, OTHER], RUN)
    assert f.candidates == []
    with pytest.raises(DomainError):
        f.validate_match(MATRIX, "candidate", RUN)
    f.validate_match(MATRIX, "id", RUN)  # a person may still name it explicitly
    assert f.match_status == VALIDATED
    with pytest.raises(DomainError):
        media().reject_match(RUN)  # nothing proposed


def test_failures_and_bad_values() -> None:
    f = media()
    f.fail_enrichment("tmdb", "x" * 2000, RUN)
    assert f.match_status == FAILED
    with pytest.raises(DomainError):
        f.enrich({**MATRIX, "provider": "imdb"}, QUERY, [], RUN)
    with pytest.raises(DomainError):
        f.enrich({**MATRIX, "score": 1.5}, QUERY, [], RUN)
    assert parse_key("TMDB:603") == ("tmdb", "603")
    for bad in ("603", "imdb:tt1", "tmdb:abc", "tmdb:"):
        with pytest.raises(DomainError):
            parse_key(bad)


def test_events_survive_the_event_store() -> None:
    app = Library(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    f = media()
    f.queue_match(True, {**QUERY, "ids": {"tmdb": "603"}, "notes": ["n"]}, [MATRIX, OTHER], RUN)
    f.validate_match(MATRIX, "candidate", RUN)
    app.save(f)
    again = app.repository.get(f.id)
    assert again.match_status == VALIDATED and again.match == f.match
    stored = [type(e).__name__ for e in app.repository.event_store.get(f.id)]
    assert stored == ["Imported", "MatchAmbiguous", "MatchValidated"]
