"""``check``: integrity in both directions, and fingerprint verification.

Flow: the roots as ``init`` recorded them (``linkscan.roots_of``) -> make sure they are
reachable (``adapters.scanner.root_problem``: an unmounted share is said once, not listed
file by file) -> start the walk of the video tree (``adapters.linkscan.VideoTreeWalk``: GNU
``find`` in its own process, else the Python walk) -> read the catalog from the projection
(``open_session`` caught it up, so a stale projection is never taken for findings) -> walk
storage (``adapters.scanner``) -> ``domain.integrity`` decides what disagrees -> with
``--verify-hash`` re-read each file (``adapters.reread``: sampled fingerprint; the whole
file too with ``--full``) and compare by ``domain.integrity.compare``; a file with
something to record (a mismatch, a first full hash) is read from the store and records it
by ``MediaFile.verify`` -> record the run: its findings (``FindingsRecorded``), its
verifications (the matches in bulk on the run, ``HashesVerified``; a mismatch or a first
full hash on its file, ``HashVerified``, ``FullHashRecorded``) and its summary -> catch
the projection up, so the ``integrity_*`` views show this check. ``check`` changes no file.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from videotheque.commands.adapters.fingerprint import ALGORITHM, FULL_ALGORITHM
from videotheque.commands.adapters.linkscan import LinkScan, VideoTreeWalk, really_inside, roots_of
from videotheque.commands.adapters.reread import Read, reread
from videotheque.commands.adapters.scanner import ScanError, root_problem, scan_storage
from videotheque.commands.errors import StoreConflictError
from videotheque.commands.ports import Workspace
from videotheque.commands.progress import Progress
from videotheque.domain import integrity
from videotheque.domain.errors import DomainError
from videotheque.domain.link_plan import LOOP, MISSING, UNREADABLE
from videotheque.domain.media_file import MediaFile
from videotheque.domain.paths import display
from videotheque.projections.integrity import (
    VerifyTarget,
    catalogued_paths,
    duplicates,
    file_ids,
    verify_targets,
)
from videotheque.projections.media import unreadable_media

FINDINGS_PER_EVENT = 1000  # a long list of findings is recorded in several events
VERIFY_BATCH = 5000  # files verified per write to the store
EVENTS_PER_WRITE = 10  # findings events of a run appended at once (~100 KB each)
HASH_THREADS = 4  # a cold disk or a network share serves several reads at once

_Reading = Read[VerifyTarget]  # one file re-read for verification

# Keys holding a path (stored form) in a finding: turned into the display form for people.
_PATH_KEYS = ("path", "link", "target")


@dataclass
class CheckReport:
    """What one check found. Paths are kept in the stored form (relative to their root,
    ``os.fsdecode`` strings); ``as_json`` gives the display form."""

    verify_hash: bool = False
    full: bool = False
    run_id: str | None = None
    findings: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {c: [] for c in integrity.CATEGORIES}
    )
    unreadable_media: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    unreachable: list[dict[str, Any]] = field(default_factory=list)
    files: int = 0
    links: int = 0
    verified: int = 0
    verified_bytes: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def found(self) -> int:
        return sum(len(v) for v in self.findings.values()) + len(self.unreadable_media)

    @property
    def exit_code(self) -> int:
        return integrity.exit_code(self.found, len(self.errors), len(self.unreachable))

    @property
    def summary(self) -> dict[str, Any]:
        s: dict[str, Any] = {c: len(self.findings[c]) for c in integrity.CATEGORIES}
        s["files"] = self.files
        s["links"] = self.links
        s["verified"] = self.verified
        s["verified_bytes"] = self.verified_bytes
        s["unreadable_media"] = len(self.unreadable_media)
        s["errors"] = len(self.errors)
        s["unreachable"] = len(self.unreachable)
        return s

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"run_id": self.run_id, "summary": self.summary}
        for category in integrity.CATEGORIES:
            out[category] = [_shown(item) for item in self.findings[category]]
        out["unreadable_media"] = [_shown(item) for item in self.unreadable_media]
        out["errors"] = [_shown(item) for item in self.errors]
        out["unreachable"] = [_shown(item) for item in self.unreachable]
        return out


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    out = dict(item)
    for key in _PATH_KEYS:
        if isinstance(out.get(key), str):
            out[key] = display(out[key])
    if isinstance(out.get("paths"), list):
        out["paths"] = [display(p) for p in out["paths"]]
    return out


# ---- the use case ---------------------------------------------------------------------------


def check_library(
    session: Workspace,
    *,
    verify_hash: bool = False,
    full: bool = False,
    oldest: int | None = None,
    progress: Progress | None = None,
    arguments: dict[str, Any] | None = None,
    threads: int = HASH_THREADS,
) -> CheckReport:
    """Check the library of ``session``; record the run and its findings."""
    started = time.perf_counter()
    verify_hash = verify_hash or full or oldest is not None
    report = CheckReport(verify_hash=verify_hash, full=full)
    progress = progress or Progress(None)
    clock = _Clock(report.timings)
    arguments = arguments or {"verify_hash": verify_hash, "full": full, "oldest": oldest}
    check = _Check(session, report, progress, clock)
    targets, on_disk = check.observe(arguments, oldest_first=oldest is not None)

    if verify_hash and on_disk:
        chosen = [t for t in targets if t.path in on_disk]
        if oldest is not None:
            chosen = chosen[:oldest]
        _verify(session, report, check.storage, chosen, on_disk, full, progress, threads)
        clock("verify")

    _record_findings(session, report)
    session.finish_run(report.summary, report.exit_code)
    session.catch_up()
    clock("record")
    report.seconds = time.perf_counter() - started
    return report


class _Check:
    """The observing part of a check: the catalog, both roots, both walks."""

    def __init__(
        self, session: Workspace, report: CheckReport, progress: Progress, clock: _Clock
    ) -> None:
        config = session.config
        self.session, self.report, self.progress, self.clock = session, report, progress, clock
        self.config = config
        self.roots = roots_of(config)
        self.storage = self.roots.storage
        self.video = self.roots.video
        self.exts = {"." + e.lower().lstrip(".") for e in config.extensions}

    def observe(
        self, arguments: dict[str, Any], oldest_first: bool
    ) -> tuple[list[VerifyTarget], dict[str, tuple[int, float]]]:
        """Fill the report's findings but hash mismatches; start the run. Returns what a
        verification needs: the catalogued paths, the video files on disk."""
        storage, video, report = self.storage, self.video, self.report
        problem = root_problem(storage, must_have_entries=False)
        vproblem = root_problem(video, must_have_entries=False)
        links: VideoTreeWalk | None = None
        if problem is None and vproblem is None:
            links = VideoTreeWalk(self.roots)  # runs beside what follows
        try:
            with self.session.read() as con:
                targets = (
                    verify_targets(con, report.full, oldest_first) if report.verify_hash else []
                )
                catalogued = (
                    {t.path for t in targets} if report.verify_hash else catalogued_paths(con)
                )
                report.findings[integrity.DUPLICATES] = duplicates(con)
                report.unreadable_media = unreadable_media(con)
            self.clock("catalog")
            report.run_id = self.session.start_run("check", arguments).run_id

            if problem is None and catalogued:  # empty while files are catalogued: unmounted?
                problem = root_problem(storage, must_have_entries=True)
            on_disk: dict[str, tuple[int, float]] = {}
            if problem is not None:
                reason = f"storage root {problem}"
                report.unreachable.append({"root": "storage", "path": storage, "reason": reason})
            else:
                on_disk = self._storage(catalogued)
                self.clock("storage")
            if vproblem is not None:
                reason = f"video root {vproblem}"
                report.unreachable.append({"root": "video", "path": video, "reason": reason})
            if links is not None:
                scan = links.result()
                if not report.unreachable:
                    _check_links(report, scan, storage, catalogued, self.exts)
                self.clock("links")
        finally:
            if links is not None:
                links.close()
        return targets, on_disk

    def _storage(self, catalogued: set[str]) -> dict[str, tuple[int, float]]:
        """Walk storage; fill ghosts, orphans and errors; return the video files on disk
        with their size and mtime."""
        report, storage = self.report, self.storage
        scan = scan_storage(
            storage,
            self.config.extensions,
            min_age=self.config.min_age,
            on_file=self.progress.task("storage"),
        )
        if "" in scan.unreadable_dirs:
            reason = f"storage root {display(storage)} cannot be listed"
            report.unreachable.append({"root": "storage", "path": storage, "reason": reason})
            return {}
        on_disk = dict(scan.files)
        on_disk.update(scan.recent)  # still being written: present, not an orphan yet
        unseen = {e.path for e in scan.errors}  # there, but not a plain readable video file

        def unknown(path: str) -> bool:
            return path in unseen or scan.is_under_unreadable(path)

        report.files = len(on_disk)
        ghosts = integrity.ghosts(catalogued, on_disk, unknown)
        if ghosts:
            with self.session.read() as con:
                ids = file_ids(con, ghosts)
            report.findings[integrity.GHOSTS] = [{"path": p, "file_id": ids.get(p)} for p in ghosts]
        report.findings[integrity.ORPHANS] = [
            {"path": path} for path in integrity.orphans(scan.files, catalogued)
        ]
        report.errors.extend(_error(e) for e in scan.errors)
        return on_disk


class _Clock:
    """Seconds spent in each phase (kept in the report: the benchmark prints them)."""

    def __init__(self, into: dict[str, float]) -> None:
        self._into = into
        self._last = time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        self._into[phase] = self._into.get(phase, 0.0) + now - self._last
        self._last = now


def _error(e: ScanError, root: str = "storage") -> dict[str, Any]:
    return {"path": e.path, "reason": e.reason, "root": root}


# ---- the video tree: broken and stray links --------------------------------------------------


def _check_links(
    report: CheckReport,
    scan: LinkScan,
    storage: str,
    catalogued: set[str],
    exts: set[str],
) -> None:
    """Broken links (missing target, loop) and stray ones (outside storage, or a video
    file the catalog does not know) from the walk of the video tree."""
    report.links = len(scan.links)
    broken: list[dict[str, Any]] = []
    stray: list[dict[str, Any]] = []
    real_storage = os.path.realpath(storage)
    for entry in scan.links:
        if entry.problem in _BROKEN:
            broken.append(
                {"link": entry.link, "target": entry.target, "reason": _BROKEN[entry.problem]}
            )
        elif entry.problem == UNREADABLE:
            report.errors.append(
                {"path": entry.link, "reason": "cannot follow the link", "root": "video"}
            )
        elif entry.problem is not None or entry.target_path not in catalogued:
            reason = _stray_reason(scan.root, entry.link, storage, real_storage, catalogued, exts)
            if reason is not None:
                stray.append({"link": entry.link, "target": entry.target, "reason": reason})
    report.findings[integrity.BROKEN_LINKS] = broken
    report.findings[integrity.STRAY_LINKS] = stray
    report.errors.extend(
        {"path": path, "reason": reason, "root": "video"} for path, reason in scan.errors
    )


_BROKEN = {MISSING: integrity.MISSING_TARGET, LOOP: integrity.LOOP}


def _stray_reason(
    video: str,
    link: str,
    storage: str,
    real_storage: str,
    catalogued: set[str],
    exts: set[str],
) -> str | None:
    """Settle what the walk's string operations could not, by the kernel's rules: a link
    to a link, a folder, a file that is not video, a path through a symlinked folder."""
    inside = really_inside(f"{video}/{link}", real_storage, storage)
    is_dir = os.path.isdir(f"{video}/{link}")

    def is_video(rel: str) -> bool:
        return os.path.splitext(rel)[1].lower() in exts

    return integrity.stray_reason(inside, is_dir, catalogued, is_video)


# ---- verification: re-read each file and compare it with the catalog ------------------


class _Verifier:
    """Turns reads into verifications and records them a batch at a time: the events of
    the files that have some (a mismatch, a first full hash: ``MediaFile.verify``), then
    the matches in bulk on the run."""

    def __init__(
        self,
        session: Workspace,
        report: CheckReport,
        run_id: str,
        full: bool,
        disk: dict[str, tuple[int, float]],
    ) -> None:
        self.session = session
        self.report = report
        self.run_id = run_id
        self.disk = disk
        self.full_algorithm = FULL_ALGORITHM if full else None
        # file id -> (full hash, full algorithm) after the events appended so far
        self.state: dict[str, tuple[str | None, str | None]] = {}
        self.quiet: list[tuple[_Reading, integrity.Verification]] = []  # matches, no event
        self.reads: list[_Reading] = []  # the reads whose file records an event
        self.loud: set[str] = set()  # their file ids

    def add(self, r: _Reading) -> None:
        t = r.target
        if r.fingerprint is None:
            self.report.errors.append({"path": t.path, "reason": r.error, "root": "storage"})
            return
        if t.algorithm != ALGORITHM:
            reason = f"fingerprint {t.algorithm!r} cannot be verified by this version"
            self.report.errors.append({"path": t.path, "reason": reason, "root": "storage"})
            return
        if t.file_id not in self.loud:
            # The rule MediaFile.verify applies: most contents match and make no event,
            # so they need no aggregate either.
            known = self.state.get(t.file_id)
            fh, fa = known if known else (t.full_hash, t.full_algorithm)
            v = integrity.compare(
                t.path, t.fingerprint, r.fingerprint, fh, fa, r.full_hash, self.full_algorithm
            )
            if v.ok and v.full != "recorded":
                self.quiet.append((r, v))
                if len(self.quiet) + len(self.reads) >= VERIFY_BATCH:
                    self.flush()
                return
            self.loud.add(t.file_id)
        self.reads.append(r)
        if len(self.quiet) + len(self.reads) >= VERIFY_BATCH:
            self.flush()

    def flush(self) -> None:
        outcomes: list[tuple[_Reading, integrity.Verification | None]] = list(self.quiet)
        if self.reads:
            outcomes += self._record_events()
        matched = []
        for r, v in outcomes:
            if v is None:  # the path left this file meanwhile (another writer)
                reason = "changed in the catalog during the check"
                self.report.errors.append(
                    {"path": r.target.path, "reason": reason, "root": "storage"}
                )
            elif self._count(r, v):
                matched.append({"file_id": r.target.file_id, "path": r.target.path, "full": v.full})
        run = self.session.run
        assert run is not None
        for i in range(0, len(matched), FINDINGS_PER_EVENT):
            run.record_verifications(matched[i : i + FINDINGS_PER_EVENT])
        if matched:
            self.session.save(run)
        self.quiet, self.reads, self.loud = [], [], set()

    def _record_events(self) -> list[tuple[_Reading, integrity.Verification | None]]:
        """Verify the reads whose files record an event on those files' aggregates, read
        from the store, and append the events. When another writer appended to one of
        them meanwhile (a shared store), the batch is redone on aggregates read again."""
        ids = list(dict.fromkeys(r.target.file_id for r in self.reads))
        aggs = self._load(ids)
        outcomes = self._apply(aggs, self.reads)
        try:
            self.session.save(*aggs.values())
        except StoreConflictError:
            # Another writer appended to some of these files (a shared store): redo them
            # on aggregates loaded from the store.
            aggs = self._load(ids)
            outcomes = self._apply(aggs, self.reads)
            self.session.save(*aggs.values())
        for fid, agg in aggs.items():
            self.state[fid] = (agg.full_hash, agg.full_algorithm)
        return outcomes

    def _load(self, ids: list[str]) -> dict[str, MediaFile]:
        return {fid: self.session.get(UUID(fid)) for fid in ids}

    def _apply(
        self, aggs: dict[str, MediaFile], reads: list[_Reading]
    ) -> list[tuple[_Reading, integrity.Verification | None]]:
        out: list[tuple[_Reading, integrity.Verification | None]] = []
        for r in reads:
            assert r.fingerprint is not None
            try:
                v = aggs[r.target.file_id].verify(
                    r.target.path, r.fingerprint, self.run_id, r.full_hash, self.full_algorithm
                )
            except DomainError:
                v = None
            out.append((r, v))
        return out

    def _count(self, r: _Reading, v: integrity.Verification) -> bool:
        """Add one outcome to the report; True when the content matched."""
        t = r.target
        self.report.verified += 1
        self.report.verified_bytes += r.size if r.full_hash is not None else 0
        if v.ok:
            return True
        self.report.findings[integrity.HASH_MISMATCHES].append(
            {
                "path": t.path,
                "expected": v.expected,
                "actual": v.actual,
                "file_id": t.file_id,
                "mismatch": v.mismatch,
                # the content changed but not its mtime: bit rot, not an edit
                "mtime_changed": self.disk.get(t.path, (0, t.mtime))[1] != t.mtime,
            }
        )
        return False


def _verify(
    session: Workspace,
    report: CheckReport,
    storage: str,
    targets: list[VerifyTarget],
    disk: dict[str, tuple[int, float]],
    full: bool,
    progress: Progress,
    threads: int,
) -> None:
    assert report.run_id is not None
    verifier = _Verifier(session, report, report.run_id, full, disk)
    tick = progress.task("verify", total=len(targets))
    for i, r in enumerate(reread(storage, targets, full, threads), 1):
        verifier.add(r)
        if i % 1024 == 0:
            tick(i)
    verifier.flush()
    tick(len(targets))
    report.findings[integrity.HASH_MISMATCHES].sort(key=lambda m: m["path"])


# ---- recording --------------------------------------------------------------------------------


def _record_findings(session: Workspace, report: CheckReport) -> None:
    """Each category's findings as ``FindingsRecorded`` events of the run (hash mismatches
    are recorded by the files' ``HashVerified`` events)."""
    run = session.run
    assert run is not None
    lists: list[tuple[str, list[dict[str, Any]]]] = [
        (c, report.findings[c]) for c in integrity.CATEGORIES if c != integrity.HASH_MISMATCHES
    ]
    lists += [
        ("unreadable_media", report.unreadable_media),
        ("errors", report.errors),
        ("unreachable", report.unreachable),
    ]
    for category, items in lists:
        for i in range(0, len(items), FINDINGS_PER_EVENT):
            run.record_findings(category, items[i : i + FINDINGS_PER_EVENT])
            if len(run.pending_events) >= EVENTS_PER_WRITE:
                session.save(run)
    # what is left is written with the run's end (``finish_run``): one write
