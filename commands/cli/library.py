"""The library's own commands: init, import, status, catalog, history, runs, sql, demo, ..."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
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
    json_array,
    note,
    print_errors,
    print_json,
    print_notices,
    print_table,
    shorten,
    stdout_is_terminal,
    to_csv,
    write_out,
)
from videotheque.commands.cli.moments import parse_moment
from videotheque.commands.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from videotheque.commands.progress import progress
from videotheque.commands.usecases.setup import init_library
from videotheque.domain.paths import visible
from videotheque.projections import queries
from videotheque.projections.media import media_summary


@command("init")
def init_cmd(
    root: Annotated[
        Path,
        typer.Argument(
            help="Library root; roots default to ROOT/storage, ROOT/video and ROOT/trash."
        ),
    ],
    storage: Annotated[Path | None, typer.Option(help="Storage root (real files).")] = None,
    video: Annotated[Path | None, typer.Option(help="Video root (symlinks).")] = None,
    trash: Annotated[Path | None, typer.Option(help="Trash root.")] = None,
    store: StoreOpt = None,
    home: HomeOpt = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Re-point the roots or store of an existing library."),
    ] = False,
) -> None:
    """Record a library: its storage, video and trash roots and its event store."""
    config, notes = init_library(root, home, storage, video, trash, store, force=force)
    for n in notes:
        note(n)
    echo(
        f"storage: {visible(config.storage)}\nvideo:   {visible(config.video)}\n"
        f"trash:   {visible(config.trash)}"
    )


@command("import")
def import_cmd(
    storage_dir: Annotated[
        Path | None,
        typer.Argument(help="Storage root to scan [default: the library's]."),
    ] = None,
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    min_age: Annotated[
        float | None,
        typer.Option("--min-age", help="Skip files modified less than SECONDS ago.", min=0),
    ] = None,
    allow_mass_vanish: Annotated[
        bool,
        typer.Option(help="Record it even if more than 20% of the catalog would vanish."),
    ] = False,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Scan storage into the catalog (new, unchanged, moved, copies, changed, vanished)."""
    # The name parser's rules compile dozens of regexes: imported by the commands that parse.
    from videotheque.commands.usecases.importer import import_storage

    if min_age is not None and min_age != min_age:  # nan
        fail("--min-age must be a number of seconds", EXIT_USAGE)
    with open_session(home, store) as session, progress() as bar:
        report = import_storage(
            session,
            storage_dir,
            dry_run=dry_run,
            min_age=min_age,
            allow_mass_vanish=allow_mass_vanish,
            progress=bar,
            arguments={
                "storage": os.fsdecode(storage_dir) if storage_dir else None,
                "dry_run": dry_run,
                "min_age": min_age,
                "allow_mass_vanish": allow_mass_vanish,
            },
        )
        print_notices(session)
    if json_out:
        print_json(report.as_json())
    else:
        c = report.counts
        prefix = "dry run: would record" if dry_run else "imported"
        echo(
            f"{prefix}: {c['new']} new, {c['unchanged']} unchanged, {c['moved']} moved, "
            f"{c['copies']} copies, {c['changed']} changed, {c['vanished']} vanished, "
            f"{c['reappeared']} reappeared, {len(report.errors)} errors"
            + (f", {report.skipped_recent} too recent" if report.skipped_recent else "")
        )
        if report.run_id:
            echo(f"run {report.run_id} ({report.events} events)")
        print_errors(report.errors)
    if report.errors:
        raise typer.Exit(EXIT_FINDINGS)


@command("status")
def status_cmd(json_out: JsonOpt = False, home: HomeOpt = None, store: StoreOpt = None) -> None:
    """Counts by kind and status, the media quality picture, the store and projection
    positions."""
    from videotheque.commands.usecases.analyzer import media_lines  # see import_cmd

    with open_session(home, store, read_only=True) as session:
        store_position = session.position()
        with session.read() as con:
            data = queries.status_counts(con)
            data["media"] = media_summary(con, session.config.media.languages)
        print_notices(session)
    data["store_position"] = store_position
    data["home"] = str(session.home)
    if json_out:
        print_json(data)
        return
    print_table(
        ["kind", "status", "files", "GiB"],
        [
            (r["kind"], r["status"], r["files"], f"{r['bytes'] / 2**30:,.1f}")
            for r in data["by_kind"]
        ],
        title="catalog",
    )
    echo(
        f"event store position {store_position}, projection position {data['projection_position']}"
    )
    if data["last_run"]:
        lr = data["last_run"]
        echo(f"last run: {lr['command']} {lr['run_id']} ({lr['status']}, {lr['started_at']})")
    for line in media_lines(data["media"]):
        echo(line)


@command("catalog")
def catalog_cmd(
    kind: Annotated[
        str | None, typer.Option(help="movie, episode, extra or other.", show_default=False)
    ] = None,
    json_out: JsonOpt = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The catalog as it was then, replayed from the event store "
            "(YYYY-MM-DD is the end of that day; also YYYY-MM-DDTHH:MM, yesterday, 7d).",
            show_default=False,
        ),
    ] = None,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """The current catalog (or, with --as-of, the catalog as it was then)."""
    from videotheque.commands.usecases.reporter import connect_as_of  # jinja2: not at start-up

    if kind is not None and kind not in ("movie", "episode", "extra", "other"):
        fail(f"--kind must be movie, episode, extra or other, not {kind!r}", EXIT_USAGE)
    moment = parse_moment(as_of, end_of_day=True, option="--as-of") if as_of is not None else None
    with open_session(home, store, read_only=True) as session:
        with connect_as_of(session, moment) as con:
            rows = queries.catalog(con, kind=kind)
        print_notices(session)
    if json_out:
        print_json(rows)
        return
    # The year of the match when there is one (an enriched series' first-air year: the
    # name of an episode seldom holds a year), else the parsed one; --json has both.
    print_table(
        ["kind", "title", "year", "S", "E", "status", "path"],
        [
            (
                r["kind"],
                r["title"],
                r.get("canonical_year") or r["year"],
                r["season"],
                r["episode"],
                r["status"],
                r["path"],
            )
            for r in rows
        ],
        title=f"{len(rows)} files",
    )


@command("history")
def history_cmd(
    path_or_id: Annotated[str, typer.Argument(help="A file id, or any path it ever had.")],
    json_out: JsonOpt = False,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Every event of one file, across all its paths."""
    with open_session(home, store, read_only=True) as session:
        target = _relative_to_roots(path_or_id, session.config)
        with session.read() as con:
            ids = queries.resolve_file_ids(con, target)
            events = queries.history(con, ids) if ids else []
        print_notices(session)
    if not ids:
        fail(f"no file known by {path_or_id!r}", EXIT_USAGE)
    if json_out:
        print_json(events)
        return
    print_table(
        ["#", "when", "event", "path", "details"],
        [
            (
                e["position"],
                (e["timestamp"] or "")[:19],
                e["type"],
                e["path"],
                _details(e["data"]),
            )
            for e in events
        ],
        title=f"history of {', '.join(ids)}",
    )


def _details(data: dict[str, object]) -> str:
    skip = {"run_id", "path", "new_path", "originator_version"}
    parts = []
    for k, v in data.items():
        if k in skip or v in (None, "", [], {}):
            continue
        if k == "candidates" and isinstance(v, list):  # enrichment: every one, with its score
            from videotheque.reports.render import candidates_text  # jinja2: not at start-up

            parts.append(f"candidates: {candidates_text(v)}")
            continue
        text = json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else str(v)
        parts.append(f"{k}={shorten(text)}")
    return " ".join(parts)


def _relative_to_roots(arg: str, config: object) -> str:
    """An absolute path under a root becomes relative to it (events store relative paths)."""
    p = os.path.abspath(arg) if os.path.isabs(arg) else None
    if p is None:
        return arg
    for root in (getattr(config, "storage", None), getattr(config, "video", None)):
        if root is not None and Path(p).is_relative_to(root):  # storage, then video (links)
            return os.path.relpath(p, os.fspath(root))
    return arg


@command("runs")
def runs_cmd(
    json_out: JsonOpt = False,
    limit: Annotated[int, typer.Option(help="Most recent N runs (0: all).", min=0)] = 50,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Every command run, newest first, with its summary."""
    with open_session(home, store, read_only=True) as session:
        with session.read() as con:
            rows = queries.runs(con, limit or None)
        print_notices(session)
    if json_out:
        print_json(rows)
        return
    print_table(
        ["run", "command", "started", "status", "exit", "summary"],
        [
            (
                r["run_id"],
                r["command"],
                (r["started_at"] or "")[:19],
                r["status"],
                r["exit_code"],
                _compact(r["summary"]),
            )
            for r in rows
        ],
    )


def _compact(summary: dict[str, object] | None) -> str:
    if not summary:
        return ""
    return " ".join(f"{k}={v}" for k, v in summary.items() if v not in (0, None, [], {}))


SQL_TABLE_ROWS = 1_000  # rows a table shows by default; csv and json stream them all


@command("sql")
def sql_cmd(
    query: Annotated[str, typer.Argument(help="A read-only SQL query over the projections.")],
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    max_rows: Annotated[
        int | None,
        typer.Option(
            "--max-rows",
            help=f"Print at most N rows (0: all) [default: {SQL_TABLE_ROWS:,} for a table, "
            "all for csv and json, which are printed as they come].",
            min=0,
            show_default=False,
        ),
    ] = None,
    memory_limit: Annotated[
        str, typer.Option("--memory-limit", help="Memory the query may use (DuckDB's units).")
    ] = "1GB",
    timeout: Annotated[
        float, typer.Option("--timeout", help="Stop the query after SECONDS (0: never).", min=0)
    ] = 60.0,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Run read-only SQL over the DuckDB projections (no writes, no file access), bounded
    in memory and time."""
    if fmt not in ("table", "csv", "json"):
        fail(f"--format must be table, csv or json, not {fmt!r}", EXIT_USAGE)
    if not query.replace(";", " ").strip():
        fail('no SQL given: sql "SELECT ..."', EXIT_USAGE)
    limit = (SQL_TABLE_ROWS if fmt == "table" else 0) if max_rows is None else max_rows
    printed = [0]  # rows printed so far (a cap may stop the query midway)
    with open_session(home, store, read_only=True) as session:
        print_notices(session)
        try:
            with queries.readonly_sql(
                str(session.projector.db_path), query, memory_limit=memory_limit, timeout=timeout
            ) as (columns, batches):
                more = _print_sql(fmt, columns, batches, limit, printed)
        except queries.SQLLimitError as exc:
            shown = f" ({printed[0]:,} rows printed before)" if fmt != "table" else ""
            fail(f"SQL: {exc}{shown}", EXIT_FINDINGS)
        except queries.SQLError as exc:
            fail(f"SQL: {exc}", EXIT_USAGE)
    if more:
        note(
            f"only the first {printed[0]:,} rows are shown (--max-rows {limit}); "
            "use --max-rows 0 with --format csv or json for all"
        )


def _print_sql(
    fmt: str,
    columns: list[str],
    batches: Iterator[list[tuple[object, ...]]],
    limit: int,
    printed: list[int],
) -> bool:
    """Print the rows as they come (csv, json) or as one table, counting them in
    ``printed``; True when ``limit`` (0: none) left some out."""
    more = False
    kept: list[tuple[object, ...]] = []
    exact = not stdout_is_terminal()  # csv to a pipe is the data as it is
    with json_array() if fmt == "json" else nullcontext() as out:
        if fmt == "csv":
            write_out(to_csv(columns, [], exact=exact), exact=exact)
        for batch in batches:
            if limit and printed[0] + len(batch) > limit:
                batch, more = batch[: limit - printed[0]], True
            printed[0] += len(batch)
            if out is not None:
                out.extend(dict(zip(columns, r, strict=True)) for r in batch)
            elif fmt == "csv":
                write_out(to_csv(columns, batch, exact=exact, header=False), exact=exact)
            else:
                kept.extend(batch)
            if more:
                break
    if fmt == "table":
        print_table(columns, kept)
    return more


@command("rebuild")
def rebuild_cmd(home: HomeOpt = None, store: StoreOpt = None) -> None:
    """Drop the DuckDB projections and replay every event into them."""
    with open_session(home, store, catch_up=False) as session:
        result = session.projector.rebuild()
    echo(
        f"rebuilt {session.projector.db_path}: {result.events} events replayed in "
        f"{result.seconds:.2f} s ({result.rate:,.0f} events/s), position {result.position}"
    )


@command("demo")
def demo_cmd(
    directory: Annotated[Path, typer.Argument(help="An empty (or new) folder for the demo.")],
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="Home for the demo library [default: DIR/home]. $VIDEOTHEQUE_HOME is "
            "ignored here, so the demo never touches your own library.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Build a sample library (sparse files, no network) in DIR and run the whole story."""
    from videotheque.commands.demo.run import run_demo  # every use case, httpx: only here

    code = run_demo(directory, home, echo=echo)
    if code != EXIT_OK:
        raise typer.Exit(code)
