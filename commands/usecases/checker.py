"""``check``: integrity in both directions, and fingerprint verification.

Flow: make sure the roots are reachable (an unmounted share is said once, not listed
file by file) -> start the walk of the video tree (GNU ``find`` in its own process, else
``commands.adapters.linkscan``) -> read the catalog from the projection (``open_session`` caught
it up, so a stale projection is never taken for findings) -> walk storage
(``commands.adapters.scanner``) -> ``domain.integrity`` decides what disagrees -> with
``--verify-hash`` re-read each file (sampled fingerprint; the whole file too with
``--full``) and compare by ``domain.integrity.compare``, through the file's ``MediaFile``
when there is something to record -> record the run: its findings
(``FindingsRecorded``), its verifications (the matches in bulk on the run,
``HashesVerified``; a mismatch or a first full hash on its file, ``HashVerified``,
``FullHashRecorded``) and its summary -> catch the projection up, so the ``integrity_*``
views show this check. ``check`` changes no file.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from videotheque.commands.adapters.fingerprint import (
    ALGORITHM,
    FULL_ALGORITHM,
    PROCESS_THRESHOLD,
    fingerprint_fd,
    full_hash,
    worker_pool_context,
)
from videotheque.commands.adapters.linkscan import (
    LinkEntry,
    LinkScan,
    Roots,
    really_inside,
    resolve_text,
    scan_links,
)
from videotheque.commands.adapters.scanner import ScanError, scan_storage
from videotheque.commands.bootstrap import Session
from videotheque.commands.errors import StoreConflictError
from videotheque.commands.progress import Progress
from videotheque.domain import integrity
from videotheque.domain.errors import DomainError
from videotheque.domain.link_plan import LOOP, MISSING, OUTSIDE, UNREADABLE
from videotheque.domain.media_file import MediaFile
from videotheque.domain.paths import display, relative_to
from videotheque.projections.integrity import (
    VerifyTarget,
    catalogued_paths,
    duplicates,
    file_ids,
    verify_targets,
    versions,
)
from videotheque.projections.media import unreadable_media

FINDINGS_PER_EVENT = 1000  # a long list of findings is recorded in several events
VERIFY_BATCH = 5000  # files verified per write to the store
EVENTS_PER_WRITE = 10  # findings events of a run appended at once (~100 KB each)
HASH_CHUNK = 128  # paths one hashing task reads
HASH_THREADS = 4  # a cold disk or a network share serves several reads at once

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
    session: Session,
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
        self, session: Session, report: CheckReport, progress: Progress, clock: _Clock
    ) -> None:
        config = session.config
        assert config.storage is not None
        self.session, self.report, self.progress, self.clock = session, report, progress, clock
        self.config = config
        self.storage = _absolute(config.storage)
        self.video = _absolute(config.video) if config.video is not None else None
        self.exts = {"." + e.lower().lstrip(".") for e in config.extensions}

    def observe(
        self, arguments: dict[str, Any], oldest_first: bool
    ) -> tuple[list[VerifyTarget], dict[str, tuple[int, float]]]:
        """Fill the report's findings but hash mismatches; start the run. Returns what a
        verification needs: the catalogued paths, the video files on disk."""
        storage, video, report = self.storage, self.video, self.report
        problem = root_problem(storage, must_have_entries=False)
        vproblem = root_problem(video, must_have_entries=False) if video is not None else None
        links: VideoTreeWalk | None = None
        if problem is None and video is not None and vproblem is None:
            trash = self.config.trash
            roots = Roots.of(storage, video, _absolute(trash) if trash else storage)
            links = VideoTreeWalk(roots)  # runs beside what follows
        try:
            with self.session.projector.connect() as con:
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
            if vproblem is not None and video is not None:
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
            with self.session.projector.connect() as con:
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


def _absolute(path: os.PathLike[str] | str) -> str:
    return os.fsdecode(os.path.abspath(os.fsencode(path)))


def root_problem(root: str, must_have_entries: bool) -> str | None:
    """Why ``root`` cannot be checked (missing, not a folder, unreadable, or empty when it
    should hold files: an unmounted share), or None."""
    shown = display(root)
    if not os.path.lexists(root):
        return f"{shown} does not exist (unmounted share?)"
    if not os.path.isdir(root):
        return f"{shown} is not a folder"
    try:
        with os.scandir(root) as it:
            empty = next(it, None) is None
    except OSError as exc:
        return f"{shown} is unreadable ({exc.strerror or type(exc).__name__})"
    if empty and must_have_entries:
        return f"{shown} is empty (unmounted share?)"
    return None


def _error(e: ScanError, root: str = "storage") -> dict[str, Any]:
    return {"path": e.path, "reason": e.reason, "root": root}


# ---- the video tree: broken and stray links --------------------------------------------------


class VideoTreeWalk:
    """The walk of the video tree, started now and collected later: by GNU ``find`` when
    there is one, in its own process, while this one walks storage (a second thread
    would take turns with the storage walk for the interpreter: slower than one after the
    other); else, when collected, by ``commands.adapters.linkscan.scan_links`` itself."""

    def __init__(self, roots: Roots) -> None:
        self.roots = roots
        self._find = _FindRun.start(roots)

    def result(self) -> LinkScan:
        found = self._find.result() if self._find is not None else None
        self._find = None
        return found if found is not None else scan_links(self.roots)

    def close(self) -> None:
        if self._find is not None:
            self._find.close()
            self._find = None


def walk_video_tree(roots: Roots) -> LinkScan:
    """Every symlink under the video root, as ``adapters.linkscan.scan_links`` sees them."""
    return VideoTreeWalk(roots).result()


def find_links(roots: Roots) -> LinkScan | None:
    """``scan_links`` by GNU ``find`` (None when there is no find that can do it)."""
    run = _FindRun.start(roots)
    return run.result() if run is not None else None


# find's %Y (the type of what a link leads to) -> linkscan's problem
_FIND_TYPES = {"N": MISSING, "L": LOOP, "?": UNREADABLE}


class _FindRun:
    """``find -H ROOT -type l -printf '%P %Y %l'`` writing to temporary files."""

    def __init__(self, roots: Roots, proc: subprocess.Popen[bytes], out: Any, err: Any) -> None:
        self.roots, self.proc, self.out, self.err = roots, proc, out, err

    @classmethod
    def start(cls, roots: Roots) -> _FindRun | None:
        exe = shutil.which("find")
        if exe is None:
            return None
        # closed by result() or close(): they outlive this call, no context manager fits
        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115
        try:
            proc = subprocess.Popen(
                [exe, "-H", roots.video, "-type", "l", "-printf", "%P\\0%Y\\0%l\\0"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env={**os.environ, "LC_ALL": "C"},
            )
        except OSError:
            out.close()
            err.close()
            return None
        return cls(roots, proc, out, err)

    def result(self) -> LinkScan | None:
        """The links, as ``scan_links`` gives them: the text resolved lexically from the
        real folder the link sits in, made relative to storage, its problem from find's
        follow. None when find could not do it (not GNU find: no -printf)."""
        try:
            code = self.proc.wait()
            self.out.seek(0)
            self.err.seek(0)
            out, err = self.out.read(), self.err.read()
        finally:
            self.out.close()
            self.err.close()
        if code != 0 and not out:
            return None  # walk in Python: it says what it could not read
        return _parse_find(self.roots, out, err)

    def close(self) -> None:
        """Stop find if it still runs (the check failed before collecting it)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()
        self.err.close()


def _parse_find(roots: Roots, out: bytes, err: bytes) -> LinkScan:
    scan = LinkScan(root=roots.video)
    parts = out.split(b"\0")
    cache: dict[tuple[str, str], tuple[str, str | None]] = {}
    real_video = roots.real_video
    links = scan.links
    for i in range(0, len(parts) - 2, 3):
        rel = parts[i].decode("utf-8", "surrogateescape")
        text = parts[i + 2].decode("utf-8", "surrogateescape")
        parent, _, _ = rel.rpartition("/")
        head, _, tail = text.rpartition("/")
        if tail in ("", ".", ".."):
            real_dir = f"{real_video}/{parent}" if parent else real_video
            resolved = resolve_text(text, real_dir)
            target_path = roots.storage_relative(resolved)
        else:
            absolute = text.startswith("/")
            key = ("/" if absolute else parent, head)
            hit = cache.get(key)
            if hit is None:
                if absolute:
                    rdir = resolve_text(head or "/", "/")
                else:
                    real_dir = f"{real_video}/{parent}" if parent else real_video
                    rdir = resolve_text(head, real_dir) if head else real_dir
                hit = cache[key] = (rdir, _storage_dir(roots, rdir))
            rdir, sdir = hit
            resolved = rdir + "/" + tail if rdir != "/" else "/" + tail
            if sdir is None:
                target_path = None
            elif sdir:
                target_path = f"{sdir}/{tail}"
            else:
                target_path = tail
        problem = _FIND_TYPES.get(parts[i + 1].decode("ascii", "replace"))
        if problem is None and target_path is None:
            problem = OUTSIDE
        links.append(LinkEntry(rel, text, resolved, target_path, problem))
    for line in err.decode("utf-8", "surrogateescape").splitlines():
        scan.errors.append((_find_error_path(line, roots.video), line.split(": ")[-1]))
    links.sort(key=lambda e: e.link)
    return scan


def _storage_dir(roots: Roots, folder: str) -> str | None:
    """``folder`` relative to the storage root ("" for the root itself), or None."""
    rel = relative_to(folder, roots.real_storage)
    if rel is None and roots.storage != roots.real_storage:
        rel = relative_to(folder, roots.storage)
    return rel


def _find_error_path(line: str, root: str) -> str:
    """The path, relative to ``root``, in a message such as ``find: '/v/x': Permission
    denied`` (the whole line when it names none)."""
    start, end = line.find("'"), line.rfind("'")
    if 0 <= start < end:
        path = line[start + 1 : end]
        rel = relative_to(path, root)
        return (rel or ".") if rel is not None else path
    return line


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


@dataclass
class _Read:
    target: VerifyTarget
    fingerprint: str | None
    full_hash: str | None
    size: int
    error: str | None


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_ADVISE = hasattr(os, "posix_fadvise")


def _open_regular(path: str) -> tuple[int, int]:
    """An fd on the regular file at ``path`` and its size (a FIFO or a link swapped in
    since the walk is refused, never waited on)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def _read_sampled(path: str) -> tuple[str, None, int]:
    """The sampled fingerprint (``commands.adapters.fingerprint``'s scheme). Unlike an import's
    reads, the pages are left to the kernel's LRU: a check is re-run (a nightly
    ``--oldest N``) and a warm re-read is ten times faster than a cold one; RANDOM advice
    keeps readahead from reading megabytes around each chunk."""
    fd, size = _open_regular(path)
    try:
        if _ADVISE:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
        return fingerprint_fd(fd, size), None, size
    finally:
        os.close(fd)


def _read_full(path: str) -> tuple[str, str, int]:
    """The sampled fingerprint and the whole-file hash (the sampled chunks come back from
    the page cache for the full read)."""
    fd, size = _open_regular(path)
    try:
        fp = fingerprint_fd(fd, size)
    finally:
        os.close(fd)
    return fp, full_hash(path), size


def _read_chunk(storage: str, chunk: Sequence[VerifyTarget], full: bool) -> list[_Read]:
    read = _read_full if full else _read_sampled
    out = []
    for t in chunk:
        try:
            fp, fh, size = read(f"{storage}/{t.path}")
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            out.append(_Read(t, None, None, 0, f"cannot read: {why}"))
            continue
        out.append(_Read(t, fp, fh, size, None))
    return out


def _reads(
    storage: str, targets: Sequence[VerifyTarget], full: bool, threads: int
) -> Iterator[_Read]:
    """Read the targets in a few workers (the disk serves several reads at once) while the
    caller records what was read; results come back in order, a bounded window ahead.

    Sampled reads of many files go to worker processes, as the import's fingerprints do:
    threads hashing cached files hand the GIL over at every system call (30,000 cached
    files on two cores: 10,500 files/s in four threads, 17,500 in one). Whole-file reads
    (``full``) stay in threads: they read megabytes between two system calls. If the
    process pool cannot start or breaks, the rest is read in threads."""
    chunks = [targets[i : i + HASH_CHUNK] for i in range(0, len(targets), HASH_CHUNK)]
    if threads <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield from _read_chunk(storage, chunk, full)
        return
    done = 0
    if not full and len(targets) >= PROCESS_THRESHOLD:
        workers = max(threads, os.cpu_count() or 1)
        try:
            with ProcessPoolExecutor(workers, mp_context=worker_pool_context()) as processes:
                for reads in _in_order(processes, storage, chunks, full, workers):
                    done += 1
                    yield from reads
            return
        except (BrokenProcessPool, OSError):
            pass  # the rest in threads
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for reads in _in_order(pool, storage, chunks[done:], full, threads):
            yield from reads


def _in_order(
    pool: Executor,
    storage: str,
    chunks: Sequence[Sequence[VerifyTarget]],
    full: bool,
    workers: int,
) -> Iterator[list[_Read]]:
    """Each chunk's reads, in order, with at most ``2 * workers`` chunks in flight."""
    window: deque[Future[list[_Read]]] = deque()
    pending = iter(chunks)
    for chunk in pending:
        window.append(pool.submit(_read_chunk, storage, chunk, full))
        if len(window) >= workers * 2:
            break
    while window:
        done = window.popleft().result()
        nxt = next(pending, None)
        if nxt is not None:
            window.append(pool.submit(_read_chunk, storage, nxt, full))
        yield done


def _stub(t: VerifyTarget, version: int, full: tuple[str | None, str | None]) -> MediaFile:
    """The MediaFile as the caught-up catalog knows it, without replaying its events: what
    ``verify`` reads (fingerprint, full hash, the path) and its version, so the new events
    follow the stored ones. A stale version makes the append fail; the batch is then
    redone on aggregates loaded from the store."""
    agg = object.__new__(MediaFile)
    agg.__base_init__(UUID(t.file_id), version, None)  # type: ignore[arg-type]
    agg.fingerprint = t.fingerprint
    agg.algorithm = t.algorithm
    agg.paths = {}
    agg.full_hash, agg.full_algorithm = full
    return agg


class _Verifier:
    """Turns reads into verifications and records them a batch at a time: the events of
    the files that have some (a mismatch, a first full hash: ``MediaFile.verify``), then
    the matches in bulk on the run."""

    def __init__(
        self,
        session: Session,
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
        # file id -> (version, full hash, full algorithm) after the events appended so far
        self.state: dict[str, tuple[int, str | None, str | None]] = {}
        self.quiet: list[tuple[_Read, integrity.Verification]] = []  # matches, no event
        self.reads: list[_Read] = []  # the reads whose file records an event
        self.loud: set[str] = set()  # their file ids

    def add(self, r: _Read) -> None:
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
            fh, fa = (known[1], known[2]) if known else (t.full_hash, t.full_algorithm)
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
        outcomes: list[tuple[_Read, integrity.Verification | None]] = list(self.quiet)
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

    def _record_events(self) -> list[tuple[_Read, integrity.Verification | None]]:
        """Verify the reads whose files record an event on those files' aggregates, and
        append the events."""
        ids = {r.target.file_id for r in self.reads}
        unknown = [fid for fid in ids if fid not in self.state]
        with self.session.projector.connect() as con:
            stored = versions(con, unknown) if unknown else {}
        aggs: dict[str, MediaFile] = {}
        for r in self.reads:
            t = r.target
            if t.file_id not in aggs:
                known = self.state.get(t.file_id)
                if known is None:
                    known = (stored.get(t.file_id, 0), t.full_hash, t.full_algorithm)
                aggs[t.file_id] = _stub(t, known[0], (known[1], known[2]))
            aggs[t.file_id].paths[t.path] = t.mtime
        outcomes = self._apply(aggs, self.reads)
        try:
            self.session.save(*aggs.values())
        except StoreConflictError:
            # Another writer appended to some of these files (a shared store): redo them
            # on aggregates loaded from the store.
            aggs = {fid: self.session.get(UUID(fid)) for fid in ids}
            outcomes = self._apply(aggs, self.reads)
            self.session.save(*aggs.values())
        for fid, agg in aggs.items():
            self.state[fid] = (agg.version, agg.full_hash, agg.full_algorithm)
        return outcomes

    def _apply(
        self, aggs: dict[str, MediaFile], reads: list[_Read]
    ) -> list[tuple[_Read, integrity.Verification | None]]:
        out: list[tuple[_Read, integrity.Verification | None]] = []
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

    def _count(self, r: _Read, v: integrity.Verification) -> bool:
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
    session: Session,
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
    for i, r in enumerate(_reads(storage, targets, full, threads), 1):
        verifier.add(r)
        if i % 1024 == 0:
            tick(i)
    verifier.flush()
    tick(len(targets))
    report.findings[integrity.HASH_MISMATCHES].sort(key=lambda m: m["path"])


# ---- recording --------------------------------------------------------------------------------


def _record_findings(session: Session, report: CheckReport) -> None:
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
