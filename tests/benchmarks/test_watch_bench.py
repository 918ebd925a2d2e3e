"""The cost of ``watch --poll`` on an idle 100,000-file library, against a plain walk.

An idle poll is what ``watch`` does every ``--poll`` seconds when no file-system event
can be trusted (a network share): open the library (lock, store, projection catch-up),
walk storage and compare it with the catalogued sizes and mtimes (a dry-run import),
check no media server waits for news; nothing is recorded. It runs inside the long-lived
``watch`` process, so no interpreter start-up is paid. Measured in the same run, warm,
interleaved, best of three each: an ``os.scandir`` + stat walk of the tree (the floor), the
idle poll, and a recorded re-import of the unchanged tree (what ``maintain``'s import
step costs when nothing changed). The ratios are printed; the issue expects "about twice
a plain walk".

Run with ``pytest -m benchmark tests/benchmarks/test_watch_bench.py -s``;
``VTQ_BENCH_FILES`` scales the tree down, ``VTQ_BENCH_TREE`` reuses one made earlier.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.benchmarks.test_import_bench import FILES, FOLDERS, new_home
from tests.benchmarks.treegen import make_storage_tree, walk_floor
from tests.fakes.parsers import parse_trivially

pytestmark = pytest.mark.benchmark


def test_idle_poll_against_a_plain_walk(tmp_path_factory: pytest.TempPathFactory) -> None:
    from videotheque.commands.bootstrap import open_session
    from videotheque.commands.usecases.importer import import_storage
    from videotheque.commands.usecases.watcher import Watcher, WatchSettings

    base = tmp_path_factory.mktemp("watch-bench")
    reuse = os.environ.get("VTQ_BENCH_TREE")
    if reuse:
        storage = Path(reuse)
    else:
        storage = base / "storage"
        start = time.perf_counter()
        make_storage_tree(storage, FILES, folders=FOLDERS)
        print(
            f"\ntree: {FILES:,} files in {FOLDERS:,} folders ({time.perf_counter() - start:.0f} s)"
        )
    home = new_home(base, "home", storage)
    start = time.perf_counter()
    with open_session(home) as session:
        first = import_storage(session, parser=parse_trivially, parser_name="trivial")
    print(f"first import: {first.counts['new'] + first.counts['copies']:,} files "
          f"({time.perf_counter() - start:.0f} s)")  # fmt: skip

    watcher = Watcher(WatchSettings(home=home), open_session, echo=lambda _: None)

    def reimport() -> None:
        with open_session(home) as session:
            report = import_storage(session, parser=parse_trivially, parser_name="trivial")
        assert report.counts["unchanged"] == FILES

    walk_floor(storage)  # warm the metadata
    walks, polls, reimports = [], [], []
    for _ in range(3):
        walks.append(walk_floor(storage)[0])
        t = time.perf_counter()
        assert watcher.probe() is None  # nothing changed: no pass, nothing recorded
        polls.append(time.perf_counter() - t)
        t = time.perf_counter()
        reimport()
        reimports.append(time.perf_counter() - t)
    walk, poll, again = min(walks), min(polls), min(reimports)
    print(
        f"\n{FILES:,} files: scandir+stat walk {walk:.2f} s; idle poll {poll:.2f} s "
        f"= {poll / walk:.2f}x the walk; recorded re-import of the unchanged tree "
        f"{again:.2f} s = {again / walk:.2f}x the walk"
    )
    assert poll > 0 and walk > 0
