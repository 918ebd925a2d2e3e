"""``import``: scan storage into the catalog.

Flow: check the root is reachable -> walk it (or one folder of it) -> hash what is new or
changed (size or mtime) -> let ``domain.import_plan`` decide what each file is -> then a
chunk at a time: parse the names of its new files (in parallel, MediaInfo beside) and
record its events -> catch the projection up. Nothing is recorded when the root looks
unmounted or too much would vanish at once; an interrupted import keeps its saved chunks.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from videotheque.commands.adapters import naming
from videotheque.commands.adapters.fingerprint import ALGORITHM, fingerprint_many, worker_pool
from videotheque.commands.adapters.naming import Parser
from videotheque.commands.adapters.scanner import Scan, ScanError, check_root, scan_storage
from videotheque.commands.errors import (
    MassVanishError,
    StorageUnreachableError,
    StoreConflictError,
    UsageError,
)
from videotheque.commands.ports import Workspace
from videotheque.commands.progress import Progress
from videotheque.commands.usecases.analyzer import ImportAnalysis, start_import_analysis
from videotheque.domain.errors import DomainError
from videotheque.domain.ids import file_id_text
from videotheque.domain.import_plan import (
    Action,
    Known,
    Plan,
    Seen,
    apply_action,
    index_by_path,
    plan_import,
)
from videotheque.domain.media_file import MediaFile
from videotheque.domain.paths import display, is_within
from videotheque.projections.base import bulk
from videotheque.projections.queries import known_files, present_stats

MASS_VANISH_RATIO = 0.20
MAX_CONFLICT_RETRIES = 5
RECORD_BATCH = 1000  # files per atomic save (tests/faults make it small to kill between)
CHUNK = 2000  # at most this many files' names are parsed, then recorded, before the next ones
FIRST_CHUNK = 500  # the first chunk, before the pace of this library is known
CHUNK_SECONDS = 5.0  # later chunks are sized to take about this long (at most CHUNK files)
MIN_CHUNK = 50


class StalePlanError(Exception):
    """The store changed under the plan (a shared store written by another machine)."""


@dataclass
class ImportReport:
    run_id: str | None
    counts: dict[str, int]
    errors: list[ScanError] = field(default_factory=list)
    skipped_recent: int = 0
    dry_run: bool = False
    events: int = 0
    storage: str = ""
    conflicts: int = 0  # optimistic-concurrency conflicts retried (shared store)
    parsed: Counter[str] = field(default_factory=Counter)  # new files' parsed kinds

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"run_id": self.run_id}
        out.update(self.counts)
        out["errors"] = [e.as_json() for e in self.errors]
        out["skipped_recent"] = self.skipped_recent
        out["dry_run"] = self.dry_run
        out["events"] = self.events
        out["parsed"] = dict(sorted(self.parsed.items()))
        return out

    @property
    def summary(self) -> dict[str, Any]:
        s: dict[str, Any] = dict(self.counts)
        s["errors"] = len(self.errors)
        s["skipped_recent"] = self.skipped_recent
        s["events"] = self.events
        if self.conflicts:
            s["conflicts_retried"] = self.conflicts
        return s


@bulk()  # 100,000s of paths, tuples and aggregates: no garbage-collector passes over them
def import_storage(
    session: Workspace,
    storage: Path | None = None,
    *,
    dry_run: bool = False,
    min_age: float | None = None,
    allow_mass_vanish: bool = False,
    parser: Parser | None = None,
    parser_name: str | None = None,
    progress: Progress | None = None,
    arguments: dict[str, Any] | None = None,
) -> ImportReport:
    config = session.config
    root, folder = import_scope(config.storage, storage)
    check_root(root)
    if folder:
        check_root(os.path.join(root, folder))
    min_age = config.min_age if min_age is None else min_age
    progress = progress or Progress(None)

    # The catalogued paths are read while the tree is walked (DuckDB works without the GIL).
    with ThreadPoolExecutor(1) as pool:
        catalogued = pool.submit(_present_stats, session)
        scan = scan_storage(
            os.path.join(root, folder) if folder else root,
            config.extensions,
            min_age=min_age,
            on_file=progress.task("scan"),
        )
        stats = catalogued.result()
    if "" in scan.unreadable_dirs:
        raise StorageUnreachableError(
            f"storage root {display(os.path.join(root, folder) if folder else root)}"
            " cannot be listed"
        )
    if folder:
        _rebase(scan, folder)
        stats = {p: v for p, v in stats.items() if _within(p, folder)}

    # Every file in place with its size and mtime (the common re-import): nothing to hash
    # or classify, and the whole catalog need not be loaded. One comparison of two dicts.
    known: dict[str, Known] = {}
    by_path: dict[str, tuple[str, int, float]] = {}
    to_hash: list[str] = []
    if scan.files != stats:
        with session.read() as con:
            known = known_files(con)
        by_path = index_by_path(known.values())
        to_hash = [  # needs_hash, inlined: 100,000s of files
            rel
            for rel, (size, mtime) in scan.files.items()
            if (k := by_path.get(rel)) is None or k[1] != size or k[2] != mtime
        ]
    unchanged = len(scan.files) - len(to_hash)
    hash_task = progress.task("fingerprint", total=len(to_hash))
    hashed: list[Seen] = []
    errors = list(scan.errors)
    protected: set[str] = set(scan.recent)
    for rel, (fp, err) in zip(
        to_hash,
        (
            (fp, err)
            for _, fp, err in fingerprint_many(
                [os.path.join(root, rel) for rel in to_hash], on_done=hash_task
            )
        ),
        strict=True,
    ):
        if fp is None:
            errors.append(ScanError(rel, f"cannot read: {err}"))
            protected.add(rel)
            continue
        size, mtime = scan.files[rel]
        hashed.append(Seen(rel, fp, size, mtime))
    protected.update(e.path for e in errors)
    if scan.unreadable_dirs:
        protected.update(p for p in by_path if p not in scan.files and scan.is_under_unreadable(p))
    if folder:
        protected.update(_outside(root, folder, by_path, hashed))

    plan = plan_import(known, scan.files.keys(), hashed, protected, unchanged, by_path)
    if folder:  # the guard weighs what the folder held, not the whole library
        plan.present_before = len({fid for p, (fid, _, _) in by_path.items() if _within(p, folder)})
    _guard_mass_vanish(plan, allow_mass_vanish)

    report = ImportReport(
        run_id=None,
        counts=dict(plan.counts),
        errors=errors,
        skipped_recent=len(scan.recent),
        dry_run=dry_run,
        storage=root,
    )
    if dry_run:  # names parsed as the real run would (its time says what the run takes)
        _record(
            session, plan, hashed, "", parser, parser_name, progress, root, errors, None,
            report.parsed,
        )  # fmt: skip
        return report

    after_save = _saved
    run = session.start_run("import", arguments or {"storage": root})
    after_save()
    report.run_id = run.run_id
    for attempt in range(1, MAX_CONFLICT_RETRIES + 1):
        try:
            report.events += _record(
                session,
                plan,
                hashed,
                run.run_id,
                parser,
                parser_name,
                progress,
                root,
                errors,
                after_save,
                report.parsed,
            )
            break
        except (StoreConflictError, StalePlanError):
            # Another machine wrote the same files meanwhile (shared PostgreSQL store).
            # What was saved is kept; catch up and plan the rest again from the new state.
            if attempt == MAX_CONFLICT_RETRIES:
                raise
            report.conflicts += 1
            session.catch_up()
            with session.read() as con:
                known = known_files(con)
            plan = plan_import(known, scan.files.keys(), hashed, protected, unchanged)
            report.counts = dict(plan.counts)
    exit_code = 1 if errors else 0
    session.finish_run(report.summary, exit_code)
    after_save()
    # The scan and the plan (100,000s of objects) are done with: free them before the
    # projection catches up, so that the two never add up in memory.
    del scan, known, by_path, hashed, plan, protected, to_hash
    session.catch_up()
    return report


def import_scope(configured: Path | None, given: Path | None) -> tuple[str, str]:
    """``(root, folder)``: the storage root paths are relative to, and the folder under it
    to import ("" for all of it).

    A folder given on the command line is judged by where it really is (symlinks
    resolved): the storage root itself, a folder inside it (its path in the tree is taken
    from the real locations, so a symlinked folder inside storage names what it points
    at), or anything else, refused. A library without a storage root imports the folder
    given, as its root."""
    if configured is None:
        if given is None:
            raise UsageError("the library has no storage root: give one, or run `init` again")
        return os.fsdecode(os.path.abspath(os.fsencode(given))), ""
    root = os.fsdecode(os.path.abspath(os.fsencode(configured)))
    if given is None:
        return root, ""
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.fsdecode(os.path.abspath(os.fsencode(given))))
    if os.path.exists(real) and not os.path.isdir(real):
        raise UsageError(f"{display(os.fsdecode(given))} is not a folder: nothing recorded")
    if real == real_root:
        return root, ""
    if not is_within(real, real_root):
        raise UsageError(
            f"{display(os.fsdecode(given))} is not inside the storage root {display(root)}"
            f" (it is {display(real)}): import scans the library's storage or a folder in it;"
            " nothing recorded"
        )
    return root, os.path.relpath(real, real_root).replace(os.sep, "/")


def _within(path: str, folder: str) -> bool:
    return path.startswith(folder) and path[len(folder) : len(folder) + 1] == "/"


def _rebase(scan: Scan, folder: str) -> None:
    """Paths of a scan of ``folder`` made relative to the storage root."""
    prefix = folder + "/"
    scan.files = {prefix + rel: v for rel, v in scan.files.items()}
    scan.recent = {prefix + rel: v for rel, v in scan.recent.items()}
    scan.unreadable_dirs = [prefix + d if d else folder for d in scan.unreadable_dirs]
    for e in scan.errors:
        e.path = folder if e.path in ("", ".") else prefix + e.path


def _outside(
    root: str, folder: str, by_path: dict[str, tuple[str, int, float]], hashed: list[Seen]
) -> list[str]:
    """The catalogued paths outside ``folder`` that the import must leave as they are.

    It did not look there, so none of them vanished or moved. One exception: a file found
    in the folder with the content of a catalogued file outside it whose path no longer
    exists (a look at that one path) was moved in, and is recorded as a move; if the path
    outside still exists, the file in the folder is a copy."""
    if not by_path:
        return []
    found = {file_id_text(s.fingerprint) for s in hashed}
    return [
        p
        for p, (fid, _, _) in by_path.items()
        if not _within(p, folder) and (fid not in found or os.path.lexists(os.path.join(root, p)))
    ]


def _present_stats(session: Workspace) -> dict[str, tuple[int, float]]:
    with session.read() as con:
        return present_stats(con)


def _saved() -> None:
    """Called after each save to the store (the run's start, each batch of up to 1,000
    files, the run's end): the checkpoint ``videotheque.import.saved``, announced with
    ``sys.audit`` (tests/faults/checkpoints.py kills there to prove the next run completes
    the work; nothing happens without an audit hook)."""
    sys.audit("videotheque.import.saved")


def _guard_mass_vanish(plan: Plan, allowed: bool) -> None:
    if allowed or plan.present_before == 0:
        return
    ratio = plan.files_vanishing / plan.present_before
    if ratio > MASS_VANISH_RATIO:
        raise MassVanishError(
            f"{plan.files_vanishing} of {plan.present_before} catalogued files "
            f"({ratio:.0%}) would vanish: is the storage share mounted? Nothing recorded. "
            "If they really are gone, run again with --allow-mass-vanish."
        )


def _record(
    session: Workspace,
    plan: Plan,
    hashed: list[Seen],
    run_id: str,
    parser: Parser | None,
    parser_name: str | None,
    progress: Progress,
    root: str,
    errors: list[ScanError],
    after_save: Callable[[], None] | None = lambda: None,
    kinds: Counter[str] | None = None,
) -> int:
    """Parse and record the plan a chunk at a time: the names of CHUNK files are parsed
    (their MediaInfo read beside), their events saved, then the next. A kill or Ctrl-C
    keeps every chunk saved (the next import finds those files known and does the rest),
    and memory holds one chunk of names and facts, whatever the size of the import.
    ``after_save`` None: a dry run (names parsed, nothing analysed or saved)."""
    seen = {s.path: s for s in hashed}
    label = parser_name or (naming.parser_label() if parser is None else "custom")
    new_files = sum(1 for a in plan.actions if a.kind == "import")
    # the longest phase of a first import (the fast path answers most names, guessit the rest)
    parse_task = _Counted(progress.task("parse names", total=new_files)) if new_files else None
    record_task = progress.task("record", total=len(plan.actions))
    analyze_task = None
    saved_events = 0
    actions, together = _linked_first(plan.actions)
    # A chunk is sized to take about CHUNK_SECONDS, so that a kill or Ctrl-C loses at most
    # that much work wherever the time goes: guessit on names the fast path declines, or
    # MediaInfo on slow files (sparse or remote ones took ~30 ms a file; a chunk of 2,000
    # then ran a minute before its first save). A fast library keeps chunks of CHUNK.
    size = min(CHUNK, FIRST_CHUNK)
    with _name_parser(parser, new_files) as parse:
        start = 0
        while start < len(actions):
            began = time.monotonic()
            end = min(len(actions), max(start + size, together if start == 0 else 0))
            chunk = actions[start:end]
            imports = [a.path for a in chunk if a.kind == "import"]
            media: ImportAnalysis | None = None
            if after_save is not None and imports:
                if analyze_task is None:
                    analyze_task = _Counted(progress.task("analyze", total=new_files))
                media = start_import_analysis(
                    session, root, imports, errors, progress, analyze_task.chunk(len(imports))
                )
            parsed = _parse_counted(parse, imports, parse_task) if imports else []
            if kinds is not None:
                kinds.update(str(n.get("kind")) for n in parsed)
            names = iter(parsed)
            if after_save is None:
                size = _next_size(end - start, time.monotonic() - began)
                start = end
                record_task(end)
                continue
            aggregates: dict[str, MediaFile] = {}
            for i, action in enumerate(chunk, start):
                if action.kind == "import":
                    s = seen[action.path]
                    aggregates[action.file_id] = MediaFile(
                        fingerprint=s.fingerprint,
                        algorithm=ALGORITHM,
                        size=s.size,
                        path=action.path,
                        mtime=s.mtime,
                        name=next(names),
                        parser=label,
                        run_id=run_id,
                        replaces=action.replaces,
                    )
                    if media is not None:  # what MediaInfo read, in the same save
                        media.record(aggregates[action.file_id], action.path, run_id)
                else:
                    agg = aggregates.get(action.file_id)
                    if agg is None:
                        agg = session.get(_uuid(action.file_id))
                        aggregates[action.file_id] = agg
                    try:
                        apply_action(agg, action, run_id)
                    except DomainError as exc:
                        # The stored file is not what the plan assumed: another machine
                        # recorded it meanwhile. Save nothing of this batch; plan again.
                        raise StalePlanError(str(exc)) from exc
                if len(aggregates) >= RECORD_BATCH and i + 1 >= together:
                    saved_events += _save_together(session, list(aggregates.values()))
                    after_save()
                    aggregates.clear()
                    record_task(i + 1)
            if aggregates:
                saved_events += _save_together(session, list(aggregates.values()))
                after_save()
            if media is not None:
                # The garbage collector is paused for the import (@bulk), and each file
                # MediaInfo reads leaves ~12 KB of reference cycles (pymediainfo loads the
                # library anew per file: ctypes classes). Collected here, the young ones
                # only (what this chunk made): memory stays flat, at ~1% of the chunk's time.
                del media
                gc.collect(0)
            size = _next_size(end - start, time.monotonic() - began)
            start = end
            record_task(end)
    record_task(len(plan.actions))
    return saved_events


def _next_size(done: int, seconds: float) -> int:
    """The next chunk's size: about CHUNK_SECONDS of work at the pace of the last one."""
    if seconds <= 0:
        return CHUNK
    return max(min(CHUNK, MIN_CHUNK), int(min(CHUNK, done * CHUNK_SECONDS / seconds)))


class _Counted:
    """One progress task over the chunks (each chunk's analysis counts from 1)."""

    def __init__(self, task: Callable[..., None]) -> None:
        self.task = task
        self.base = 0

    def chunk(self, size: int) -> Callable[[int], None]:
        base = self.base
        self.base += size
        return lambda done: self.task(base + done)


def _parse_counted(parse: Parser, paths: list[str], task: _Counted | None) -> list[dict[str, Any]]:
    """One chunk's names; the default parser counts them as its workers give them back."""
    parse_many = naming.parse_many
    tick = task.chunk(len(paths)) if task is not None else (lambda done: None)
    counts = parse is parse_many or (isinstance(parse, partial) and parse.func is parse_many)
    parsed = parse(paths, on_done=tick) if counts else parse(paths)  # type: ignore[call-arg]
    tick(len(paths))
    return parsed


@contextmanager
def _name_parser(parser: Parser | None, count: int) -> Iterator[Parser]:
    """The parser of the chunks: the default one keeps one pool of workers for them all
    (started before any thread of the import's: they are forked), ended at once by Ctrl-C."""
    parse_many = naming.parse_many
    parser = parser or naming.default_parser()
    if parser is not parse_many:
        yield parser
        return
    workers = os.cpu_count() or 1
    if workers == 1 or count < naming.POOL_THRESHOLD:
        yield parse_many
        return
    with worker_pool(min(workers, -(-count // naming.POOL_THRESHOLD))) as pool:
        pool.submit(os.getpid).result()  # the workers start now
        yield partial(parse_many, pool=pool)


def _linked_first(actions: list[Action]) -> tuple[list[Action], int]:
    """The actions with those of files linked by a change in place first (plan order kept
    within each part), and how many those are: they must be saved in one append.

    Content that changed at a path is recorded on two files: ``replace`` on the one that
    was there, and the import (or copy) of the new content naming it in ``replaces``. Saved
    in different batches, a kill between them would leave the old file present at a path
    that holds other content, or the new one without its link to the old."""
    linked = {a.file_id for a in actions if a.replaces} | {
        a.replaces for a in actions if a.replaces
    }
    if not linked:
        return actions, 0
    first = [a for a in actions if a.file_id in linked]
    return first + [a for a in actions if a.file_id not in linked], len(first)


def _save_together(session: Workspace, aggregates: list[MediaFile]) -> int:
    """One atomic append (a batch is at most RECORD_BATCH files, plus a linked group)."""
    return session.save(*aggregates)


def _uuid(value: str) -> Any:
    return UUID(value)
