"""``demo``: the whole story on a generated library, offline, no API key.

Builds a sample library of sparse files in DIR (French and English films and series,
NFO sidecars, a ``video/`` tree of symlinks), records it in a home of its own
(``DIR/home`` unless --home says otherwise), then tells the story a real library lives
through, each step through its use case (not the CLI), each one a run of its own:

1. import the storage share;
2. enrich from the NFO sidecars (offline);
3. organize the ``video/`` tree of links;
4. the share is reorganised (``Films/`` becomes ``Cinema/``): links into it break;
5. import again: the catalog follows the files (same content, new path);
6. check: the broken links are found;
7. repair-links --auto: links are repaired by the files' identity;
8. check again: clean;
9. an HTML and a Markdown audit report in ``DIR/reports/``.

A step whose command is not installed is skipped with a note; the report always runs.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from videotheque.commands.bootstrap import open_session
from videotheque.commands.config import load_config
from videotheque.commands.demo.library import build_demo_library
from videotheque.commands.errors import EXIT_OK, UsageError
from videotheque.commands.usecases.checker import check_library
from videotheque.commands.usecases.enricher import EnrichOptions, enrich
from videotheque.commands.usecases.importer import import_storage
from videotheque.commands.usecases.organizer import organize
from videotheque.commands.usecases.repairer import repair_links
from videotheque.commands.usecases.reporter import build_report
from videotheque.commands.usecases.setup import init_library
from videotheque.domain.paths import display, is_exact_utf8

Echo = Callable[[str], None]

MOVED_FROM = "Films"
MOVED_TO = "Cinema"
DEMO = {"demo": True}


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def run_demo(directory: Path, home: Path | None, echo: Echo) -> int:
    root = Path(os.path.abspath(directory.expanduser()))
    home_dir = Path(os.path.abspath((home or root / "home").expanduser()))
    # As `init` and the home check would refuse, but before anything is built: a DIR whose
    # path is not valid UTF-8 left a half-made demo (storage/ and no library) behind.
    for name, path in (("DIR", root), ("home", home_dir)):
        if not is_exact_utf8(str(path)):
            raise UsageError(
                f"the demo {name} {display(str(path))}: its path is not valid UTF-8, which "
                "config.toml cannot hold and where the projection (DuckDB) cannot be "
                "opened: choose another folder"
            )
    if load_config(home_dir).initialised:
        raise UsageError(
            f"{home_dir} already holds a library: the demo needs a home of its own "
            "(leave out --home to use DIR/home)"
        )
    try:
        demo = build_demo_library(root)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from exc
    echo(f"demo library: {len(demo.media)} video files in {demo.storage}")
    init_library(root, home_dir)

    with open_session(home_dir) as session:
        report = import_storage(session, arguments=DEMO)
    c = report.counts
    echo(f"1. import: {c['new']} new files recorded as {report.events} events")

    _step(
        echo,
        "2. enrich from NFO sidecars",
        "videotheque.commands.usecases.enricher",
        lambda: _enrich(home_dir),
    )
    _step(
        echo, "3. organize", "videotheque.commands.usecases.organizer", lambda: _organize(home_dir)
    )

    moved = _move_storage(demo.storage, demo.video)
    echo(
        f"4. the share is reorganised: storage/{MOVED_FROM}/ is now storage/{MOVED_TO}/, "
        f"{moved} links of video/ are broken"
    )
    with open_session(home_dir) as session:
        report = import_storage(session, arguments=DEMO)
    echo(f"5. import again: {report.counts['moved']} files moved, same identities")

    _step(echo, "6. check", "videotheque.commands.usecases.checker", lambda: _check(home_dir))
    _step(
        echo,
        "7. repair-links --auto",
        "videotheque.commands.usecases.repairer",
        lambda: _repair(home_dir),
    )
    _step(echo, "8. check again", "videotheque.commands.usecases.checker", lambda: _check(home_dir))

    out = root / "reports"
    out.mkdir(exist_ok=True)
    html, md = out / "audit.html", out / "audit.md"
    _reports(home_dir, html, md)
    echo(f"9. reports: {html} and {md}")
    echo("")
    echo(f"Open the report: {html.as_uri()}")
    echo("Explore the library:")
    echo(f"  export VIDEOTHEQUE_HOME={home_dir}")
    echo("  videotheque status")
    echo("  videotheque catalog")
    echo("  videotheque runs")
    echo(f'  videotheque history "{MOVED_TO}/Inception (2010)/Inception (2010).mkv"')
    echo("  videotheque diff --from today")
    return EXIT_OK


def _step(echo: Echo, name: str, module: str, action: Callable[[], str]) -> None:
    if not _available(module):
        echo(f"{name}: skipped ({module} is not part of this version)")
        return
    echo(f"{name}: {action()}")


def _move_storage(storage: Path, video: Path) -> int:
    """Rename a top folder of storage, as a person reorganising a share would; return how
    many links of the video tree it broke."""
    os.rename(storage / MOVED_FROM, storage / MOVED_TO)
    broken = 0
    for dirpath, _dirs, names in os.walk(video):
        for name in names:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) and not os.path.exists(path):
                broken += 1
    return broken


def _check(home: Path) -> str:
    with open_session(home) as session:
        report = check_library(session, arguments=DEMO)
    found = {k: v for k, v in report.summary.items() if k in _FINDINGS and v}
    if not found:
        return f"clean ({report.files} files, {report.links} links)"
    return ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in found.items())


_FINDINGS = (
    "ghosts", "orphans", "broken_links", "stray_links", "duplicates", "hash_mismatches",
    "unreadable_media",
)  # fmt: skip


def _enrich(home: Path) -> str:
    with open_session(home) as session:
        report = enrich(session, EnrichOptions(provider="nfo"), env={}, arguments=DEMO)
    return (
        f"{report.enriched} enriched, {report.ambiguous + report.no_match} queued for "
        f"validation, {report.failed} failed, {report.skipped} skipped, "
        f"{report.requests} network requests"
    )


def _organize(home: Path) -> str:
    with open_session(home) as session:
        report = organize(session, arguments=DEMO)
    s = report.summary
    return (
        f"{s['created']} links created, {s['retargeted']} retargeted, "
        f"{s['unchanged']} already right"
        + (f", {s['conflicts']} conflicts" if s["conflicts"] else "")
    )


def _repair(home: Path) -> str:
    with open_session(home) as session:
        report = repair_links(session, auto=True, arguments={**DEMO, "auto": True})
    s = report.summary
    return f"{s['broken']} broken, {s['repaired']} repaired by identity" + (
        f", {s['skipped']} left for a person" if s["skipped"] else ""
    )


def _reports(home: Path, html: Path, md: Path) -> dict[str, Any]:
    with open_session(home) as session:
        a = build_report(session, "html", output=html)
        b = build_report(session, "md", output=md)
    return {"html": a.sections, "md": b.sections}
