"""``undo RUN_ID``: revert the link actions of one run, newest first.

Each action the run recorded (``LinkRepaired``, ``LinkRetargeted``, ``LinkCreated``,
``LinkQuarantined``) has an inverse: point the link back at its old text, take a created
link away (to ``<trash>/undo/<undo run id>/...``: nothing is deleted), move a quarantined
link back from the trash. The inverse is recorded as ``LinkRestored`` / ``LinkRemoved``
with ``undoes`` naming the run. Before anything changes, the disk is compared with what the
run left at every path; where it differs (a person, another run), the undo refuses and names
the paths, unless ``--force``: then those links are left alone and the rest is reverted.
Undo goes through the same journal as every link action (commands/adapters/linkops.py).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from videotheque.commands.adapters.linkjournal import Remove, Restore
from videotheque.commands.adapters.linkops import (
    Journal,
    Op,
    Outcome,
    execute,
    observe,
    pending_journals,
    recover,
    tmp_name,
)
from videotheque.commands.adapters.linkscan import Roots, resolve_text, roots_of
from videotheque.commands.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from videotheque.commands.ports import Workspace
from videotheque.domain.link_plan import undo_trash_path
from videotheque.domain.paths import display
from videotheque.projections.links import find_runs, run_link_actions, tracked_links, undone_by


@dataclass
class UndoReport:
    run_id: str | None
    undoes: str
    command: str
    restored: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    already: list[dict[str, Any]] = field(default_factory=list)
    refused: bool = False
    dry_run: bool = False
    recovered: int = 0
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "undoes": self.undoes,
            "command": self.command,
            "restored": self.restored,
            "removed": self.removed,
            "conflicts": self.conflicts,
            "already": self.already,
            "refused": self.refused,
            "dry_run": self.dry_run,
        }

    @property
    def summary(self) -> dict[str, Any]:
        return {
            "undoes": self.undoes,
            "restored": len(self.restored),
            "removed": len(self.removed),
            "conflicts": len(self.conflicts),
            "refused": self.refused,
        }

    @property
    def exit_code(self) -> int:
        return EXIT_FINDINGS if (self.conflicts or self.refused) else EXIT_OK


class UndoRefusedError(UsageError):
    exit_code = EXIT_FINDINGS


def resolve_run(session: Workspace, text: str) -> dict[str, Any]:
    """The run named by its id or any unique prefix of it (one character may do)."""
    if not text.strip():
        raise UsageError("give the id of a run, or the start of it (see `videotheque runs`)")
    with session.read() as con:
        runs = find_runs(con, text)
    if not runs:
        raise UsageError(f"no run {display(text)!r} (see `videotheque runs`)")
    if len(runs) > 1:
        shown = "".join(f"\n  {r['run_id']}  {r['command']}  {r['started_at']}" for r in runs[:20])
        more = f"\n  ... and {len(runs) - 20} more" if len(runs) > 20 else ""
        raise UsageError(
            f"{display(text)!r} is the start of {len(runs)} run ids: give more of it{shown}{more}"
        )
    return runs[0]


def undo_run(
    session: Workspace,
    run_text: str,
    *,
    dry_run: bool = False,
    force: bool = False,
    arguments: dict[str, Any] | None = None,
) -> UndoReport:
    roots = roots_of(session.config)
    target = resolve_run(session, run_text)
    if target["command"] == "undo":
        raise UsageError(
            f"run {target['run_id']} is itself an undo: run the original command again instead"
        )
    report = UndoReport(run_id=None, undoes=target["run_id"], command=target["command"])
    report.dry_run = dry_run
    if dry_run:
        if pending_journals(session.home):
            report.notes.append(
                "an interrupted run left link actions to settle: "
                "the next run without --dry-run records them"
            )
    elif not pending_journals(session.home):
        # No interrupted run to settle: plan first, and when there is nothing left to do
        # (undoing twice) say so and record nothing, not even a run.
        probe = UndoReport(run_id=None, undoes=target["run_id"], command=target["command"])
        if not _plan(session, roots, probe, "<undo run id>", force) and _all_undone(probe):
            return probe
    if not dry_run:
        run = session.start_run("undo", arguments or {"run_id": target["run_id"]})
        report.run_id = run.run_id
        rec = recover(session, run.run_id)
        report.recovered = len(rec.recorded)
        session.catch_up()

    ops = _plan(session, roots, report, report.run_id or "<undo run id>", force)

    if dry_run:
        for op in ops:
            _report(report, op)
        return report

    assert report.run_id is not None
    journal = Journal(session.home, report.run_id)

    def done(out: Outcome) -> None:
        if out.ok:
            _report(report, out.op)
        else:
            report.conflicts.append(_conflict(out.op, out.reason))

    execute(session, roots, journal, ops, on_outcome=done)
    journal.close()
    session.finish_run(report.summary, report.exit_code)
    session.catch_up()
    return report


def _all_undone(report: UndoReport) -> bool:
    return bool(report.already) and not report.conflicts


def _plan(
    session: Workspace, roots: Roots, report: UndoReport, undo_id: str, force: bool
) -> list[Op]:
    """The inverse actions left to do, with what is already undone and what changed since
    noted in ``report``."""
    with session.read() as con:
        actions = [a for a in run_link_actions(con, report.undoes) if a["type"] in _INVERSES]
        links = tracked_links(con, {a["data"]["link"] for a in actions})
        undoers = undone_by(con, report.undoes)
    if not actions:
        report.notes.append(f"run {report.undoes} ({report.command}) changed no link")

    ops = _inverse_ops(roots, actions, links, undo_id)
    already = _check(report, ops, links, undoers)
    ops = [op for op in ops if op.link_id not in already]
    if report.already:
        by = f" by run {', '.join(undoers)}" if undoers else ""
        report.notes.append(f"{len(report.already)} link(s) already as before the run{by}")
        if not ops and not report.conflicts:
            report.notes.append(f"nothing left to do: run {report.undoes} is undone")
    if report.conflicts and not force:
        report.refused = True
        ops = []
    elif report.conflicts:
        bad = {c["link_id"] for c in report.conflicts}
        ops = [op for op in ops if op.link_id not in bad]
    return ops


_INVERSES = ("LinkRepaired", "LinkRetargeted", "LinkCreated", "LinkQuarantined")


def _inverse_ops(
    roots: Roots,
    actions: Sequence[dict[str, Any]],
    links: dict[str, dict[str, Any]],
    undo_id: str,
) -> list[Op]:
    """One inverse op per action, newest action first; versions follow each other."""
    ops: list[Op] = []
    version = {link: row["version"] for link, row in links.items()}
    for a in reversed(actions):
        d = a["data"]
        link = d["link"]
        path = posixpath.join(roots.video, link)
        v = version.get(link)
        base: dict[str, Any] = {
            "link_id": a["link_id"],
            "link": link,
            "version": v,
            "run_id": undo_id,
        }
        if a["type"] in ("LinkRepaired", "LinkRetargeted"):
            old, new = d["old_target"], d["new_target"]
            op = Op(
                kind="retarget",
                paths=[path],
                before=[new],
                after=[old],
                record=Restore(
                    target=old,
                    target_path=_storage_path(roots, link, old),
                    file_id=d.get("file_id"),
                    replaced_target=new,
                    trash_path=None,
                    undoes=d["run_id"],
                    run_id=undo_id,
                ),
                tmp=tmp_name(path, a["link_id"]),
                allow_outside=True,  # it is what the link was before that run
                **base,
            )
        elif a["type"] == "LinkCreated":
            rel = undo_trash_path(undo_id, link)
            text = d["target"]
            op = Op(
                kind="move",
                paths=[path, posixpath.join(roots.trash, rel)],
                before=[text, None],
                after=[None, text],
                record=Remove(target=text, trash_path=rel, undoes=d["run_id"], run_id=undo_id),
                **base,
            )
        else:  # LinkQuarantined
            text = d["dangling_target"]
            op = Op(
                kind="move",
                paths=[posixpath.join(roots.trash, d["trash_path"]), path],
                before=[text, None],
                after=[None, text],
                record=Restore(
                    target=text,
                    target_path=_storage_path(roots, link, text),
                    file_id=d.get("file_id"),
                    replaced_target=None,
                    trash_path=d["trash_path"],
                    undoes=d["run_id"],
                    run_id=undo_id,
                ),
                **base,
            )
        ops.append(op)
        if v is not None:
            version[link] = v + 1
    return ops


def _storage_path(roots: Roots, link: str, text: str) -> str | None:
    return roots.storage_relative(resolve_text(text, roots.link_folder(link)))


def _check(
    report: UndoReport,
    ops: Sequence[Op],
    links: dict[str, dict[str, Any]],
    undoers: Sequence[str],
) -> set[str]:
    """Compare the disk with what the run left, at the newest action of each link.
    Returns the links already as they were before the run (nothing to do for them)."""
    first: dict[str, Op] = {}
    for op in ops:
        first.setdefault(op.link_id, op)
    already: set[str] = set()
    for op in first.values():
        now = [observe(p) for p in op.paths]
        if now == op.before:
            continue
        row = links.get(op.link, {})
        if _as_before(op, now, _as_before_run(op, ops)):
            already.add(op.link_id)
            report.already.append({"link": display(op.link), "undone_by": list(undoers)})
            continue
        if row.get("last_run_id") not in (None, report.undoes):
            reason = f"changed since by run {row['last_run_id']} ({row.get('last_event')})"
        else:
            reason = "not what the run left on disk (changed by someone else)"
        report.conflicts.append(_conflict(op, reason, now))
    return already


def _as_before(op: Op, now: list[str | None], before_run: list[str | None]) -> bool:
    """The disk at ``op.paths`` is as before the run. A created link taken away is judged
    at its own path only: where it went in the trash names the undo run that took it (an
    earlier undo, or one killed midway), never this one."""
    if isinstance(op.record, Remove):
        return now[0] == before_run[0]
    return now == before_run


def _as_before_run(op: Op, ops: Sequence[Op]) -> list[str | None]:
    """The disk at ``op.paths`` once every inverse op of its link has run."""
    last = [o for o in ops if o.link_id == op.link_id][-1]
    if last.paths == op.paths:
        return list(last.after)
    state = dict(zip(op.paths, op.before, strict=True))
    for o in (o for o in ops if o.link_id == op.link_id):
        state.update(zip(o.paths, o.after, strict=True))
    return [state.get(p) for p in op.paths]


def _conflict(op: Op, reason: str, now: list[str | None] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "link": display(op.link),
        "link_id": op.link_id,
        "paths": [display(p) for p in op.paths],
        "reason": reason,
    }
    if now is not None:
        out["found"] = [display(n) if n and not n.startswith("\x00") else n and "not a link"
                        for n in now]  # fmt: skip
        out["expected"] = [display(b) if b is not None else None for b in op.before]
    return out


def _report(report: UndoReport, op: Op) -> None:
    r = op.record
    if isinstance(r, Remove):
        report.removed.append(
            {"link": display(op.link), "target": display(r.target),
             "trash_path": display(r.trash_path)}
        )  # fmt: skip
    else:
        assert isinstance(r, Restore)
        report.restored.append(
            {
                "link": display(op.link),
                "target": display(r.target),
                "replaced_target": display(r.replaced_target) if r.replaced_target else None,
                "from_trash": display(r.trash_path) if r.trash_path else None,
            }
        )
