"""``videotheque analyze``: read the files' technical facts with MediaInfo and record them."""

from __future__ import annotations

import math
from typing import Annotated

import typer

from videotheque.commands.bootstrap import open_session
from videotheque.commands.cli.base import (
    DryRunOpt,
    HomeOpt,
    JsonOpt,
    StoreOpt,
    command,
    echo,
    fail,
    print_errors,
    print_json,
    print_notices,
    print_table,
)
from videotheque.commands.config import MAX_WORKERS
from videotheque.commands.errors import EXIT_FINDINGS, EXIT_USAGE
from videotheque.commands.progress import progress


@command("analyze")
def analyze_cmd(
    all_files: Annotated[
        bool, typer.Option("--all", help="Analyse every present file again.")
    ] = False,
    missing: Annotated[
        bool,
        typer.Option("--missing", help="Analyse the files never analysed [the default]."),
    ] = False,
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Files read at once, 1 to 64 [default: 2 per core].", min=1, max=MAX_WORKERS
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds before a file is reported as stalled [default: 60].",
            min=0.1,
            max=86400,
        ),
    ] = None,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Read the files' technical facts with MediaInfo and record them (Analyzed events)."""
    # Imported by the command that runs it, like every use case the CLI does not always need.
    from videotheque.commands.usecases.analyzer import analyze_library

    if timeout is not None and not math.isfinite(timeout):
        fail(f"--timeout must be a number of seconds, not {timeout}", EXIT_USAGE)
    if all_files and missing:
        fail("--all and --missing exclude each other", EXIT_USAGE)
    with open_session(home, store) as session, progress() as bar:
        report = analyze_library(
            session,
            everything=all_files,
            dry_run=dry_run,
            workers=workers,
            timeout=timeout,
            progress=bar,
            arguments={"all": all_files, "dry_run": dry_run},
        )
        print_notices(session)
    if json_out:
        print_json(report.as_json())
    else:
        mode = "every present file" if all_files else "files never analysed"
        if dry_run:
            echo(f"dry run: would analyse {report.targets} files ({mode})")
        else:
            counts = ", ".join(f"{n} {k}" for k, n in sorted(report.by_status.items()))
            echo(
                f"analysed {sum(report.by_status.values())} of {report.targets} {mode}"
                + (f" ({counts})" if counts else "")
                + f", {len(report.errors)} errors"
            )
            if report.run_id:
                echo(f"run {report.run_id} (MediaInfo {report.mediainfo_version})")
        if report.unreadable_media:
            print_table(
                ["path", "reason"],
                [(u["path"], u["reason"]) for u in report.unreadable_media],
                title="unreadable media",
            )
        print_errors(report.errors)
    if report.errors or report.unreadable_media:
        raise typer.Exit(EXIT_FINDINGS)
