"""CLI commands ``enrich``, ``pending`` and ``validate`` (registered by importing this)."""

from __future__ import annotations

import math
import os
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
    fail,
    note,
    print_json,
    print_notices,
    print_table,
)
from videotheque.commands.errors import EXIT_FINDINGS, EXIT_USAGE, UsageError
from videotheque.commands.progress import progress
from videotheque.domain.paths import display, visible

RateOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--rate",
        help="Requests per second allowed for a provider, e.g. --rate tmdb=20 "
        "[default: tmdb=40, tvdb=10]. Repeatable.",
        show_default=False,
    ),
]


# A provider's rate must be a real number of requests per second: nan, inf, 0 or 1e-300
# would never send a request (or never pause between them).
MIN_RATE, MAX_RATE = 0.01, 1000.0


def parse_rates(values: list[str] | None) -> dict[str, float]:
    rates: dict[str, float] = {}
    for value in values or []:
        name, sep, number = value.partition("=")
        try:
            rate = float(number)
        except ValueError:
            rate = math.nan
        if (
            not sep
            or name.strip().lower() not in ("tmdb", "tvdb")
            or not MIN_RATE <= rate <= MAX_RATE
        ):
            raise UsageError(
                f"--rate {value!r}: expected tmdb=N or tvdb=N, N requests per second "
                f"from {MIN_RATE} to {MAX_RATE:g}"
            )
        rates[name.strip().lower()] = rate
    return rates


@command("enrich")
def enrich_cmd(
    provider: Annotated[
        str, typer.Option(help="tmdb, tvdb, nfo or auto (NFO ids, then TMDB / TVDB).")
    ] = "auto",
    limit: Annotated[
        int | None, typer.Option(help="At most N files this run (oldest imports first).", min=0)
    ] = None,
    retry_pending: Annotated[
        bool, typer.Option("--retry-pending", help="Search again for the queued files too.")
    ] = False,
    language: Annotated[
        str | None,
        typer.Option(
            help="Title language, e.g. fr-FR [default: config, else fr-FR].", show_default=False
        ),
    ] = None,
    rate: RateOpt = None,
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Match files to TMDB / TVDB / NFO titles; unsure ones go to the validation queue."""
    # httpx, the providers and rapidfuzz: imported when enrich runs, not at start-up.
    from videotheque.commands.usecases.enricher import EnrichOptions, enrich, tuning

    with open_session(home, store) as session, progress() as bar:
        options = EnrichOptions(
            provider=provider.lower(),
            limit=limit,
            retry_pending=retry_pending,
            dry_run=dry_run,
            language=language or session.config.language or "fr-FR",
            **tuning(session.config.enrich, parse_rates(rate)),
        )
        arguments = {"provider": options.provider, "limit": limit, "language": options.language,
                     "retry_pending": retry_pending, "dry_run": dry_run,
                     "rates": options.rates}  # fmt: skip
        report = enrich(session, options, progress=bar, arguments=arguments)
        print_notices(session)
    for message in report.notes:
        note(message)
    if json_out:
        print_json(report.as_json() | ({"outcomes": [o.as_json() for o in report.outcomes]}
                                      if dry_run else {}))  # fmt: skip
    else:
        if dry_run:
            for o in report.outcomes:
                what = (
                    f"{o.provider}:{o.provider_id} {visible(o.title)} ({o.year})"
                    if o.provider
                    else ""
                )
                echo(f"{o.outcome:9} {what}  {visible(o.path)}")
        prefix = "dry run: would record" if dry_run else "enriched"
        echo(
            f"{prefix}: {report.enriched} enriched, {report.ambiguous} ambiguous, "
            f"{report.no_match} no match, {report.failed} failed, {report.skipped} skipped "
            f"({report.requests} requests, {report.retries} retries)"
        )
        if report.run_id:
            echo(f"run {report.run_id}")
        if report.ambiguous or report.no_match:
            echo("see `videotheque pending`, decide with `videotheque validate`")
    for o in report.outcomes:
        if o.outcome == "failed":
            echo(f"  failed: {visible(o.path)}: {visible(o.reason)}", err=True)
        elif o.outcome == "enriched" and o.reason:
            echo(f"  short: {visible(o.path)}: {visible(o.reason)}", err=True)
    if report.failed:
        raise typer.Exit(EXIT_FINDINGS)


@command("pending")
def pending_cmd(
    json_out: JsonOpt = False,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """The validation queue: files without a sure match, with candidates and scores."""
    from videotheque.commands.usecases.validator import queue  # httpx: see enrich_cmd

    with open_session(home, store, read_only=True) as session:
        entries = queue(session)
        print_notices(session)
    if json_out:
        print_json(entries)
        return
    rows: list[tuple[Any, ...]] = []
    for e in entries:
        first = True
        for c in e["candidates"] or [None]:
            cand = (
                f"{c['n']}. {c['provider']}:{visible(c['provider_id'])} {visible(c['title'])}"
                + (f" ({c['year']})" if c.get("year") else "")
                if c
                else "-"
            )
            score = f"{c['score']:.2f}" if c else ""
            rows.append(
                (display(e["path"]) if first else "", e["reason"] if first else "", cand, score)
            )
            first = False
    print_table(["file", "reason", "candidate", "score"], rows,
                title=f"{len(entries)} files to validate")  # fmt: skip


@command("validate")
def validate_cmd(
    file: Annotated[
        str | None,
        typer.Argument(help="A queued file (path or id) [default: the whole queue, in turn]."),
    ] = None,
    choose: Annotated[
        int | None, typer.Option("--choose", help="Take candidate N (as `pending` numbers them).")
    ] = None,
    id_: Annotated[
        str | None,
        typer.Option("--id", help="Take this title: tmdb:603, tvdb:81189.", show_default=False),
    ] = None,
    reject: Annotated[
        bool, typer.Option("--reject", help="None of the candidates: never propose them again.")
    ] = False,
    skip: Annotated[bool, typer.Option("--skip", help="Leave the file in the queue.")] = False,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Decide for queued files: choose a candidate, give an id, reject or skip."""
    from videotheque.commands.usecases import validator as v  # httpx: see enrich_cmd

    chosen = [a for a, on in (("choose", choose is not None), ("id", id_ is not None),
                              ("reject", reject), ("skip", skip)) if on]  # fmt: skip
    if len(chosen) > 1:
        fail("give at most one of --choose, --id, --reject, --skip", EXIT_USAGE)
    if chosen and file is None:
        fail(f"--{chosen[0]} needs a FILE", EXIT_USAGE)
    action: v.ValidationAnswer | None = None
    if chosen:
        action = (
            v.ValidationAnswer("choose", n=choose)
            if choose is not None
            else v.parse_answer(id_)
            if id_ is not None
            else v.ValidationAnswer("reject" if reject else "skip")
        )
    with open_session(home, store) as session:
        lookup = v.online_lookup(os.environ, session.config.language, session.home)
        if file is not None:
            file_id = v.resolve_file(session, file)
            entries = v.queue(session, [file_id])
            targets = [(file_id, entries[0] if entries else None)]
        else:
            targets = [(e["file_id"], e) for e in v.queue(session)]
        if not targets or (action is None and targets[0][1] is None):
            print_notices(session)
            if file is not None and action is None:
                fail(f"{file} is not in the validation queue", EXIT_FINDINGS)
            echo("the validation queue is empty")
            return
        run = session.start_run("validate", {"file": file, "action": chosen[0] if chosen else
                                             "interactive"})  # fmt: skip
        decided = 0
        try:
            for file_id, entry in targets:
                todo = action or _ask(entry)
                if todo.kind == "quit":
                    break
                message = v.apply(session, file_id, todo, run.run_id, entry, lookup)
                decided += message != "skipped"
                where = display(entry["path"]) if entry else file
                echo(f"{visible(where)}: {visible(message)}")
        finally:
            session.finish_run({"decided": decided}, 0)
            session.catch_up()
            print_notices(session)


def _ask(entry: dict[str, Any] | None) -> Any:
    """The interactive prompt for one queued file (Rich, on the terminal)."""
    # Rich and the validator (httpx): imported when a person is asked, not at start-up.
    from rich.console import Console  # noqa: TID251 (every text printed goes through visible)
    from rich.prompt import Prompt

    from videotheque.commands.usecases import validator as v

    assert entry is not None
    console = Console(stderr=False, highlight=False, markup=False)
    console.print(visible(v.describe(entry)))
    for c in entry["candidates"]:
        year = f" ({c['year']})" if c.get("year") else ""
        original = (
            f" [{visible(c['original_title'])}]"
            if c.get("original_title") and c["original_title"] != c["title"]
            else ""
        )
        console.print(f"  {c['n']}. {c['provider']}:{visible(c['provider_id'])} "
                      f"{visible(c['title'])}{year}"
                      f"{original}  score {c['score']:.2f}")  # fmt: skip
    while True:
        answer = Prompt.ask("number, tmdb:ID / tvdb:ID, r(eject), s(kip) or q(uit)",
                            default="s", console=console)  # fmt: skip
        try:
            action = v.parse_answer(answer)
        except UsageError as exc:
            console.print(visible(exc))
            continue
        if action.kind == "choose" and not 1 <= (action.n or 0) <= len(entry["candidates"]):
            console.print(f"choose 1 to {len(entry['candidates'])}")
            continue
        return action
