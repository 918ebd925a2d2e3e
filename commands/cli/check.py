"""``videotheque check``: integrity in both directions, and fingerprint verification."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from videotheque.commands.bootstrap import open_session
from videotheque.commands.cli.base import (
    HomeOpt,
    JsonOpt,
    Lines,
    StoreOpt,
    command,
    echo,
    note,
    print_json,
    print_notices,
    print_table,
)
from videotheque.commands.progress import progress
from videotheque.commands.usecases.checker import CheckReport, check_library
from videotheque.domain import integrity
from videotheque.domain.paths import visible

_LABELS = {
    integrity.GHOSTS: "ghosts (catalogued, missing on disk)",
    integrity.ORPHANS: "orphans (on disk, not catalogued)",
    integrity.BROKEN_LINKS: "broken links",
    integrity.STRAY_LINKS: "stray links",
    integrity.DUPLICATES: "duplicates",
    integrity.HASH_MISMATCHES: "hash mismatches",
}

TABLE_ROWS = 100  # rows shown per table; --json and `sql` give them all

# Columns of each category's table: (heading, key).
_COLUMNS: dict[str, list[tuple[str, str]]] = {
    integrity.GHOSTS: [("path", "path"), ("file id", "file_id")],
    integrity.ORPHANS: [("path", "path")],
    integrity.BROKEN_LINKS: [("link", "link"), ("target", "target"), ("why", "reason")],
    integrity.STRAY_LINKS: [("link", "link"), ("target", "target"), ("why", "reason")],
    integrity.DUPLICATES: [("fingerprint", "fingerprint"), ("paths", "paths")],
    integrity.HASH_MISMATCHES: [
        ("path", "path"),
        ("what", "mismatch"),
        ("expected", "expected"),
        ("actual", "actual"),
        ("mtime changed", "mtime_changed"),
    ],
    "unreadable_media": [("path", "path"), ("why", "reason")],
    "errors": [("path", "path"), ("why", "reason")],
}

# What an unreachable root leaves unchecked (duplicates come from the catalog alone).
_NOT_CHECKED = {
    "storage": (
        integrity.GHOSTS,
        integrity.ORPHANS,
        integrity.BROKEN_LINKS,
        integrity.STRAY_LINKS,
        integrity.HASH_MISMATCHES,
    ),
    "video": (integrity.BROKEN_LINKS, integrity.STRAY_LINKS),
}


@command("check")
def check_cmd(
    verify_hash: Annotated[
        bool,
        typer.Option(
            "--verify-hash",
            help="Re-read each file's sampled fingerprint and compare it with the catalog.",
        ),
    ] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Also hash whole files (xxh3_128): recorded the first time, compared later "
            "(catches bit rot outside the sampled chunks). Implies --verify-hash.",
        ),
    ] = False,
    oldest: Annotated[
        int | None,
        typer.Option(
            "--oldest",
            min=1,
            help="Verify only the N files verified longest ago (never verified first): "
            "a nightly job covers a large library over time. Implies --verify-hash.",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
    home: HomeOpt = None,
    store: StoreOpt = None,
) -> None:
    """Find ghosts, orphans, broken and stray links, duplicates and (with --verify-hash)
    hash mismatches. Changes no file. Exit 0 clean, 1 findings, 3 a root unreachable."""
    with open_session(home, store) as session, progress() as bar:
        report = check_library(
            session,
            verify_hash=verify_hash,
            full=full,
            oldest=oldest,
            progress=bar,
            arguments={
                "verify_hash": verify_hash or full or oldest is not None,
                "full": full,
                "oldest": oldest,
            },
        )
        print_notices(session)
    for problem in report.unreachable:
        note(f"error: {visible(problem['reason'])}: {_not_checked(problem['root'])}")
    if json_out:
        print_json(report.as_json())
    else:
        _print_human(report)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def _not_checked(root: str) -> str:
    if root == "storage":
        return "ghosts, orphans, links and hashes not checked"
    return "links not checked"


def _print_human(report: CheckReport) -> None:
    shown = report.as_json()
    summary = shown["summary"]
    not_checked = {c for p in report.unreachable for c in _NOT_CHECKED.get(p["root"], ())}
    for category, label in _LABELS.items():
        if category == integrity.HASH_MISMATCHES and not report.verify_hash:
            value = "not checked (--verify-hash)"
        elif category in not_checked:
            value = "not checked"
        else:
            value = str(summary[category])
        echo(f"{label:<40} {value}")
    echo(f"{'unreadable media':<40} {summary['unreadable_media']}")
    if summary["errors"]:
        echo(f"{'errors (unreadable files and folders)':<40} {summary['errors']}")
    checked = f"checked {report.files:,} files and {report.links:,} links"
    if report.verify_hash:
        checked += f", verified {report.verified:,} files"
        if report.full:
            checked += f" ({report.verified_bytes / 1e9:,.1f} GB read in full)"
    echo(f"{checked} in {report.seconds:.1f} s (run {report.run_id})")
    for category in [*_LABELS, "unreadable_media", "errors"]:
        items = shown[category]
        if not items:
            continue
        columns = _COLUMNS[category]
        print_table(
            [heading for heading, _ in columns],
            [[_cell(item.get(key)) for _, key in columns] for item in items[:TABLE_ROWS]],
            title=f"{category.replace('_', ' ')}: {len(items)}",
        )
        if len(items) > TABLE_ROWS:
            echo(
                f"... and {len(items) - TABLE_ROWS:,} more: `check --json` or "
                f'`videotheque sql "SELECT * FROM integrity_{category}"` list them all'
            )


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return Lines(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
