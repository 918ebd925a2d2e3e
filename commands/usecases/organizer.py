"""``organize``: make the video tree a projection of the catalog.

Each present film or episode whose identity is confident gets a relative link at the path
its template gives (``domain.organize_plan``; templates in config.toml ``[organize]``),
named from the enriched title when the ``files`` view has one, the parsed title otherwise.
Confident: matched by enrich or validated, or a parse from an unambiguous layout
(``organize_plan.doubt``); every other file is listed with the reason it was not placed.
A correct link is left alone; a broken link (or one pointing outside storage) at the right path is
retargeted in its own style; a path held by something else is reported, never touched.
Links the catalog no longer wants are not removed: ``repair-links`` deals with broken ones.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from typing import Any

from videotheque.commands.adapters.fastnames import parse_fast
from videotheque.commands.adapters.linkjournal import Create, Retarget, Track
from videotheque.commands.adapters.linkops import (
    Journal,
    Op,
    Outcome,
    execute,
    pending_journals,
    recover,
    retarget_op,
)
from videotheque.commands.adapters.linkscan import LinkEntry, Roots, inspect_link, roots_of
from videotheque.commands.config import Config
from videotheque.commands.errors import (
    EXIT_FINDINGS,
    EXIT_OK,
    StorageUnreachableError,
    UsageError,
)
from videotheque.commands.ports import Workspace
from videotheque.domain.enrichment import ENRICHED, VALIDATED
from videotheque.domain.ids import link_id
from videotheque.domain.organize_plan import (
    DEFAULT_TEMPLATES,
    Placeable,
    Placement,
    TemplateError,
    check_template,
    desired_link,
    place,
)
from videotheque.domain.paths import display
from videotheque.projections.links import current_paths, organize_files, tracked_links


@dataclass
class OrganizeReport:
    run_id: str | None
    created: list[dict[str, Any]] = field(default_factory=list)
    retargeted: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    unplaced: list[dict[str, Any]] = field(default_factory=list)
    # What the system refused (permission denied, I/O errors), with the OS's reason.
    errors: list[dict[str, Any]] = field(default_factory=list)
    recovered: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "created": self.created,
            "retargeted": self.retargeted,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "unplaced": self.unplaced,
            "errors": self.errors,
            "recovered": self.recovered,
            "dry_run": self.dry_run,
        }

    @property
    def summary(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "retargeted": len(self.retargeted),
            "unchanged": self.unchanged,
            "conflicts": len(self.conflicts),
            "unplaced": len(self.unplaced),
            "errors": len(self.errors),
            "recovered": self.recovered,
        }

    @property
    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.conflicts or self.errors else EXIT_OK


def templates_of(config: Config) -> dict[str, str]:
    """The naming templates: config.toml ``[organize]`` ``movie`` / ``episode``."""
    out = dict(DEFAULT_TEMPLATES)
    for kind, value in (("movie", config.organize.movie), ("episode", config.organize.episode)):
        if value is not None:
            out[kind] = value
    for kind, template in out.items():
        try:
            check_template(kind, template)
        except TemplateError as exc:
            raise UsageError(f"{config.path}: [organize] {exc}") from exc
    return out


def organize(
    session: Workspace, *, dry_run: bool = False, arguments: dict[str, Any] | None = None
) -> OrganizeReport:
    roots = roots_of(session.config)
    if not os.path.isdir(roots.video):
        # Every link would be refused one by one ("outside the video root"): say it once.
        raise StorageUnreachableError(
            f"video root {display(roots.video)} does not exist (an unmounted disk?): "
            "nothing linked; mount it, or create the folder"
        )
    templates = templates_of(session.config)
    report = OrganizeReport(run_id=None, dry_run=dry_run)
    if dry_run:
        if pending_journals(session.home):
            report.notes.append(
                "an interrupted run left link actions to settle: "
                "the next run without --dry-run records them"
            )
    else:
        run = session.start_run("organize", arguments or {})
        report.run_id = run.run_id
        rec = recover(session, run.run_id)
        report.recovered = len(rec.recorded)
        for op, reason in rec.conflicts:
            report.notes.append(f"interrupted run: {display(op.link)}: {reason}")
        session.catch_up()

    with session.read() as con:
        files = [_placeable(f) for f in organize_files(con)]
        paths_of = current_paths(con, [f.file_id for f in files])
    seen: dict[str, LinkEntry | None] = {}

    def look(link: str) -> LinkEntry | None:
        if link not in seen:
            seen[link] = inspect_link(roots, link)
        return seen[link]

    current: dict[str, str] = {}
    for f in files:
        want = desired_link(f, templates)
        if isinstance(want, str):
            entry = look(want)
            if entry is not None and entry.target_path is not None:
                current[want] = entry.target_path
    placements, unplaced = place(files, templates, current)
    report.unplaced = [
        {"path": display(u.path), "file_id": u.file_id, "reason": u.reason} for u in unplaced
    ]
    with session.read() as con:
        tracked = tracked_links(con, [p.link for p in placements])

    run_id = report.run_id or "dry-run"
    ops: list[Op] = []
    for p in placements:
        made = _op_for(roots, p, look(p.link), paths_of.get(p.file_id, []), report, run_id, tracked)
        if made is not None:
            ops.append(made)

    if dry_run:
        for op in ops:
            _report(report, op)
        return report

    journal = Journal(session.home, run_id)

    def done(out: Outcome) -> None:
        if out.ok:
            _report(report, out.op)
        elif out.error:
            report.errors.append(
                {"link": display(out.op.link), "file_id": out.op.file_id,
                 "reason": out.reason}
            )  # fmt: skip
        else:
            report.conflicts.append(
                {"link": display(out.op.link), "file_id": out.op.file_id,
                 "reason": out.reason}
            )  # fmt: skip

    execute(session, roots, journal, ops, on_outcome=done)
    journal.close()
    session.finish_run(report.summary, report.exit_code)
    session.catch_up()
    return report


def _placeable(f: dict[str, Any]) -> Placeable:
    """A catalogued file and how sure its identity is (see ``organize_plan.doubt``)."""
    return Placeable(
        f["file_id"], f["path"], f["kind"], f["title"], f["year"], f["season"], f["episode"],
        tuple(f["episodes"]), extra=f["extra"],
        matched=f["match_status"] in (ENRICHED, VALIDATED),
        layout=_read_as_catalogued(f), alternatives=tuple(f["alternatives"]),
    )  # fmt: skip


def _read_as_catalogued(f: dict[str, Any]) -> bool:
    """Whether the path is in a layout the fast path reads, and it reads it as catalogued."""
    fast = parse_fast(f["path"])
    return fast is not None and (
        fast["kind"],
        fast["title"],
        fast["year"],
        fast["season"],
        fast["episodes"],
    ) == (f["kind"], f["parsed_title"], f["parsed_year"], f["season"], f["episodes"])


def _op_for(
    roots: Roots,
    p: Placement,
    entry: LinkEntry | None,
    file_paths: list[str],
    report: OrganizeReport,
    run_id: str,
    tracked: dict[str, dict[str, Any]],
) -> Op | None:
    path = posixpath.join(roots.video, p.link)
    lid = str(link_id(p.link))
    version = tracked[p.link]["version"] if p.link in tracked else None
    if entry is None:
        if os.path.lexists(path):
            report.conflicts.append(
                {"link": display(p.link), "file_id": p.file_id,
                 "reason": "a file or folder is at that path: left alone"}
            )  # fmt: skip
            return None
        new = roots.target_text(p.link, p.path, absolute=False)
        return Op(
            kind="create",
            link_id=lid,
            link=p.link,
            version=version,
            paths=[path],
            before=[None],
            after=[new],
            record=Create(target=new, target_path=p.path, file_id=p.file_id, run_id=run_id),
            run_id=run_id,
            track=_track(p.link, None, None, run_id),
        )
    if entry.problem is None and (entry.target_path == p.path or entry.target_path in file_paths):
        report.unchanged += 1
        return None
    if entry.problem is None:
        report.conflicts.append(
            {"link": display(p.link), "file_id": p.file_id,
             "reason": f"a link to another file is there ({display(entry.target_path or '')}): "
                       "left alone"}
        )  # fmt: skip
        return None
    new = roots.target_text(p.link, p.path, entry.absolute)  # in the link's own style
    return retarget_op(
        roots,
        p.link,
        version,
        entry.target,
        new,
        Retarget(
            old_target=entry.target,
            new_target=new,
            target_path=p.path,
            file_id=p.file_id,
            run_id=run_id,
        ),
        _track(p.link, entry.target, entry.target_path, run_id),
    )


def _track(link: str, target: str | None, target_path: str | None, run_id: str) -> Track:
    return Track(link=link, target=target, target_path=target_path, file_id=None, run_id=run_id)


def _report(report: OrganizeReport, op: Op) -> None:
    r = op.record
    if isinstance(r, Create):
        report.created.append(
            {
                "link": display(op.link),
                "target": display(r.target),
                "target_path": display(r.target_path),
                "file_id": r.file_id,
            }
        )
    else:
        assert isinstance(r, Retarget)
        report.retargeted.append(
            {
                "link": display(op.link),
                "old_target": display(r.old_target),
                "new_target": display(r.new_target),
                "target_path": display(r.target_path),
                "file_id": r.file_id,
            }
        )
