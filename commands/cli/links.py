"""CLI commands for the video tree: ``repair-links``, ``organize``, ``undo``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from videotheque.commands.bootstrap import open_session
from videotheque.commands.cli.base import (
    DryRunOpt,
    HomeOpt,
    JsonOpt,
    StoreOpt,
    command,
    echo,
    note,
    print_json,
    print_notices,
)
from videotheque.domain.link_plan import QUARANTINE, REPAIR, SKIP, LinkDecision, Proposal
from videotheque.domain.paths import visible


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
    # Use cases are imported by the command that runs them: `--help` stays fast.
    from videotheque.commands.usecases.repairer import repair_links

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
        echo(text, err=self.err)

    def __call__(self, p: Proposal, index: int, total: int) -> LinkDecision | None:
        b = p.broken
        self.echo("")
        self.echo(f"[{index}/{total}] {visible(b.link)}")
        self.echo(f"    {b.problem}: -> {visible(b.target)}")
        if not p.candidates:
            self.echo("    no candidate (an orphan)")
        for i, c in enumerate(p.candidates, 1):
            self.echo(
                f"    {i}) {visible(c.path)}   [{c.method} {c.score:.2f}: {visible(c.reason)}]"
            )
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
                return LinkDecision(SKIP, reason="skipped by the user")
            if choice in ("t", "quarantine", "trash"):
                return LinkDecision(QUARANTINE)
            if choice.isdigit() and 1 <= int(choice) <= len(p.candidates):
                return LinkDecision(REPAIR, p.candidates[int(choice) - 1])
            self.echo(f"    not an answer: {answer!r}")


def _print_repairs(report: Any) -> None:
    verb = "would repair" if report.dry_run else "repaired"
    for r in report.repaired:
        echo(
            f"{verb}: {visible(r['link'])} -> {visible(r['new_target'])} "
            f"({r['method']}; was {visible(r['old_target'])})"
        )
    verb = "would quarantine" if report.dry_run else "quarantined"
    for q in report.quarantined:
        echo(f"{verb}: {visible(q['link'])} -> trash/{visible(q['trash_path'])}")
    for s in report.skipped:
        count = len(s["candidates"])
        echo(f"skipped: {visible(s['link'])}: {visible(s['reason'])} ({count} candidate(s))")
    for e in report.errors:
        echo(f"  error: {visible(e['path'])}: {visible(e['reason'])}", err=True)
    prefix, would = ("dry run: ", "would be ") if report.dry_run else ("", "")
    echo(
        f"{prefix}{report.broken} broken link(s): {len(report.repaired)} {would}repaired, "
        f"{len(report.quarantined)} {would}quarantined, {len(report.skipped)} left"
        + (f", {report.recovered} recovered from an interrupted run" if report.recovered else "")
    )
    if report.run_id:
        echo(f"run {report.run_id} (undo with: videotheque undo {report.run_id})")


@command("organize")
def organize_cmd(
    nfo: Annotated[
        bool,
        typer.Option(
            "--nfo",
            help="Also write NFO sidecars (Kodi/Jellyfin) beside the links of matched files "
            "[default: config.toml [organize] nfo].",
        ),
    ] = False,
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Create or update the video tree from the catalog: Films/Title (Year)/... and
    Series/Show (Year)/Season 01/... (templates in config.toml [organize])."""
    from videotheque.commands.usecases.organizer import organize  # see repair_links_cmd

    with open_session(home, store) as session:
        report = organize(session, dry_run=dry_run, arguments={"dry_run": dry_run})
        nfos = _write_nfos(session, dry_run) if nfo or _nfo_on(session) else None
        print_notices(session)
    for n in report.notes:
        note(n)
    if json_out:
        print_json(report.as_json() | ({"nfo": nfos.as_json()} if nfos is not None else {}))
    else:
        would = "would " if dry_run else ""
        if nfos is not None:
            _print_nfos(nfos, would)
        for c in report.created:
            echo(f"{would}create: {visible(c['link'])} -> {visible(c['target'])}")
        for r in report.retargeted:
            echo(
                f"{would}retarget: {visible(r['link'])} -> {visible(r['new_target'])} "
                f"(was {visible(r['old_target'])})"
            )
        for c in report.conflicts:
            echo(f"conflict: {visible(c['link'])}: {visible(c['reason'])}", err=True)
        for e in report.errors:
            echo(f"  error: {visible(e['link'])}: {visible(e['reason'])}", err=True)
        if report.unplaced:  # identity not confident, extras, kind other: each with its reason
            echo(f"not placed: {len(report.unplaced)} files")
            for u in report.unplaced:
                echo(f"  {visible(u['path'])}: {visible(u['reason'])}")
        echo(
            f"{'dry run: ' if dry_run else ''}{len(report.created)} created, "
            f"{len(report.retargeted)} retargeted, {report.unchanged} unchanged, "
            f"{len(report.conflicts)} conflicts, {len(report.unplaced)} files without a place"
            + (f", {len(report.errors)} errors" if report.errors else "")
        )
        if report.run_id:
            echo(f"run {report.run_id} (undo with: videotheque undo {report.run_id})")
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def _nfo_on(session: Any) -> bool:
    return bool(session.config.organize.nfo)


def _write_nfos(session: Any, dry_run: bool) -> Any:
    from videotheque.commands.usecases.nfo_writer import write_nfos  # only when NFOs are on

    return write_nfos(session, dry_run=dry_run)


def _print_nfos(nfos: Any, would: str) -> None:
    for w in nfos.written:
        echo(f"{would}write: {visible(w['path'])}")
    for k in nfos.kept:
        echo(f"kept: {visible(k['path'])}: {visible(k['reason'])}", err=True)
    for e in nfos.errors:
        echo(f"  error: {visible(e['path'])}: {visible(e['reason'])}", err=True)
    echo(
        f"NFO sidecars: {len(nfos.written)} {would}written, {nfos.unchanged} unchanged, "
        f"{len(nfos.kept)} written by someone else (left alone)"
        + (f" (run {nfos.run_id})" if nfos.run_id else "")
    )


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
    from videotheque.commands.usecases.undoer import undo_run  # see repair_links_cmd

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
            where = f" (back from trash/{visible(r['from_trash'])})" if r["from_trash"] else ""
            echo(f"{would}restore: {visible(r['link'])} -> {visible(r['target'])}{where}")
        for r in report.removed:
            echo(f"{would}remove: {visible(r['link'])} (moved to trash/{visible(r['trash_path'])})")
        for c in report.conflicts:
            echo(f"changed: {visible(c['link'])}: {visible(c['reason'])}", err=True)
        if report.refused:
            echo(
                f"refused: {len(report.conflicts)} path(s) are no longer as run "
                f"{report.undoes} left them (see above); nothing changed. "
                "--force reverts the rest and leaves those alone.",
                err=True,
            )
        else:
            echo(
                f"{'dry run: ' if dry_run else ''}undo of {report.command} run {report.undoes}: "
                f"{len(report.restored)} restored, {len(report.removed)} removed, "
                f"{len(report.conflicts)} left alone"
            )
        if report.run_id:
            echo(f"run {report.run_id}")
    if report.exit_code:
        raise typer.Exit(report.exit_code)
