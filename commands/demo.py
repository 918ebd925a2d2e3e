"""``demo``: the whole story on a generated library, offline, no API key.

Builds a sample library of sparse files in DIR (French and English films and series,
NFO sidecars, a ``video/`` tree of symlinks), records it in a home of its own
(``DIR/home`` unless --home says otherwise) and imports it. Later steps of the story
(enrich from NFO, organize, a storage move that breaks links, repair, check, reports)
join here as those commands exist.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from commands.bootstrap import open_session
from commands.config import load_config
from commands.errors import EXIT_OK, UsageError
from commands.importer import import_storage
from commands.setup import init_library

Echo = Callable[[str], None]


def run_demo(directory: Path, home: Path | None, echo: Echo) -> int:
    from commands.demo_library import build_demo_library

    root = Path(os.path.abspath(directory.expanduser()))
    home_dir = Path(os.path.abspath((home or root / "home").expanduser()))
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
        report = import_storage(session, arguments={"demo": True})
    c = report.counts
    echo(f"import: {c['new']} new files recorded as {report.events} events (run {report.run_id})")
    echo("")
    echo("Explore it:")
    echo(f"  export VIDEOTHEQUE_HOME={home_dir}")
    echo("  videotheque status")
    echo("  videotheque catalog")
    echo('  videotheque sql "SELECT kind, count(*) FROM files GROUP BY kind"')
    return EXIT_OK
