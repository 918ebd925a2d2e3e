"""CLI commands ``maintain`` (one pass of the daily job) and ``watch`` (a pass on changes)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from videotheque.commands.adapters.lock import WATCH_LOCK_NAME, HomeLock
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
from videotheque.commands.config import load_config, resolve_home
from videotheque.commands.errors import LockedError
from videotheque.commands.progress import progress
from videotheque.domain.paths import visible

SkipOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--skip",
        metavar="STEP",
        help="Leave out a step: import, enrich, organize, repair, check or notify. Repeatable.",
        show_default=False,
    ),
]
MinAgeOpt = Annotated[
    float | None,
    typer.Option(
        "--min-age",
        min=0,
        help="Import skips files modified less than SECONDS ago (still downloading) "
        "[default: config].",
        show_default=False,
    ),
]
OldestOpt = Annotated[
    int | None,
    typer.Option(
        "--check-oldest",
        min=1,
        help="The rolling check verifies the N files verified longest ago "
        "[default: [maintain] check_oldest, else 1000].",
        show_default=False,
    ),
]
NfoOpt = Annotated[
    bool,
    typer.Option("--nfo", help="Organize also writes NFO sidecars (or [organize] nfo = true)."),
]


@command("maintain")
def maintain_cmd(
    skip: SkipOpt = None,
    min_age: MinAgeOpt = None,
    check_oldest: OldestOpt = None,
    nfo: NfoOpt = False,
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Also write a report of this pass to FILE (.md or .html).",
            show_default=False,
        ),
    ] = None,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """One pass of the daily job: import, enrich, organize, repair-links --auto, a rolling
    check, then tell the media servers what changed. Exit 0 nothing needs you, 1 something
    does (pending matches, broken links, findings, errors), 3 storage unreachable."""
    # httpx, the providers and every use case: imported when a pass runs, not at start-up.
    from videotheque.commands.usecases.maintainer import maintain, options_from_config, pass_line

    if output is not None:  # a wrong -o is said before the pass, not after it ran
        from videotheque.commands.usecases.reporter import check_output

        check_output(output)
    with open_session(home, store) as session, progress() as bar:
        if output is not None:  # refused before the pass, not after it
            from videotheque.commands.usecases.reporter import refuse_library_files

            refuse_library_files(session, output)
        options = options_from_config(
            session.config.maintain, skip, dry_run=dry_run, min_age=min_age,
            check_oldest=check_oldest, nfo=nfo or None,
        )  # fmt: skip
        arguments = {"steps": list(options.steps), "dry_run": dry_run, "min_age": min_age,
                     "check_oldest": options.check_oldest, "nfo": nfo}  # fmt: skip
        on_step = None if json_out else (lambda line, notes: echo(line))
        report = maintain(session, options, progress=bar, arguments=arguments, on_step=on_step)
        written = None
        if output is not None and report.run_ids:
            written = write_pass_report(session, report.run_ids, output)
        print_notices(session)
    if output is not None and not report.run_ids:
        note("a dry run records no run: no report written")
    if json_out:
        print_json(report.as_json())
    else:
        for s in report.steps:
            for n in s.notes:
                echo(f"  {s.step}: {visible(n)}", err=True)
        echo(pass_line(report))
        for need in report.needs:
            echo(f"needs you: {visible(need)}")
        if written:
            echo(visible(written))
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def write_pass_report(session: object, run_ids: list[str], output: Path) -> str:
    from videotheque.commands.usecases.reporter import build_report  # jinja2: only to render

    fmt = "md" if output.suffix.lower() in (".md", ".markdown") else "html"
    result = build_report(session, fmt, run_ids=run_ids, output=output)  # type: ignore[arg-type]
    return f"{fmt} report of the pass written to {output} ({result.events:,} events)"


@command("watch")
def watch_cmd(
    debounce: Annotated[
        float | None,
        typer.Option(
            "--debounce",
            min=0.1,
            help="Seconds of quiet after a change before a pass [default: [watch] debounce, "
            "else 30].",
            show_default=False,
        ),
    ] = None,
    poll: Annotated[
        float | None,
        typer.Option(
            "--poll",
            min=1,
            help="Also look every SECONDS (network shares send no events): an unchanged "
            "storage records nothing [default: [watch] poll, else off].",
            show_default=False,
        ),
    ] = None,
    skip: SkipOpt = None,
    min_age: MinAgeOpt = None,
    check_oldest: OldestOpt = None,
    nfo: NfoOpt = False,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Run `maintain` when storage changes (file-system events, debounced; --poll for
    network shares). Stops cleanly on SIGTERM or Ctrl-C."""
    # httpx, the providers and every use case: imported when a pass runs, not at start-up.
    from videotheque.commands.usecases.maintainer import options_from_config
    from videotheque.commands.usecases.watcher import WatchSettings, watch  # see maintain_cmd

    # A bad [[notify]] is said now (load_config checks it), not at every pass.
    config = load_config(resolve_home(home)).require_library()
    section = config.watch
    quiet = debounce if debounce is not None else section.debounce
    every = poll if poll is not None else section.poll
    options = options_from_config(
        config.maintain, skip, min_age=min_age, check_oldest=check_oldest,
        nfo=nfo or None,
    )  # fmt: skip
    # One watcher per home: a second would run every pass twice (one after the other).
    watch_lock = HomeLock(resolve_home(home), name=WATCH_LOCK_NAME)
    try:
        watch_lock.acquire()
    except LockedError:
        raise LockedError(
            f"another `watch` is already running on this home ({watch_lock.holder}): "
            "one is enough; stop it first to start a new one"
        ) from None
    try:
        code = watch(WatchSettings(home=home, store=store, debounce=quiet, poll=every,
                                   options=options, retry=section.retry),
                     open_session)  # fmt: skip
    finally:
        watch_lock.release()
    if code:
        raise typer.Exit(code)
