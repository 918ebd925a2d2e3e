"""The media file: one piece of content, known by its fingerprint, at one or more paths.

Public methods validate and then call a private ``@event`` method; everything an event
needs (clock readings, hashes, parsed names) is computed outside and passed in, because
event bodies run again on every replay.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from videotheque.domain import enrichment as en
from videotheque.domain.errors import DomainError
from videotheque.domain.ids import file_id
from videotheque.domain.integrity import Verification, compare
from videotheque.domain.media_facts import RECORDED_STATUSES

PRESENT = "present"
VANISHED = "vanished"


class MediaFile(Aggregate):
    """A video file's content, its paths under the storage root and what is known of it."""

    fingerprint: str
    algorithm: str
    size: int
    paths: dict[str, float]
    name: dict[str, Any]
    parser: str
    status: str
    analysis: dict[str, Any] | None = None  # MediaInfo's facts (see domain.media_facts)
    mediainfo_version: str | None = None
    full_hash: str | None = None  # xxh3_128 of the whole content, once ``check --full`` ran
    full_algorithm: str | None = None
    # enrichment (see domain.enrichment): the match of this content, not of a path
    match_status: str | None = None
    match: dict[str, Any] | None = None
    candidates: list[dict[str, Any]] | None = None
    rejected: list[str] | None = None  # "tmdb:603" keys a person refused for this file

    @staticmethod
    def create_id(fingerprint: str) -> UUID:
        return file_id(fingerprint)

    @event("Imported")
    def __init__(
        self,
        fingerprint: str,
        algorithm: str,
        size: int,
        path: str,
        mtime: float,
        name: dict[str, Any],
        parser: str,
        run_id: str,
        replaces: str | None = None,
    ) -> None:
        self.fingerprint = fingerprint
        self.algorithm = algorithm
        self.size = size
        self.paths = {path: mtime}
        self.name = dict(name)
        self.parser = parser
        self.status = PRESENT

    # -- commands -------------------------------------------------------------------

    def move(self, old_path: str, new_path: str, mtime: float, run_id: str) -> None:
        """The content left ``old_path`` and now lives at ``new_path``."""
        if old_path not in self.paths:
            raise DomainError(f"{old_path!r} is not a path of file {self.id}")
        if new_path in self.paths:
            raise DomainError(f"{new_path!r} is already a path of file {self.id}")
        self._moved(old_path=old_path, new_path=new_path, mtime=mtime, run_id=run_id)

    def copy(self, path: str, mtime: float, run_id: str) -> None:
        """The same content was found at one more path."""
        if self.status != PRESENT:
            raise DomainError(f"file {self.id} is not present: it reappears, not copied")
        if path in self.paths:
            raise DomainError(f"{path!r} is already a path of file {self.id}")
        self._copied(path=path, mtime=mtime, run_id=run_id)

    def vanish(self, path: str, run_id: str) -> None:
        """``path`` no longer holds this content (deleted, or moved out of storage)."""
        if path not in self.paths:
            raise DomainError(f"{path!r} is not a path of file {self.id}")
        self._vanished(path=path, run_id=run_id)

    def reappear(self, path: str, mtime: float, run_id: str) -> None:
        """A vanished file is back, at ``path``: identity, history and metadata return."""
        if self.status != VANISHED:
            raise DomainError(f"file {self.id} has not vanished")
        self._reappeared(path=path, mtime=mtime, run_id=run_id)

    def replace_content(self, path: str, by_file_id: str, run_id: str) -> None:
        """The file at ``path`` now holds other content (``by_file_id``)."""
        if path not in self.paths:
            raise DomainError(f"{path!r} is not a path of file {self.id}")
        self._replaced(path=path, by_file_id=by_file_id, run_id=run_id)

    def touch(self, path: str, mtime: float, run_id: str) -> None:
        """Same content at the same path with a new modification time."""
        if path not in self.paths:
            raise DomainError(f"{path!r} is not a path of file {self.id}")
        if self.paths[path] != mtime:
            self._touched(path=path, mtime=mtime, run_id=run_id)

    def record_analysis(self, path: str, facts: dict[str, Any], run_id: str) -> None:
        """What MediaInfo read in this content at ``path``; a later, better analysis is
        recorded the same way and replaces it."""
        if facts.get("status") not in RECORDED_STATUSES:
            raise DomainError(f"cannot record an analysis with status {facts.get('status')!r}")
        version = str(facts.get("mediainfo_version") or "")
        kept = {k: v for k, v in facts.items() if k != "mediainfo_version"}
        self._analyzed(path=path, facts=kept, mediainfo_version=version, run_id=run_id)

    def verify(
        self,
        path: str,
        fingerprint: str,
        run_id: str,
        full_hash: str | None = None,
        full_algorithm: str | None = None,
    ) -> Verification:
        """The content at ``path`` was read again (``check --verify-hash``): compare the
        sampled ``fingerprint`` just computed, and the whole-file ``full_hash`` when there
        is one, with what was recorded. The first full hash of a content is recorded
        (``FullHashRecorded``) when its fingerprint still matches; later ones are compared,
        which catches bit rot outside the sampled chunks. A mismatch is recorded here
        (``HashVerified`` with ``ok`` false); a match is not: the run records its matches
        in bulk (``Run.record_verifications``), or a nightly check of 100,000 files would
        add 100,000 events to as many histories."""
        if path not in self.paths:
            raise DomainError(f"{path!r} is not a path of file {self.id}")
        result = compare(
            path,
            self.fingerprint,
            fingerprint,
            self.full_hash,
            self.full_algorithm,
            full_hash,
            full_algorithm,
        )
        if result.full == "recorded" and full_hash is not None:
            self._full_hash_recorded(
                path=path, full_hash=full_hash, algorithm=full_algorithm or "", run_id=run_id
            )
        if not result.ok:
            self._hash_verified(
                path=path,
                ok=result.ok,
                mismatch=result.mismatch,
                expected=result.expected,
                actual=result.actual,
                full=result.full,
                run_id=run_id,
            )
        return result

    # -- enrichment (events named in domain.enrichment's docstring) -------------------

    def enrich(
        self,
        match: dict[str, Any],
        query: dict[str, Any],
        candidates: list[dict[str, Any]],
        run_id: str,
    ) -> None:
        """A provider's title was accepted automatically (best score, clear lead)."""
        if self.match_status == en.VALIDATED:
            raise DomainError(f"file {self.id} was validated by hand: not enriched again")
        chosen = en.clean_candidate(match)
        self._enriched(
            **chosen,
            query=en.clean_query(query),
            candidates=en.clean_candidates(candidates),
            run_id=run_id,
        )

    def queue_match(
        self,
        ambiguous: bool,
        query: dict[str, Any],
        candidates: list[dict[str, Any]],
        run_id: str,
    ) -> None:
        """No confident match: into the validation queue, with what was considered."""
        if self.match_status == en.VALIDATED:
            raise DomainError(f"file {self.id} was validated by hand: not queued again")
        kept = en.clean_candidates(candidates, self.rejected or ())
        method = self._match_ambiguous if ambiguous and kept else self._no_match
        method(query=en.clean_query(query), candidates=kept, run_id=run_id)

    def fail_enrichment(self, provider: str, reason: str, run_id: str) -> None:
        """A provider could not answer (after retries): the next run tries again."""
        if self.match_status in (en.ENRICHED, en.VALIDATED):
            raise DomainError(f"file {self.id} already has a match")
        self._enrichment_failed(provider=provider, reason=reason[:500], run_id=run_id)

    def validate_match(self, match: dict[str, Any], how: str, run_id: str) -> None:
        """A person chose the title (``how``: candidate, id or nfo)."""
        chosen = en.clean_candidate({**match, "score": 1.0})
        key = en.candidate_key(chosen["provider"], chosen["provider_id"])
        if how == "candidate" and key in (self.rejected or ()):
            raise DomainError(f"{key} was rejected for file {self.id}")
        chosen.pop("score")
        self._match_validated(**chosen, how=how, run_id=run_id)

    def reject_match(self, run_id: str) -> list[str]:
        """A person refused every proposed title; none is proposed again for this file."""
        keys = [en.candidate_key(c["provider"], c["provider_id"]) for c in self.candidates or ()]
        if self.match_status == en.ENRICHED and self.match is not None:
            keys.append(en.candidate_key(self.match["provider"], self.match["provider_id"]))
        keys = sorted(set(keys) - set(self.rejected or ()))
        if not keys:
            raise DomainError(f"file {self.id} has no proposed title to reject")
        self._match_rejected(rejected=keys, run_id=run_id)
        return keys

    # -- events ---------------------------------------------------------------------

    @event("Moved")
    def _moved(self, old_path: str, new_path: str, mtime: float, run_id: str) -> None:
        del self.paths[old_path]
        self.paths[new_path] = mtime

    @event("Copied")
    def _copied(self, path: str, mtime: float, run_id: str) -> None:
        self.paths[path] = mtime

    @event("Vanished")
    def _vanished(self, path: str, run_id: str) -> None:
        del self.paths[path]
        if not self.paths:
            self.status = VANISHED

    @event("Reappeared")
    def _reappeared(self, path: str, mtime: float, run_id: str) -> None:
        self.paths = {path: mtime}
        self.status = PRESENT

    @event("Replaced")
    def _replaced(self, path: str, by_file_id: str, run_id: str) -> None:
        del self.paths[path]
        if not self.paths:
            self.status = VANISHED

    @event("Touched")
    def _touched(self, path: str, mtime: float, run_id: str) -> None:
        self.paths[path] = mtime

    @event("Analyzed")
    def _analyzed(
        self, path: str, facts: dict[str, Any], mediainfo_version: str, run_id: str
    ) -> None:
        self.analysis = dict(facts)
        self.mediainfo_version = mediainfo_version

    @event("FullHashRecorded")
    def _full_hash_recorded(self, path: str, full_hash: str, algorithm: str, run_id: str) -> None:
        self.full_hash = full_hash
        self.full_algorithm = algorithm

    @event("HashVerified")
    def _hash_verified(
        self,
        path: str,
        ok: bool,
        mismatch: str,
        expected: str | None,
        actual: str | None,
        full: str,
        run_id: str,
    ) -> None:
        pass  # a fact about the disk at ``path``; what was recorded stays the reference

    @event("Enriched")
    def _enriched(
        self,
        provider: str,
        provider_id: str,
        title: str,
        original_title: str | None,
        year: int | None,
        score: float,
        query: dict[str, Any],
        candidates: list[dict[str, Any]],
        run_id: str,
    ) -> None:
        self.match_status = en.ENRICHED
        self.match = {
            "provider": provider, "provider_id": provider_id, "title": title,
            "original_title": original_title, "year": year, "score": score,
        }  # fmt: skip
        self.candidates = list(candidates)

    @event("MatchAmbiguous")
    def _match_ambiguous(
        self, query: dict[str, Any], candidates: list[dict[str, Any]], run_id: str
    ) -> None:
        self.match_status = en.PENDING
        self.match = None
        self.candidates = list(candidates)

    @event("NoMatch")
    def _no_match(
        self, query: dict[str, Any], candidates: list[dict[str, Any]], run_id: str
    ) -> None:
        self.match_status = en.PENDING
        self.match = None
        self.candidates = list(candidates)

    @event("EnrichmentFailed")
    def _enrichment_failed(self, provider: str, reason: str, run_id: str) -> None:
        self.match_status = en.FAILED

    @event("MatchValidated")
    def _match_validated(
        self,
        provider: str,
        provider_id: str,
        title: str,
        original_title: str | None,
        year: int | None,
        how: str,
        run_id: str,
    ) -> None:
        self.match_status = en.VALIDATED
        self.match = {
            "provider": provider, "provider_id": provider_id, "title": title,
            "original_title": original_title, "year": year, "score": 1.0,
        }  # fmt: skip
        self.candidates = []

    @event("MatchRejected")
    def _match_rejected(self, rejected: list[str], run_id: str) -> None:
        self.rejected = sorted({*(self.rejected or ()), *rejected})
        self.match_status = en.REJECTED
        self.match = None
        self.candidates = []
