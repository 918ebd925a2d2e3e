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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import duckdb
import typer
from eventsourcing.persistence import PersistenceError

from videotheque import __version__
from videotheque.commands.adapters import lock
from videotheque.commands.bootstrap import Session, disk_full_hint
from videotheque.commands.config import default_home
from videotheque.commands.errors import EXIT_FINDINGS, VideothequeError
from videotheque.domain.paths import display, visible

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
        typer.echo(f"videotheque {__version__}")  # noqa: TID251
        raise typer.Exit()


@app.callback()
def global_options(
    ctx: typer.Context,
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
    # Only for this invocation: restored when it ends (tests and `watch` run many).
    given = {"VIDEOTHEQUE_HOME": home and os.fspath(home), "VIDEOTHEQUE_STORE": store}
    saved = {name: os.environ.get(name) for name, value in given.items() if value is not None}
    for name in saved:
        os.environ[name] = str(given[name])

    def restore() -> None:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    ctx.call_on_close(restore)


def command(name: str | None = None, **kwargs: Any) -> Callable[[F], F]:
    """Register a CLI command whose domain errors become a message and an exit code."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            lock.activity = name or fn.__name__
            try:
                return fn(*args, **kw)
            except VideothequeError as exc:
                fail(str(exc), exc.exit_code)
            except BrokenPipeError:
                # The reader went away (`| head`): nothing to say, and nowhere to say it.
                _quiet_stdout()
                raise typer.Exit(EXIT_FINDINGS) from None
            except OSError as exc:
                # A full disk, a read-only home, a vanished mount: say what and where.
                where = f": {exc.filename}" if exc.filename else ""
                fail(f"{exc.strerror or exc}{where} (nothing half-written is kept)", EXIT_FINDINGS)
            except Exception as exc:
                if _is_storage_error(exc):
                    hint = _disk_full_hint(kw.get("home"), exc)
                    fail(f"{type(exc).__name__}: {_first_line(exc)}{hint}", EXIT_FINDINGS)
                raise
            except KeyboardInterrupt:
                fail("interrupted: what was saved is kept; run the command again to finish", 130)

        app.command(name, **kwargs)(wrapper)
        return fn

    return decorate


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the flush at exit does not fail a second time
    on the closed pipe (Python would print ``Exception ignored ... BrokenPipeError``)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real stdout (a test runner's buffer)
        pass


def _is_storage_error(exc: Exception) -> bool:
    """Errors of the event store or the projection: a message, not a traceback."""
    return isinstance(exc, PersistenceError | duckdb.Error)


def _disk_full_hint(home: Path | None, exc: BaseException) -> str:
    """A store or projection that cannot grow: say which disk is full."""
    return disk_full_hint(home or default_home(), exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# Everything a command prints goes through ``echo``, ``note``, ``fail``, ``print_table`` or
# ``print_json`` (ruff bans ``typer.echo`` and ``print`` elsewhere): text from the library
# (file names, link targets, provider titles, SQL results, error messages quoting them) is
# shown with ``visible``, so no name can clear the screen, retitle the window or split a
# line. ``--json`` stays exact: JSON escapes what a terminal would act on.


def echo(text: str = "", err: bool = False) -> None:
    """Print lines: control characters in them are shown visibly (line breaks stay line
    breaks; interpolate names with ``visible`` so that theirs do not)."""
    typer.echo("\n".join(visible(line) for line in text.split("\n")), err=err)  # noqa: TID251


def fail(message: str, code: int) -> None:
    typer.echo(f"videotheque: error: {visible(message)}", err=True)  # noqa: TID251
    raise typer.Exit(code)


def note(message: str) -> None:
    typer.echo(f"videotheque: {visible(message)}", err=True)  # noqa: TID251


# A reason shared by more files than this is one line, not one line per file.
GROUP_OVER = 10
GROUP_SHOWN = 3


def print_errors(errors: Sequence[Any], label: str = "error") -> None:
    """Per-file errors on stderr (objects with ``path`` and ``reason``), grouped by reason:
    20,000 zero-byte files are one line naming the first few (``--json`` has them all)."""
    by_reason: dict[str, list[str]] = {}
    for e in errors:
        by_reason.setdefault(str(e.reason), []).append(visible(e.path))
    for reason, paths in by_reason.items():
        if len(paths) <= GROUP_OVER:
            for path in paths:
                echo(f"  {label}: {path}: {visible(reason)}", err=True)
            continue
        first = ", ".join(paths[:GROUP_SHOWN])
        echo(
            f"  {label}: {len(paths)} files: {visible(reason)} "
            f"(first: {first}, ...; all in --json)",
            err=True,
        )


def print_json(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False, indent=2, default=_json_default)
    typer.echo(_escape_for_terminal(text))  # noqa: TID251


class _JsonArray:
    """A JSON array printed an element at a time (a streamed result)."""

    def __init__(self) -> None:
        self.count = 0

    def extend(self, items: Iterable[Any]) -> None:
        for item in items:
            text = json.dumps(item, ensure_ascii=False, default=_json_default)
            sys.stdout.write(("[\n  " if not self.count else ",\n  ") + _escape_for_terminal(text))
            self.count += 1
        sys.stdout.flush()


@contextmanager
def json_array() -> Iterator[_JsonArray]:
    """Print one JSON array whose elements are given as they come; it is closed (valid
    JSON) even when the elements stop early."""
    out = _JsonArray()
    try:
        yield out
    finally:
        sys.stdout.write("\n]\n" if out.count else "[]\n")
        sys.stdout.flush()


# json.dumps escapes C0 controls (\u001b) even with ensure_ascii=False, but not DEL, C1
# controls, bidi overrides, line separators or lone surrogates.
_JSON_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape_for_terminal(text: str) -> str:
    """Escape, inside the JSON text, what a terminal would act on: ``\\u009b``,
    ``\\u202e``. A non-UTF-8 file name (surrogateescape) cannot be written as UTF-8 either:
    it becomes a ``\\udcXX`` escape. ``json.loads`` reads every one back exactly
    (``os.fsencode`` then gives the original bytes). These characters only occur inside
    JSON strings, so escaping them keeps the document valid."""
    if text.isascii():
        return text
    return _JSON_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def print_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None
) -> None:
    # Rich's console and tables: imported when a table is printed, not at start-up.
    from rich.console import Console  # noqa: TID251
    from rich.table import Table

    table = Table(title=visible(title) if title is not None else None, show_lines=False)
    for c in columns:
        table.add_column(visible(c), overflow="fold")
    for r in rows:
        table.add_row(*[_cell(v) for v in r])
    Console(soft_wrap=False, markup=False, highlight=False).print(table)


class Lines(tuple[Any, ...]):
    """A table cell of several lines (one value a line, each shown visibly)."""


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, Lines):
        return "\n".join(visible(x) for x in v)
    if isinstance(v, list | dict):
        return visible(json.dumps(v, ensure_ascii=False, default=str))
    return visible(v)


_BREAK = re.compile(r"[\s,;/]")


def shorten(text: str, limit: int = 160) -> str:
    """``text`` whole when it fits in ``limit`` characters, else cut at the last word
    boundary (a space, a comma, a slash) before it, with an ellipsis: never mid-word."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cuts = [m.end() for m in _BREAK.finditer(head)]
    cut = cuts[-1] if cuts and cuts[-1] > limit // 2 else len(head)
    return head[:cut].rstrip(" ,;") + "…"


def _csv_value(v: Any, exact: bool) -> str:
    if v is None:
        return ""
    if isinstance(v, list | dict):
        v = json.dumps(v, ensure_ascii=False, default=str)
    text = str(v)
    if exact:  # the data as it is (a CSV field may hold a line break), valid UTF-8
        return text if text.isascii() else display(text)
    return visible(text)


def to_csv(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], exact: bool = False, header: bool = True
) -> str:
    """CSV text. ``exact`` keeps control characters as they are (for a pipe or a file); on a
    terminal they are shown visibly, as ``ls`` does with file names."""
    buf = io.StringIO()
    w = csv.writer(buf)
    if header:
        w.writerow([_csv_value(c, exact) for c in columns])
    for r in rows:
        w.writerow([_csv_value(v, exact) for v in r])
    return buf.getvalue()


def write_out(text: str, exact: bool = False) -> None:
    """Write a ready-made text (a CSV chunk, a rendered report) to stdout as it is when
    ``exact`` or when stdout is not a terminal, else with its control characters shown."""
    if not exact and sys.stdout.isatty():
        text = "\n".join(visible(line) for line in text.split("\n"))
    sys.stdout.write(text)
    sys.stdout.flush()


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def print_notices(session: Session) -> None:
    for notice in session.notices:
        note(notice)
