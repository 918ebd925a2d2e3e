"""``repair-links``: find the broken links of the video tree and repair or quarantine them.

Flow: settle what an interrupted run left (commands/adapters/linkops.py) -> walk the video tree
for broken links (commands/adapters/linkscan.py) -> find candidates by identity, then by name
(``domain.link_plan``; the catalog from the projection, names parsed like ``import``
does) -> decide: ``--auto`` applies certain repairs (and quarantines orphans when asked),
the interactive loop asks a person, ``--dry-run`` only reports -> apply and record each
action through the journal -> catch the projection up.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from videotheque.commands.adapters import naming
from videotheque.commands.adapters.linkjournal import Quarantine, Repair, Track
from videotheque.commands.adapters.linkops import (
    Journal,
    Op,
    Outcome,
    execute,
    pending_journals,
    recover,
    retarget_op,
)
from videotheque.commands.adapters.linkscan import (
    LinkEntry,
    Roots,
    leading_out,
    really_working,
    roots_of,
    scan_links,
)
from videotheque.commands.adapters.naming import Parser
from videotheque.commands.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from videotheque.commands.ports import Workspace
from videotheque.domain.ids import link_id
from videotheque.domain.link_plan import (
    IDENTITY,
    QUARANTINE,
    REPAIR,
    SKIP,
    Broken,
    CatalogName,
    LinkCandidate,
    LinkDecision,
    NameIndex,
    NameInfo,
    Proposal,
    decide_auto,
    identity_candidates,
    identity_keys,
    old_base_name,
    propose,
    quarantine_path,
)
from videotheque.domain.paths import display, is_within, relative_to
from videotheque.projections.links import current_paths, named_files, path_holders, tracked_links

# Asked about one proposal (its index and the total): a decision, or None to quit.
Chooser = Callable[[Proposal, int, int], LinkDecision | None]


@dataclass
class RepairReport:
    run_id: str | None
    broken: int = 0
    repaired: list[dict[str, Any]] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    recovered: int = 0
    dry_run: bool = False
    quit: bool = False
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "broken": self.broken,
            "repaired": self.repaired,
            "quarantined": self.quarantined,
            "skipped": self.skipped,
            "errors": self.errors,
            "recovered": self.recovered,
            "dry_run": self.dry_run,
        }

    @property
    def summary(self) -> dict[str, Any]:
        return {
            "broken": self.broken,
            "repaired": len(self.repaired),
            "quarantined": len(self.quarantined),
            "skipped": len(self.skipped),
            "errors": len(self.errors),
            "recovered": self.recovered,
        }

    @property
    def exit_code(self) -> int:
        """1 when links stay broken (or, in a dry run, when there are any), else 0."""
        if self.skipped or self.errors or (self.dry_run and self.broken):
            return EXIT_FINDINGS
        return EXIT_OK


def repair_links(
    session: Workspace,
    video_dir: Path | None = None,
    *,
    auto: bool = False,
    dry_run: bool = False,
    quarantine_orphans: bool = False,
    chooser: Chooser | None = None,
    parser: Parser | None = None,
    arguments: dict[str, Any] | None = None,
) -> RepairReport:
    roots = roots_of(session.config)
    start = _start_dir(roots, video_dir)
    report = RepairReport(run_id=None, dry_run=dry_run)
    if not dry_run and not auto and chooser is None:
        raise UsageError("repair-links needs --auto, --dry-run or a terminal to ask on")
    if dry_run:
        waiting = pending_journals(session.home)
        if waiting:
            report.notes.append(
                f"{len(waiting)} interrupted run(s) left actions to settle: "
                "the next run without --dry-run records them"
            )
    else:
        run = session.start_run("repair-links", arguments or {})
        report.run_id = run.run_id
        rec = recover(session, run.run_id)
        report.recovered = len(rec.recorded)
        _note_recovery(report.notes, rec)
        session.catch_up()

    scan = scan_links(roots, start)
    report.errors = [{"path": display(p), "reason": r} for p, r in scan.errors]
    # Broken by their text, and those whose text names storage but that really lead out
    # of it (a folder of storage replaced by a symlink to elsewhere): as `check` sees them.
    # A link to a link that ends in storage is working (`check` does not list it either).
    found = [e for e in scan.broken if not really_working(roots, e)]
    broken = sorted(found + leading_out(roots, scan.links), key=lambda e: e.link)
    report.broken = len(broken)
    proposals = plan_repairs(session, roots, broken, parser)

    if dry_run:
        for p in proposals:
            _report_decision(report, p, decide_auto(p, quarantine_orphans), roots, None)
        return report

    assert report.run_id is not None
    run_id = report.run_id
    journal = Journal(session.home, run_id)
    with session.read() as con:
        tracked = tracked_links(con, [p.broken.link for p in proposals])
    # An exception leaves the run unfinished and its journal in place: the next run
    # settles it (see commands/adapters/linkops.py).
    if auto:
        decided = [(p, decide_auto(p, quarantine_orphans)) for p in proposals]
        _apply_all(session, roots, journal, report, decided, tracked, run_id)
    else:
        assert chooser is not None
        for i, p in enumerate(proposals):
            decision = chooser(p, i + 1, len(proposals))
            if decision is None:
                report.quit = True
                for rest in proposals[i:]:
                    _skip(report, rest, "not reviewed (quit)")
                break
            _apply_all(session, roots, journal, report, [(p, decision)], tracked, run_id)
    journal.close()
    session.finish_run(report.summary, report.exit_code)
    session.catch_up()
    return report


def _note_recovery(notes: list[str], rec: Any) -> None:
    if rec.recorded:
        notes.append(
            f"recorded {len(rec.recorded)} link action(s) an interrupted run had done on disk"
        )
    for op, reason in rec.conflicts:
        notes.append(f"interrupted run: {display(op.link)}: {reason}")


def _start_dir(roots: Roots, video_dir: Path | None) -> str:
    if video_dir is None:
        return roots.video
    start = os.fsdecode(os.path.abspath(video_dir))
    if not os.path.isdir(start):
        raise UsageError(f"{display(start)} is not a folder")
    if not (is_within(start, roots.video) or is_within(os.path.realpath(start), roots.real_video)):
        raise UsageError(
            f"{display(start)} is not inside the video root {display(roots.video)}: "
            "links are repaired only there"
        )
    if not is_within(start, roots.video):
        rel = relative_to(os.path.realpath(start), roots.real_video) or ""
        start = posixpath.join(roots.video, rel) if rel else roots.video
    return start


# -- planning ---------------------------------------------------------------------------


def to_broken(e: LinkEntry) -> Broken:
    assert e.problem is not None
    return Broken(e.link, e.target, e.resolved, e.target_path, e.problem)


def plan_repairs(
    session: Workspace,
    roots: Roots,
    entries: Sequence[LinkEntry],
    parser: Parser | None = None,
) -> list[Proposal]:
    """The ranked candidates of each broken link."""
    broken = [to_broken(e) for e in entries]
    if not broken:
        return []
    keys = {b.link: _keys(b, roots) for b in broken}
    with session.read() as con:
        holders = path_holders(con, [k for ks in keys.values() for k in ks])
        fids = {fid for hs in holders.values() for fid, _ in hs}
        paths = current_paths(con, fids)
        by_identity = {
            b.link: [c for c in identity_candidates(keys[b.link], holders, paths)
                     if _is_file(roots, c.path)]
            for b in broken
        }  # fmt: skip
        need_names = [b for b in broken if not by_identity[b.link]]
        files = named_files(con) if need_names else []
    by_name: dict[str, list[LinkCandidate]] = {}
    if need_names:
        index = NameIndex.build(
            CatalogName(
                f["file_id"], f["path"], f["kind"], f["title"], f["year"], f["season"],
                f["episode"],
            )
            for f in files
        )  # fmt: skip
        infos = _parse(parser, [b.link for b in need_names])
        for b, info in zip(need_names, infos, strict=True):
            found = index.candidates([info], old_base_name(b))
            by_name[b.link] = [c for c in found[:20] if _is_file(roots, c.path)]
    return [propose(b, by_identity[b.link], by_name.get(b.link, ())) for b in broken]


def _keys(b: Broken, roots: Roots) -> list[str]:
    """Identity keys, except for targets inside the video or trash roots (a loop or a link
    to another link is not a storage path under another mount)."""
    if b.target_path is None and any(
        is_within(b.resolved, r) for r in (roots.video, roots.real_video, roots.trash)
    ):
        return []
    return identity_keys(b)


def _is_file(roots: Roots, rel: str) -> bool:
    """A regular file that really is in storage: a catalogued path whose folder has become
    a symlink to elsewhere is no candidate (a link to it would lead out of storage)."""
    path = posixpath.join(roots.storage, rel)
    if roots.really_inside(path) is None:
        return False
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode)


def _parse(parser: Parser | None, links: list[str]) -> list[NameInfo]:
    parse = parser or naming.default_parser()
    out = []
    for d in parse(links):
        out.append(
            NameInfo(
                kind=d.get("kind"),
                title=d.get("title"),
                year=d.get("year"),
                season=d.get("season"),
                episode=d.get("episode"),
            )
        )
    return out


# -- applying ---------------------------------------------------------------------------


def repair_op(roots: Roots, b: Broken, c: LinkCandidate, run_id: str, version: int | None) -> Op:
    """Point the link at ``c`` in its own style (absolute stays absolute)."""
    new = roots.target_text(b.link, c.path, b.absolute)
    return retarget_op(
        roots,
        b.link,
        version,
        b.target,
        new,
        Repair(
            old_target=b.target,
            new_target=new,
            target_path=c.path,
            file_id=c.file_id,
            method=c.method,
            run_id=run_id,
        ),
        _track(b, c.file_id if c.method == IDENTITY else None, run_id),
    )


def quarantine_op(roots: Roots, b: Broken, run_id: str, version: int | None) -> Op:
    """Move the link, as it is, to <trash>/orphans/<run id>/<link>."""
    rel = quarantine_path(run_id, b.link)
    return Op(
        kind="move",
        link_id=str(link_id(b.link)),
        link=b.link,
        version=version,
        paths=[posixpath.join(roots.video, b.link), posixpath.join(roots.trash, rel)],
        before=[b.target, None],
        after=[None, b.target],
        record=Quarantine(dangling_target=b.target, trash_path=rel, run_id=run_id),
        run_id=run_id,
        track=_track(b, None, run_id),
    )


def _track(b: Broken, file_id: str | None, run_id: str) -> Track:
    return Track(
        link=b.link, target=b.target, target_path=b.target_path, file_id=file_id, run_id=run_id
    )


def _apply_all(
    session: Workspace,
    roots: Roots,
    journal: Journal,
    report: RepairReport,
    decided: Sequence[tuple[Proposal, LinkDecision]],
    tracked: dict[str, dict[str, Any]],
    run_id: str,
) -> None:
    ops: list[Op] = []
    by_link: dict[str, Proposal] = {}
    for p, d in decided:
        b = p.broken
        version = tracked[b.link]["version"] if b.link in tracked else None
        if d.action == REPAIR and d.candidate is not None:
            ops.append(repair_op(roots, b, d.candidate, run_id, version))
        elif d.action == QUARANTINE:
            ops.append(quarantine_op(roots, b, run_id, version))
        else:
            _skip(report, p, d.reason or "skipped")
            continue
        by_link[b.link] = p

    def done(out: Outcome) -> None:
        p = by_link[out.op.link]
        if not out.ok:
            _skip(report, p, out.reason)
            return
        _report_op(report, out.op, p)
        if out.op.version is not None:
            tracked[out.op.link]["version"] = out.op.version + 1
        else:
            tracked[out.op.link] = {"version": 2}

    execute(session, roots, journal, ops, on_outcome=done)


def _report_op(report: RepairReport, op: Op, p: Proposal) -> None:
    r = op.record
    if isinstance(r, Repair):
        report.repaired.append(
            {
                "link": display(op.link),
                "old_target": display(r.old_target),
                "new_target": display(r.new_target),
                "method": r.method,
                "target_path": display(r.target_path),
                "file_id": r.file_id,
                "problem": p.broken.problem,
            }
        )
    else:
        assert isinstance(r, Quarantine)
        report.quarantined.append(
            {
                "link": display(op.link),
                "trash_path": display(r.trash_path),
                "dangling_target": display(r.dangling_target),
                "problem": p.broken.problem,
            }
        )


def _report_decision(
    report: RepairReport, p: Proposal, d: LinkDecision, roots: Roots, run_id: str | None
) -> None:
    """What a dry run would do."""
    b = p.broken
    if d.action == REPAIR and d.candidate is not None:
        new = repair_op(roots, b, d.candidate, run_id or "dry-run", None).after[0] or ""
        report.repaired.append(
            {
                "link": display(b.link),
                "old_target": display(b.target),
                "new_target": display(new),
                "method": d.candidate.method,
                "target_path": display(d.candidate.path),
                "file_id": d.candidate.file_id,
                "problem": b.problem,
            }
        )
    elif d.action == QUARANTINE:
        report.quarantined.append(
            {
                "link": display(b.link),
                "trash_path": display(quarantine_path(run_id or "<run id>", b.link)),
                "dangling_target": display(b.target),
                "problem": b.problem,
            }
        )
    else:
        _skip(report, p, d.reason)


def _skip(report: RepairReport, p: Proposal, reason: str) -> None:
    b = p.broken
    report.skipped.append(
        {
            "link": display(b.link),
            "target": display(b.target),
            "problem": b.problem,
            "reason": reason,
            "candidates": [candidate_json(c) for c in p.candidates],
        }
    )


def candidate_json(c: LinkCandidate) -> dict[str, Any]:
    return {
        "path": display(c.path),
        "file_id": c.file_id,
        "method": c.method,
        "score": c.score,
        "reason": c.reason,
    }


__all__ = ["QUARANTINE", "REPAIR", "SKIP", "Chooser", "RepairReport", "repair_links"]
