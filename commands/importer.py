"""``import``: scan storage into the catalog.

Flow: check the root is reachable -> walk it -> hash what is new or changed (size or
mtime) -> let ``domain.import_plan`` decide what each file is -> parse the names of new
files (in parallel) -> record the events in batches -> catch the projection up.
Nothing is recorded when the root looks unmounted or too much would vanish at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventsourcing.persistence import IntegrityError

from commands.bootstrap import Session
from commands.errors import MassVanishError, StorageUnreachableError
from commands.fingerprint import ALGORITHM, fingerprint_many
from commands.progress import Progress
from commands.scanner import ScanError, scan_storage
from domain.errors import DomainError
from domain.import_plan import Action, Known, Plan, Seen, index_by_path, needs_hash, plan_import
from domain.media_file import MediaFile
from domain.paths import display
from projections.queries import known_files

MASS_VANISH_RATIO = 0.20
MAX_CONFLICT_RETRIES = 5


class StalePlanError(Exception):
    """The store changed under the plan (a shared store written by another machine)."""


Parser = Callable[[list[str]], list[dict[str, Any]]]


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

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"run_id": self.run_id}
        out.update(self.counts)
        out["errors"] = [e.as_json() for e in self.errors]
        out["skipped_recent"] = self.skipped_recent
        out["dry_run"] = self.dry_run
        out["events"] = self.events
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


def default_parser() -> Parser:
    from commands.naming import parse_many

    return parse_many


def parser_label() -> str:
    from commands.naming import PARSER_NAME, PARSER_VERSION

    return f"{PARSER_NAME} {PARSER_VERSION}"


def check_root(root: str) -> None:
    """Refuse a root that is missing, unreadable or empty: an unmounted share looks like
    that, and importing it would take every file for vanished."""
    shown = display(root)
    if not os.path.exists(root):
        raise StorageUnreachableError(
            f"storage root {shown} does not exist (unmounted share?): nothing recorded"
        )
    if not os.path.isdir(root):
        raise StorageUnreachableError(f"storage root {shown} is not a folder: nothing recorded")
    try:
        with os.scandir(root) as it:
            empty = next(it, None) is None
    except OSError as exc:
        raise StorageUnreachableError(
            f"storage root {shown} is unreadable ({exc.strerror}): nothing recorded"
        ) from exc
    if empty:
        raise StorageUnreachableError(
            f"storage root {shown} is empty (unmounted share?): nothing recorded"
        )


def import_storage(
    session: Session,
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
    root_path = storage if storage is not None else config.storage
    assert root_path is not None
    root = os.fsdecode(os.path.abspath(os.fsencode(root_path)))
    check_root(root)
    min_age = config.min_age if min_age is None else min_age
    progress = progress or Progress(None)

    scan = scan_storage(root, config.extensions, min_age=min_age, on_file=progress.task("scan"))
    if "" in scan.unreadable_dirs:
        raise StorageUnreachableError(f"storage root {display(root)} cannot be listed")

    with session.projector.connect() as con:
        known_rows = known_files(con)
    known = {fid: Known(fid, k.status, k.paths) for fid, k in known_rows.items()}
    by_path = index_by_path(known.values())

    to_hash = [
        rel for rel, (size, mtime) in scan.files.items() if needs_hash(by_path, rel, size, mtime)
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
    protected.update(p for p in by_path if p not in scan.files and scan.is_under_unreadable(p))

    plan = plan_import(known, scan.files.keys(), hashed, protected, unchanged)
    _guard_mass_vanish(plan, allow_mass_vanish)

    report = ImportReport(
        run_id=None,
        counts=dict(plan.counts),
        errors=errors,
        skipped_recent=len(scan.recent),
        dry_run=dry_run,
        storage=root,
    )
    if dry_run:
        return report

    run = session.start_run("import", arguments or {"storage": root})
    report.run_id = run.run_id
    for attempt in range(1, MAX_CONFLICT_RETRIES + 1):
        try:
            report.events += _record(
                session, plan, hashed, run.run_id, parser, parser_name, progress
            )
            break
        except (IntegrityError, StalePlanError):
            # Another machine wrote the same files meanwhile (shared PostgreSQL store).
            # What was saved is kept; catch up and plan the rest again from the new state.
            if attempt == MAX_CONFLICT_RETRIES:
                raise
            report.conflicts += 1
            session.catch_up()
            with session.projector.connect() as con:
                known = {fid: Known(fid, k.status, k.paths) for fid, k in known_files(con).items()}
            plan = plan_import(known, scan.files.keys(), hashed, protected, unchanged)
            report.counts = dict(plan.counts)
    exit_code = 1 if errors else 0
    session.finish_run(report.summary, exit_code)
    session.catch_up()
    return report


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
    session: Session,
    plan: Plan,
    hashed: list[Seen],
    run_id: str,
    parser: Parser | None,
    parser_name: str | None,
    progress: Progress,
) -> int:
    seen = {s.path: s for s in hashed}
    imports = [a for a in plan.actions if a.kind == "import"]
    parse = parser or default_parser()
    label = parser_name or (parser_label() if parser is None else "custom")
    names = parse([a.path for a in imports]) if imports else []
    name_of = {a.file_id: n for a, n in zip(imports, names, strict=True)}

    aggregates: dict[str, MediaFile] = {}
    repo = session.library.repository
    record_task = progress.task("record", total=len(plan.actions))
    saved_events = 0
    for i, action in enumerate(plan.actions):
        if action.kind == "import":
            s = seen[action.path]
            aggregates[action.file_id] = MediaFile(
                fingerprint=s.fingerprint,
                algorithm=ALGORITHM,
                size=s.size,
                path=action.path,
                mtime=s.mtime,
                name=name_of[action.file_id],
                parser=label,
                run_id=run_id,
                replaces=action.replaces,
            )
        else:
            agg = aggregates.get(action.file_id)
            if agg is None:
                agg = repo.get(_uuid(action.file_id))
                aggregates[action.file_id] = agg
            try:
                _apply(agg, action, run_id)
            except DomainError as exc:
                # The stored file is not what the plan assumed: another machine recorded
                # it meanwhile. Save nothing of this batch; the caller plans again.
                raise StalePlanError(str(exc)) from exc
        if len(aggregates) >= 1000:
            saved_events += session.library.save_in_batches(list(aggregates.values()))
            aggregates.clear()
            record_task(i + 1)
    if aggregates:
        saved_events += session.library.save_in_batches(list(aggregates.values()))
    record_task(len(plan.actions))
    return saved_events


def _uuid(value: str) -> Any:
    from uuid import UUID

    return UUID(value)


def _apply(agg: MediaFile, a: Action, run_id: str) -> None:
    if a.kind == "move":
        assert a.old_path is not None
        agg.move(a.old_path, a.path, a.mtime, run_id)
    elif a.kind == "copy":
        agg.copy(a.path, a.mtime, run_id)
    elif a.kind == "vanish":
        agg.vanish(a.path, run_id)
    elif a.kind == "reappear":
        agg.reappear(a.path, a.mtime, run_id)
    elif a.kind == "replace":
        agg.replace_content(a.path, a.by_file_id or "", run_id)
    elif a.kind == "touch":
        agg.touch(a.path, a.mtime, run_id)
    else:  # pragma: no cover - plan_import only makes the kinds above
        raise ValueError(f"unknown action {a.kind}")
