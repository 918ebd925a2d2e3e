"""The report's view of enrichment, read from the projection tables (``enrichment``,
``pending``), on events the real aggregates record: an in-memory store, the real
projector, a DuckDB file in tmp_path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from videotheque.commands.library import Library
from videotheque.domain.media_file import MediaFile
from videotheque.projections import queries_report as q
from videotheque.projections.projector import Projector

RUN = "00000000-0000-4000-8000-000000000001"


def _file(n: int, title: str) -> MediaFile:
    return MediaFile(
        fingerprint=f"{n:032x}", algorithm="xxh3_128", size=1000 + n,
        path=f"Films/{title}.mkv", mtime=1.0,
        name={"kind": "movie", "title": title, "year": 2000 + n}, parser="test", run_id=RUN,
    )  # fmt: skip


def _candidate(title: str, pid: str, score: float) -> dict[str, Any]:
    return {"provider": "tmdb", "provider_id": pid, "title": title, "year": 2001, "score": score}


def test_overview_and_queue_come_from_the_enrichment_tables(tmp_path: Path) -> None:
    app = Library(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    matched, ambiguous, rejected, failed, untouched = (
        _file(n, t) for n, t in enumerate(["Alpha", "Beta", "Gamma", "Delta", "Epsilon"], 1)
    )
    matched.enrich(_candidate("Alpha", "1", 0.97), {"title": "Alpha"}, [], RUN)
    ambiguous.queue_match(
        True, {"title": "Beta"}, [_candidate("Beta", "2", 0.6), _candidate("Beta II", "3", 0.7)],
        RUN,
    )  # fmt: skip
    rejected.queue_match(True, {"title": "Gamma"}, [_candidate("Gamma", "4", 0.5)], RUN)
    rejected.reject_match(RUN)
    failed.fail_enrichment("tmdb", "HTTP 503", RUN)
    app.save(matched, ambiguous, rejected, failed, untouched)
    projector = Projector(tmp_path / "catalog.duckdb", app.recorder)
    projector.catch_up()
    with projector.connect() as con:
        overview = q.library_overview(con)
        queue = q.validation_queue(con, limit=10)
        capped = q.validation_queue(con, limit=1)
    assert overview["match_status"] == [
        {"status": "enriched", "files": 1},
        {"status": "pending", "files": 2},  # the ambiguous one and the rejected one
        {"status": "failed", "files": 1},
        {"status": "not enriched", "files": 1},
    ]
    assert queue["total"] == 2 and capped["total"] == 2 and len(capped["rows"]) == 1
    beta, gamma = queue["rows"]
    assert (beta["title"], beta["reason"]) == ("Beta", "ambiguous")
    assert [(c["title"], c["provider_id"], c["score"]) for c in beta["candidates"]] == [
        ("Beta II", "3", 0.7),
        ("Beta", "2", 0.6),
    ]
    assert (gamma["title"], gamma["reason"], gamma["candidates"]) == ("Gamma", "rejected", [])
