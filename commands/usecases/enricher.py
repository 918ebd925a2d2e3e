"""``enrich``: match catalogued files to TMDB / TVDB / NFO titles and record each outcome.

Flow: catch the projection up -> list present files, oldest imports first -> keep those
never tried and those that failed (plus the queued ones with ``--retry-pending``), up to
``--limit`` -> resolve each (ids in the name or an NFO sidecar first, then searches;
episodes of one show share one resolution) with bounded concurrency -> record the
outcome on the file's aggregate and save it at once: a kill loses at most the requests in
flight -> finish the run -> catch the projection up.

The file's duration (MediaInfo, recorded at import) is evidence for films: a candidate
whose runtime is more than 10% off loses score, and a file much shorter than the title
it is matched to (a sample, an interrupted download) is flagged: a note on the recorded
match and a warning on stderr.

A provider refusing the credentials (401) stops the run: what was saved is kept, nothing
in flight is recorded as failed.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from eventsourcing.persistence import IntegrityError

from videotheque.commands.adapters.providers import nfo, tmdb, tvdb
from videotheque.commands.adapters.providers.base import (
    MOVIE,
    SERIES,
    ProviderAuthError,
    ProviderError,
)
from videotheque.commands.adapters.providers.http import ProviderHttp, RetryPolicy
from videotheque.commands.adapters.providers.matcher import Query
from videotheque.commands.adapters.providers.resolver import Resolution, Resolver
from videotheque.commands.config import EnrichSettings
from videotheque.commands.errors import EXIT_FINDINGS, EXIT_OK, StoreError, UsageError
from videotheque.commands.ports import Workspace
from videotheque.commands.progress import Progress
from videotheque.domain.enrichment import (
    ENRICHED,
    FAILED,
    PENDING,
    REJECTED,
    VALIDATED,
    candidate_key,
)
from videotheque.domain.media_facts import looks_partial
from videotheque.domain.paths import display
from videotheque.domain.titles import (
    Decision,
    ExternalIds,
    Rule,
    decide,
    extract_ids,
    normalize_title,
)
from videotheque.projections.media import durations
from videotheque.projections.queries_enrich import EnrichTarget, enrich_targets

PROVIDER_CHOICES = ("auto", "tmdb", "tvdb", "nfo")
# Home videos, dated clips, unparseable names: no title to search for; never sent to a
# provider (select_targets only takes films and episodes), counted apart in the report.
OTHER = "other"
CONFLICT_RETRIES = 5  # appends that met another machine's (shared store), read again
DEFAULT_WORKERS = 16
TOKEN_FILE = "tvdb-token.json"


@dataclass
class EnrichOptions:
    provider: str = "auto"
    limit: int | None = None
    retry_pending: bool = False
    dry_run: bool = False
    language: str = "fr-FR"
    rates: dict[str, float] = field(default_factory=dict)
    rule: Rule = field(default_factory=Rule)
    workers: int = DEFAULT_WORKERS
    timeout: float = 10.0
    retry: RetryPolicy | None = None

    def __post_init__(self) -> None:
        if self.provider not in PROVIDER_CHOICES:
            raise UsageError(f"--provider must be one of {', '.join(PROVIDER_CHOICES)}")
        if self.limit is not None and self.limit < 0:
            raise UsageError("--limit must be >= 0")
        for name, rate in self.rates.items():
            if name not in ("tmdb", "tvdb") or rate <= 0:
                raise UsageError(f"--rate {name}={rate}: expected tmdb=N or tvdb=N with N > 0")


def tuning(section: EnrichSettings, rates: Mapping[str, float]) -> dict[str, Any]:
    """What config.toml's [enrich] tunes (threshold, gap, floor, rates, timeout, retries), as
    :class:`EnrichOptions` keywords; ``rates`` (the command line's) win over the section's."""
    try:
        rule = Rule(threshold=section.threshold, gap=section.gap, floor=section.floor)
    except ValueError as exc:
        raise UsageError(f"config.toml [enrich]: {exc}") from None
    retry = None
    if section.retries is not None or section.max_wait is not None:
        retry = RetryPolicy()
        if section.retries is not None:
            retry.attempts = section.retries + 1
        if section.max_wait is not None:
            retry.max_wait = section.max_wait
    return {
        "rule": rule,
        "rates": dict(section.rates) | dict(rates),
        "timeout": section.timeout,
        "retry": retry,
    }


@dataclass
class EnrichOutcome:
    """What happened to one file (for --dry-run and the summary)."""

    file_id: str
    path: str
    outcome: str  # enriched | ambiguous | no_match | failed
    provider: str | None = None
    provider_id: str | None = None
    title: str | None = None
    year: int | None = None
    score: float | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "path": display(self.path),
            "outcome": self.outcome,
            "provider": self.provider,
            "provider_id": self.provider_id,
            "title": self.title,
            "year": self.year,
            "score": self.score,
            "reason": self.reason,
        }


@dataclass
class EnrichReport:
    run_id: str | None = None
    enriched: int = 0
    ambiguous: int = 0
    no_match: int = 0
    failed: int = 0
    skipped: int = 0
    skipped_other: int = 0  # of ``skipped``: kind ``other`` (home videos...), never searched
    requests: int = 0
    retries: int = 0
    dry_run: bool = False
    outcomes: list[EnrichOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped early (a refused key)
    conflicts: int = 0  # appends that met another machine's and were decided again

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "enriched": self.enriched,
            "ambiguous": self.ambiguous,
            "no_match": self.no_match,
            "failed": self.failed,
            "skipped": self.skipped,
            "skipped_other": self.skipped_other,
            "requests": self.requests,
            "retries": self.retries,
        }

    @property
    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.failed else EXIT_OK


def select_targets(
    targets: list[EnrichTarget], retry_pending: bool, limit: int | None
) -> tuple[list[EnrichTarget], int]:
    """The files to work on (in order) and how many were skipped."""
    todo: list[EnrichTarget] = []
    skipped = 0
    for t in targets:
        status = t.match_status
        if (
            t.extra
            or t.kind not in ("movie", "episode")
            or status in (ENRICHED, VALIDATED)
            or (status in (PENDING, REJECTED) and not retry_pending)
        ):
            skipped += 1
        elif status in (None, FAILED, PENDING, REJECTED):
            todo.append(t)
        else:
            skipped += 1
    if limit is not None and len(todo) > limit:
        skipped += len(todo) - limit
        todo = todo[:limit]
    return todo, skipped


def enrich(
    session: Workspace,
    options: EnrichOptions,
    *,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    arguments: dict[str, Any] | None = None,
    resolver: Resolver | None = None,
) -> EnrichReport:
    """``resolver``: the providers to ask (tests give in-process fakes); by default the
    TMDB and TVDB clients ``options`` and ``env`` call for."""
    env = os.environ if env is None else env
    progress = progress or Progress(None)
    report = EnrichReport(dry_run=options.dry_run)
    with session.read() as con:
        targets = enrich_targets(con)
        todo, report.skipped = select_targets(targets, options.retry_pending, options.limit)
        report.skipped_other = sum(1 for t in targets if t.kind == OTHER)
        seconds = durations(con, [t.file_id for t in todo]) if todo else {}
    storage = session.config.storage
    assert storage is not None
    run_id = ""
    if not options.dry_run:
        run = session.start_run("enrich", arguments or {"provider": options.provider})
        run_id = run.run_id
        report.run_id = run_id
    record = _Recorder(session, run_id, options.dry_run, report, options.rule, seconds)
    try:
        try:
            asyncio.run(_enrich_all(todo, Path(storage), session.home, options, env, transport,
                                    record, report, progress, seconds, resolver))  # fmt: skip
        finally:
            record.close()  # what arrived before a stop is saved
    except ProviderAuthError as exc:
        report.stopped = str(exc)
        if not options.dry_run:
            session.finish_run({**report.as_json(), "stopped": report.stopped}, exc.exit_code)
        raise
    if not options.dry_run:
        session.finish_run(report.as_json(), report.exit_code)
        session.catch_up()
    return report


class _Recorder:
    """Turns resolutions into events on the files' aggregates, in a writer thread.

    The event loop only hands outcomes over, so saving never holds up the requests. The
    writer saves what has arrived in one append (``save(*files)``): every outcome is
    saved as soon as the previous append is done, and a kill loses at most the requests
    in flight and the outcomes of the current append.
    """

    BATCH = 500

    def __init__(
        self,
        session: Workspace,
        run_id: str,
        dry_run: bool,
        report: EnrichReport,
        rule: Rule,
        durations: Mapping[str, float] | None = None,
    ) -> None:
        self.rule = rule
        self.durations = durations or {}
        self.session = session
        self.run_id = run_id
        self.dry_run = dry_run
        self.report = report
        self.error: BaseException | None = None
        self._queue: queue.SimpleQueue[tuple[EnrichTarget, Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="enrich-writer", daemon=True)
        self._thread.start()

    def resolved(self, target: EnrichTarget, resolution: Resolution) -> None:
        self._hand_over(target, resolution)

    def failed(self, target: EnrichTarget, error: ProviderError) -> None:
        self._hand_over(target, error)

    def _hand_over(self, target: EnrichTarget, outcome: Any) -> None:
        if self.error is not None:
            raise self.error
        self._queue.put((target, outcome))

    def close(self) -> None:
        """Wait for every outcome handed over to be saved; raise what the writer hit."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        done = False
        while not done:
            batch = [self._queue.get()]
            while len(batch) < self.BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            done = None in batch
            if self.error is not None:
                continue  # drain until told to stop; nothing more is recorded
            try:
                self._record([item for item in batch if item is not None])
            except BaseException as exc:  # re-raised by close() in the command's thread
                self.error = exc

    def _record(self, items: list[tuple[EnrichTarget, Any]]) -> None:
        """Apply and save one batch. On a shared store another machine may write one of
        these files between our read and our append (a version conflict): the batch is
        then read and decided again, and a file it decided meanwhile is left to it."""
        for attempt in range(1, CONFLICT_RETRIES + 1):
            counts = self._counts()
            files = [f for f in (self._apply(*item) for item in items) if f is not None]
            if self.dry_run or not files:
                return
            try:
                self.session.save(*files)
                return
            except StoreError as exc:
                if not isinstance(exc.__cause__, IntegrityError) or attempt == CONFLICT_RETRIES:
                    raise
                self._rewind(counts)
                self.report.conflicts += 1

    def _counts(self) -> tuple[int, ...]:
        r = self.report
        return (r.enriched, r.ambiguous, r.no_match, r.failed, r.skipped, len(r.outcomes))

    def _rewind(self, counts: tuple[int, ...]) -> None:
        r = self.report
        r.enriched, r.ambiguous, r.no_match, r.failed, r.skipped, kept = counts
        del r.outcomes[kept:]

    def _apply(self, target: EnrichTarget, outcome: Any) -> Any:
        file: Any = self.session.get(UUID(target.file_id))
        if file.match_status != target.match_status:
            # Decided since this run looked (another machine on a shared store): keep that.
            self.report.skipped += 1
            return None
        if isinstance(outcome, ProviderError):
            self.report.failed += 1
            self.report.outcomes.append(
                EnrichOutcome(
                    target.file_id, target.path, "failed", outcome.provider, reason=outcome.reason
                )
            )
            file.fail_enrichment(outcome.provider, outcome.reason, self.run_id)
            return file
        resolution: Resolution = outcome
        refused = set(file.rejected or ())
        if refused:
            # A candidate a person rejected for this file is never proposed again.
            ranked = tuple(
                s for s in resolution.ranked
                if candidate_key(s.candidate.provider, s.candidate.provider_id) not in refused
            )  # fmt: skip
            if len(ranked) != len(resolution.ranked):
                decision = decide([s.score for s in ranked], self.rule)
                resolution = replace(resolution, decision=decision, ranked=ranked)
        best = resolution.best
        query = {**resolution.query, "notes": list(resolution.notes)}
        candidates = [_candidate(s.candidate, s.score) for s in resolution.ranked[:5]]
        if resolution.decision is Decision.ACCEPT and best is not None:
            c = best.candidate
            self.report.enriched += 1
            short = _partial(self.durations.get(target.file_id), c.runtime)
            if short:
                query["notes"].append(short)
            self.report.outcomes.append(
                EnrichOutcome(
                    target.file_id,
                    target.path,
                    "enriched",
                    c.provider,
                    c.provider_id,
                    c.title,
                    c.year,
                    best.score,
                    short,
                )
            )
            file.enrich(_candidate(c, best.score), query, candidates, self.run_id)
            return file
        ambiguous = resolution.decision is Decision.AMBIGUOUS and bool(candidates)
        result = EnrichOutcome(target.file_id, target.path,
                               "ambiguous" if ambiguous else "no_match",
                               reason="; ".join(resolution.notes) or None)  # fmt: skip
        if best is not None:
            c = best.candidate
            result.provider, result.provider_id = c.provider, c.provider_id
            result.title, result.year, result.score = c.title, c.year, best.score
        if ambiguous:
            self.report.ambiguous += 1
        else:
            self.report.no_match += 1
        self.report.outcomes.append(result)
        file.queue_match(ambiguous, query, candidates, self.run_id)
        return file


def _partial(duration_s: float | None, runtime_min: int | None) -> str | None:
    """The flag of a file much shorter than its match, or None."""
    if duration_s is None or runtime_min is None or not looks_partial(duration_s, runtime_min):
        return None
    return (
        f"the file lasts {duration_s / 60:.0f} min, its match {runtime_min} min: "
        "a sample or an interrupted download?"
    )


def _candidate(c: Any, score: float) -> dict[str, Any]:
    return {
        "provider": c.provider,
        "provider_id": c.provider_id,
        "title": c.title,
        "original_title": c.original_title,
        "year": c.year,
        "score": score,
    }


async def _enrich_all(
    todo: list[EnrichTarget],
    storage: Path,
    home: Path,
    options: EnrichOptions,
    env: Mapping[str, str],
    transport: httpx.AsyncBaseTransport | None,
    record: _Recorder,
    report: EnrichReport,
    progress: Progress,
    seconds: Mapping[str, float],
    given: Resolver | None = None,
) -> None:
    use_nfo = options.provider in ("auto", "nfo")
    if given is not None:  # providers given (in-process fakes in tests): no HTTP client
        await _work(todo, storage, given, use_nfo, options, record, report, {}, progress,
                    seconds)  # fmt: skip
        return
    http: dict[str, ProviderHttp] = {}
    want_tmdb = options.provider in ("auto", "tmdb")
    want_tvdb = options.provider in ("auto", "tvdb")
    if options.provider == "tmdb" or (want_tmdb and tmdb.has_credentials(env)):
        http["tmdb"] = tmdb.make_http(env, rate=options.rates.get("tmdb", tmdb.DEFAULT_RATE),
                                      timeout=options.timeout, retry=options.retry,
                                      transport=transport)  # fmt: skip
    if options.provider == "tvdb" or (want_tvdb and tvdb.has_credentials(env)):
        http["tvdb"] = tvdb.make_http(env, rate=options.rates.get("tvdb", tvdb.DEFAULT_RATE),
                                      timeout=options.timeout, retry=options.retry,
                                      transport=transport)  # fmt: skip
    if options.provider == "auto" and not http:
        report.notes.append(
            "no TMDB_API_KEY / TMDB_READ_TOKEN nor TVDB_API_KEY: only NFO sidecars were read"
        )
    for h in http.values():
        await h.__aenter__()
    try:
        resolver = Resolver(
            tmdb=tmdb.TmdbClient(http["tmdb"], options.language) if "tmdb" in http else None,
            tvdb=tvdb.TvdbClient.from_env(http["tvdb"], env, token_path=home / TOKEN_FILE,
                                          language=options.language)
            if "tvdb" in http else None,
            rule=options.rule,
        )  # fmt: skip
        await _work(todo, storage, resolver, use_nfo, options, record, report, http, progress,
                    seconds)  # fmt: skip
    finally:
        for h in http.values():
            await h.aclose()
        report.requests = sum(h.stats.requests for h in http.values())
        report.retries = sum(h.stats.retries for h in http.values())


async def _work(
    todo: list[EnrichTarget],
    storage: Path,
    resolver: Resolver,
    use_nfo: bool,
    options: EnrichOptions,
    record: _Recorder,
    report: EnrichReport,
    http: dict[str, ProviderHttp],
    progress: Progress,
    seconds: Mapping[str, float],
) -> None:
    queue: asyncio.Queue[EnrichTarget] = asyncio.Queue()
    for t in todo:
        queue.put_nowait(t)
    shared: dict[tuple[Any, ...], asyncio.Task[Resolution]] = {}
    update = progress.task("enrich", total=len(todo))
    done = 0
    loop = asyncio.get_running_loop()
    started = loop.time()

    def tick(target: EnrichTarget) -> None:
        nonlocal done
        done += 1
        elapsed = max(loop.time() - started, 1e-6)
        rate = _requests(http) / elapsed
        update(done, description=f"enrich {rate:4.1f} req/s {_short(target.path)}")

    async def resolve(query: Query, ids: ExternalIds, sidecar: nfo.NfoInfo | None) -> Resolution:
        key = _key(query, ids, sidecar)
        task = shared.get(key)
        if task is None:
            task = asyncio.ensure_future(resolver.resolve(query, ids, sidecar))
            shared[key] = task
        return await asyncio.shield(task)

    async def one(target: EnrichTarget) -> None:
        kind = SERIES if target.kind == "episode" else MOVIE
        if not resolver.online and not use_nfo:
            report.skipped += 1
            return
        if resolver.online and not resolver.handles(kind) and not use_nfo:
            report.skipped += 1  # --provider tvdb does not match films
            return
        ids = extract_ids(target.path)
        sidecar, reason = _sidecar(storage, target.path, kind) if use_nfo else (None, None)
        if not resolver.online and sidecar is None and reason is None:
            report.skipped += 1  # offline, and nothing beside the file to read
            return
        # The duration is evidence for a film only (providers give no episode runtime).
        duration = seconds.get(target.file_id) if kind == MOVIE else None
        query = Query(title=target.title or "", year=target.year, kind=kind,
                      duration=duration / 60.0 if duration else None)  # fmt: skip
        try:
            resolution = await resolve(query, ids, sidecar)
            if resolution.decision != Decision.ACCEPT and kind == MOVIE:
                # "Blade.Runner.2049": the name reads two ways; the provider decides
                for title, year in target.alternatives:
                    other = await resolve(replace(query, title=title, year=year), ids, sidecar)
                    if other.decision == Decision.ACCEPT:
                        note = f"matched by another reading of the name: {title!r}"
                        resolution = replace(other, notes=(*other.notes, note))
                        break
        except ProviderError as exc:
            record.failed(target, exc)
            return
        if reason:
            resolution = Resolution(resolution.decision, resolution.provider, resolution.ranked,
                                    resolution.query, (*resolution.notes, reason))  # fmt: skip
        record.resolved(target, resolution)

    async def worker() -> None:
        while True:
            try:
                target = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                await one(target)
            finally:
                tick(target)

    workers = [asyncio.ensure_future(worker()) for _ in range(max(1, options.workers))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for w in workers:
            w.cancel()
        for pending in shared.values():
            pending.cancel()
        await asyncio.gather(*workers, *shared.values(), return_exceptions=True)
        raise


def _requests(http: dict[str, ProviderHttp]) -> int:
    return sum(h.stats.requests for h in http.values())


def _short(path: str, width: int = 50) -> str:
    shown = display(path)
    return shown if len(shown) <= width else "…" + shown[-(width - 1) :]


def _key(query: Query, ids: ExternalIds, sidecar: nfo.NfoInfo | None) -> tuple[Any, ...]:
    """Episodes of one show (same title, year, ids, sidecar) share one resolution; films
    of one title but another duration do not (the runtime may tell them apart)."""
    return (query.kind, normalize_title(query.title), query.year, ids,
            sidecar.path if sidecar else None, query.duration)  # fmt: skip


def _sidecar(storage: Path, relative: str, kind: str) -> tuple[nfo.NfoInfo | None, str | None]:
    """The first usable NFO sidecar, or why the ones found were refused."""
    reasons = []
    for path in nfo.sidecars(storage, relative, kind):
        try:
            info = nfo.read_nfo(path)
        except nfo.NfoError as exc:
            reasons.append(f"{exc.path.name}: {exc.reason}")
            continue
        if info.kind in (None, kind) or (kind == SERIES and info.kind == "episode"):
            return info, None
    return None, "; ".join(reasons) or None
