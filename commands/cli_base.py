"""What every CLI command shares: the Typer app, common options, output, error mapping.

Command modules import ``app`` and ``command`` from here and register themselves; the
one place that turns an error into a message on stderr and an exit code is
``command``'s wrapper.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from videotheque.commands.errors import EXIT_FINDINGS, VideothequeError
from videotheque.domain.paths import display

app = typer.Typer(
    name="videotheque",
    help="Keep a personal video library honest: catalog, enrich, repair links, check, report.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion
    pretty_exceptions_show_locals=False,  # never an API key in a traceback
    rich_markup_mode=None,
)

HomeOpt = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="VIDEOTHEQUE_HOME",
        help="Folder holding config.toml, the event store and the projection "
        "[default: $XDG_DATA_HOME/videotheque].",
        show_default=False,
    ),
]
StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        envvar="VIDEOTHEQUE_STORE",
        help="Event store: sqlite (default, in the home) or postgresql://user@host:port/db.",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Compute and print the plan; record and change nothing.")
]

F = TypeVar("F", bound=Callable[..., Any])


def _print_version(value: bool) -> None:
    if value:
        from videotheque import __version__

        typer.echo(f"videotheque {__version__}")
        raise typer.Exit()


@app.callback()
def global_options(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="Same as a command's --home, typed before the command.",
            show_default=False,
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Same as a command's --store, typed before the command.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """Keep a personal video library honest: catalog, enrich, repair links, check, report."""
    # A command's own options are parsed after this runs: handing the global values over
    # through the variables the options read gives the order people expect (the option after
    # the command, then the one before it, then the environment, then the default).
    if home is not None:
        os.environ["VIDEOTHEQUE_HOME"] = os.fspath(home)
    if store is not None:
        os.environ["VIDEOTHEQUE_STORE"] = store


def command(name: str | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Register a CLI command whose domain errors become a message and an exit code."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            try:
                return fn(*args, **kw)
            except VideothequeError as exc:
                fail(str(exc), exc.exit_code)
            except OSError as exc:
                # A full disk, a read-only home, a vanished mount: say what and where.
                where = f": {exc.filename}" if exc.filename else ""
                fail(f"{exc.strerror or exc}{where} (nothing half-written is kept)", EXIT_FINDINGS)
            except Exception as exc:
                if _is_storage_error(exc):
                    fail(f"{type(exc).__name__}: {_first_line(exc)}", EXIT_FINDINGS)
                raise
            except KeyboardInterrupt:
                fail("interrupted: what was saved is kept; run the command again to finish", 130)
            except BrokenPipeError:
                sys.stderr.close()
                raise typer.Exit(EXIT_FINDINGS) from None

        app.command(name, **kwargs)(wrapper)
        return fn

    return decorate


def _is_storage_error(exc: Exception) -> bool:
    """Errors of the event store or the projection: a message, not a traceback."""
    import duckdb
    from eventsourcing.persistence import PersistenceError

    return isinstance(exc, PersistenceError | duckdb.Error)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def fail(message: str, code: int) -> None:
    typer.echo(f"videotheque: error: {message}", err=True)
    raise typer.Exit(code)


def note(message: str) -> None:
    typer.echo(f"videotheque: {message}", err=True)


# A reason shared by more files than this is one line, not one line per file.
GROUP_OVER = 10
GROUP_SHOWN = 3


def print_errors(errors: Sequence[Any], label: str = "error") -> None:
    """Per-file errors on stderr (objects with ``path`` and ``reason``), grouped by reason:
    20,000 zero-byte files are one line naming the first few (``--json`` has them all)."""
    by_reason: dict[str, list[str]] = {}
    for e in errors:
        by_reason.setdefault(str(e.reason), []).append(display(str(e.path)))
    for reason, paths in by_reason.items():
        if len(paths) <= GROUP_OVER:
            for path in paths:
                typer.echo(f"  {label}: {path}: {display(reason)}", err=True)
            continue
        first = ", ".join(paths[:GROUP_SHOWN])
        typer.echo(
            f"  {label}: {len(paths)} files: {display(reason)} "
            f"(first: {first}, ...; all in --json)",
            err=True,
        )


def print_json(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=2, default=_json_default)
    typer.echo(_escape_lone_surrogates(text))


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_lone_surrogates(text: str) -> str:
    """A non-UTF-8 file name (surrogateescape) cannot be written as UTF-8: inside JSON
    strings it becomes a ``\\udcXX`` escape, which ``json.loads`` reads back exactly
    (``os.fsencode`` then gives the original bytes)."""
    if text.isascii():
        return text
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def print_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None
) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(str(c), overflow="fold")
    for r in rows:
        table.add_row(*[_cell(v) for v in r])
    Console(soft_wrap=False, markup=False, highlight=False).print(table)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list | dict):
        return display(json.dumps(v, ensure_ascii=False, default=str))
    return display(str(v))


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if v is None else _cell(v) for v in r])
    return buf.getvalue()
