"""CLI commands for the video tree: ``repair-links``, ``organize``, ``undo``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from videotheque.commands.bootstrap import open_session, print_notices
from videotheque.commands.cli_base import (
    DryRunOpt,
    HomeOpt,
    JsonOpt,
    StoreOpt,
    command,
    note,
    print_json,
)
from videotheque.domain.link_plan import QUARANTINE, REPAIR, SKIP, Decision, Proposal
from videotheque.domain.paths import display


@command("repair-links")
def repair_links_cmd(
    video_dir: Annotated[
        Path | None,
        typer.Argument(help="A folder of the video tree [default: the whole video root]."),
    ] = None,
    auto: Annotated[
        bool,
        typer.Option("--auto", help="Apply only certain repairs (identity, unique); no questions."),
    ] = False,
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    quarantine_orphans: Annotated[
        bool,
        typer.Option(
            "--quarantine-orphans",
            help="With --auto: move links with no candidate at all to <trash>/orphans/<run>/.",
        ),
    ] = False,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Find broken links under the video root and repair them (by identity, then by name)
    or quarantine them. Interactive unless --auto or --dry-run."""
    from videotheque.commands.repairer import repair_links

    chooser = None if (auto or dry_run) else _Asker(err=json_out)
    with open_session(home, store) as session:
        report = repair_links(
            session,
            video_dir,
            auto=auto,
            dry_run=dry_run,
            quarantine_orphans=quarantine_orphans,
            chooser=chooser,
            arguments={
                "video_dir": os.fsdecode(video_dir) if video_dir else None,
                "auto": auto,
                "dry_run": dry_run,
                "quarantine_orphans": quarantine_orphans,
            },
        )
        print_notices(session)
    for n in report.notes:
        note(n)
    if json_out:
        print_json(report.as_json())
    else:
        _print_repairs(report)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


class _Asker:
    """The interactive loop: one broken link at a time, numbered candidates."""

    def __init__(self, err: bool) -> None:
        self.err = err

    def echo(self, text: str = "") -> None:
        typer.echo(text, err=self.err)

    def __call__(self, p: Proposal, index: int, total: int) -> Decision | None:
        b = p.broken
        self.echo("")
        self.echo(f"[{index}/{total}] {display(b.link)}")
        self.echo(f"    {b.problem}: -> {display(b.target)}")
        if not p.candidates:
            self.echo("    no candidate (an orphan)")
        for i, c in enumerate(p.candidates, 1):
            self.echo(f"    {i}) {display(c.path)}   [{c.method} {c.score:.2f}: {c.reason}]")
        n = len(p.candidates)
        numbers = {0: "", 1: "1 repair with it, "}.get(n, f"1-{n} repair with that candidate, ")
        prompt = f"    {numbers}t quarantine, s skip, q quit"
        default = "1" if p.certain else "s"
        while True:
            try:
                answer = typer.prompt(prompt, default=default, err=self.err)
            except typer.Abort:  # end of input
                return None
            choice = str(answer).strip().lower()
            if choice in ("q", "quit"):
                return None
            if choice in ("s", "skip"):
                return Decision(SKIP, reason="skipped by the user")
            if choice in ("t", "quarantine", "trash"):
                return Decision(QUARANTINE)
            if choice.isdigit() and 1 <= int(choice) <= len(p.candidates):
                return Decision(REPAIR, p.candidates[int(choice) - 1])
            self.echo(f"    not an answer: {answer!r}")


def _print_repairs(report: Any) -> None:
    verb = "would repair" if report.dry_run else "repaired"
    for r in report.repaired:
        typer.echo(
            f"{verb}: {r['link']} -> {r['new_target']} ({r['method']}; was {r['old_target']})"
        )
    verb = "would quarantine" if report.dry_run else "quarantined"
    for q in report.quarantined:
        typer.echo(f"{verb}: {q['link']} -> trash/{q['trash_path']}")
    for s in report.skipped:
        count = len(s["candidates"])
        typer.echo(f"skipped: {s['link']}: {s['reason']} ({count} candidate(s))")
    for e in report.errors:
        typer.echo(f"  error: {e['path']}: {e['reason']}", err=True)
    prefix, would = ("dry run: ", "would be ") if report.dry_run else ("", "")
    typer.echo(
        f"{prefix}{report.broken} broken link(s): {len(report.repaired)} {would}repaired, "
        f"{len(report.quarantined)} {would}quarantined, {len(report.skipped)} left"
        + (f", {report.recovered} recovered from an interrupted run" if report.recovered else "")
    )
    if report.run_id:
        typer.echo(f"run {report.run_id} (undo with: videotheque undo {report.run_id})")


@command("organize")
def organize_cmd(
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Create or update the video tree from the catalog: Films/Title (Year)/... and
    Series/Show (Year)/Season 01/... (templates in config.toml [organize])."""
    from videotheque.commands.organizer import organize

    with open_session(home, store) as session:
        report = organize(session, dry_run=dry_run, arguments={"dry_run": dry_run})
        print_notices(session)
    for n in report.notes:
        note(n)
    if json_out:
        print_json(report.as_json())
    else:
        would = "would " if dry_run else ""
        for c in report.created:
            typer.echo(f"{would}create: {c['link']} -> {c['target']}")
        for r in report.retargeted:
            typer.echo(f"{would}retarget: {r['link']} -> {r['new_target']} (was {r['old_target']})")
        for c in report.conflicts:
            typer.echo(f"conflict: {c['link']}: {c['reason']}", err=True)
        for e in report.errors:
            typer.echo(f"  error: {e['link']}: {e['reason']}", err=True)
        typer.echo(
            f"{'dry run: ' if dry_run else ''}{len(report.created)} created, "
            f"{len(report.retargeted)} retargeted, {report.unchanged} unchanged, "
            f"{len(report.conflicts)} conflicts, {len(report.unplaced)} files without a place"
            + (f", {len(report.errors)} errors" if report.errors else "")
        )
        if report.run_id:
            typer.echo(f"run {report.run_id} (undo with: videotheque undo {report.run_id})")
    if report.exit_code:
        raise typer.Exit(report.exit_code)


@command("undo")
def undo_cmd(
    run_id: Annotated[str, typer.Argument(help="The run to revert (its id or a prefix).")],
    dry_run: DryRunOpt = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Revert what still is as the run left it; leave the changed paths alone.",
        ),
    ] = False,
    json_out: JsonOpt = False,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Revert the link actions of one run (repairs, quarantines, organize), newest first."""
    from videotheque.commands.undoer import undo_run

    with open_session(home, store) as session:
        report = undo_run(
            session,
            run_id,
            dry_run=dry_run,
            force=force,
            arguments={"run_id": run_id, "dry_run": dry_run, "force": force},
        )
        print_notices(session)
    for n in report.notes:
        note(n)
    if json_out:
        print_json(report.as_json())
    else:
        would = "would " if dry_run else ""
        for r in report.restored:
            where = f" (back from trash/{r['from_trash']})" if r["from_trash"] else ""
            typer.echo(f"{would}restore: {r['link']} -> {r['target']}{where}")
        for r in report.removed:
            typer.echo(f"{would}remove: {r['link']} (moved to trash/{r['trash_path']})")
        for c in report.conflicts:
            typer.echo(f"changed: {c['link']}: {c['reason']}", err=True)
        if report.refused:
            typer.echo(
                f"refused: {len(report.conflicts)} path(s) are no longer as run "
                f"{report.undoes} left them (see above); nothing changed. "
                "--force reverts the rest and leaves those alone.",
                err=True,
            )
        else:
            typer.echo(
                f"{'dry run: ' if dry_run else ''}undo of {report.command} run {report.undoes}: "
                f"{len(report.restored)} restored, {len(report.removed)} removed, "
                f"{len(report.conflicts)} left alone"
            )
        if report.run_id:
            typer.echo(f"run {report.run_id}")
    if report.exit_code:
        raise typer.Exit(report.exit_code)
