"""CLI: ``report`` and ``diff`` (``catalog --as-of`` lives with ``catalog`` in cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from videotheque.commands.bootstrap import open_session
from videotheque.commands.cli.base import (
    HomeOpt,
    JsonOpt,
    StoreOpt,
    command,
    echo,
    print_json,
    print_notices,
    print_table,
    write_out,
)
from videotheque.commands.cli.moments import FORMS, parse_moment
from videotheque.commands.errors import UsageError

DateHelp = f"Accepts {FORMS}."


@command("report")
def report_cmd(
    fmt: Annotated[str, typer.Option("--format", help="html or md.")] = "html",
    since: Annotated[
        str | None,
        typer.Option(help=f"Only events from this moment on. {DateHelp}", show_default=False),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            help="Only events up to this moment; the library is shown as it was then "
            "(replayed from the event store).",
            show_default=False,
        ),
    ] = None,
    run: Annotated[
        str | None,
        typer.Option(
            "--run", help="Only the events of this run (id or prefix).", show_default=False
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Write the report to FILE [default: stdout].", show_default=False
        ),
    ] = None,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """The audit report: library, activity charts, runs, imports and moves, enrichments,
    the validation queue, repairs and integrity, as one HTML file or as Markdown."""
    from videotheque.commands.usecases.reporter import build_report  # jinja2: only to render

    if fmt not in ("html", "md"):
        raise UsageError(f"--format must be html or md, not {fmt!r}")
    start = parse_moment(since, end_of_day=False, option="--since") if since is not None else None
    end = parse_moment(until, end_of_day=True, option="--until") if until is not None else None
    with open_session(home, store, read_only=True) as session:
        result = build_report(session, fmt, since=start, until=end, run_id=run, output=output)
        print_notices(session)
    if output is None:
        write_out(result.text)  # its names are escaped already; nothing raw on a terminal
        return
    echo(
        f"{fmt} report written to {output} ({len(result.text.encode()) / 1024:,.0f} KiB, "
        f"{result.events:,} events)"
    )


@command("diff")
def diff_cmd(
    start: Annotated[
        str,
        typer.Option("--from", help=f"The earlier moment. {DateHelp}", show_default=False),
    ],
    end: Annotated[
        str | None,
        typer.Option("--to", help="The later moment [default: now].", show_default=False),
    ] = None,
    json_out: JsonOpt = False,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """What changed between two moments: files added, moved, vanished, enriched, links
    repaired (both states replayed from the event store)."""
    from videotheque.commands.usecases.reporter import diff  # jinja2: see report_cmd

    moment_from = parse_moment(start, end_of_day=False, option="--from")
    moment_to = parse_moment(end, end_of_day=True, option="--to") if end is not None else None
    with open_session(home, store, read_only=True) as session:
        result = diff(session, moment_from, moment_to)
        print_notices(session)
    if json_out:
        print_json(result)
        return
    _print_diff(result)


def _print_diff(d: dict[str, Any]) -> None:
    echo(f"from {d['from']} to {d['to'] or 'now'}")
    counts = {k: len(d[k]) for k in ("added", "moved", "vanished", "reappeared", "enriched")}
    counts["links repaired"] = len(d["links_repaired"])
    echo(", ".join(f"{n} {k}" for k, n in counts.items()))
    if d["added"]:
        print_table(["path", "kind", "title", "year"],
                    [(r["path"], r["kind"], r["title"], r["year"]) for r in d["added"]],
                    title="added")  # fmt: skip
    if d["moved"]:
        print_table(["from", "to"], [(r["from_path"], r["to_path"]) for r in d["moved"]],
                    title="moved")  # fmt: skip
    for key in ("vanished", "reappeared"):
        if d[key]:
            print_table(["path", "title"], [(r["path"], r["title"]) for r in d[key]], title=key)
    if d["enriched"]:
        print_table(
            ["path", "match", "score"],
            [
                (r["path"], f"{r['title']} ({r['year']}) {r['provider']}:{r['provider_id']}",
                 "" if r["score"] is None else f"{r['score']:.2f}")
                for r in d["enriched"]
            ],
            title="enriched",
        )  # fmt: skip
    if d["links_repaired"]:
        print_table(
            ["link", "was", "now"],
            [(r["link"], r["old_target"], r["new_target"]) for r in d["links_repaired"]],
            title="links repaired",
        )
