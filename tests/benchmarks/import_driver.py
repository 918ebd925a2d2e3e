"""``python tests/benchmarks/import_driver.py ARGS``: the real ``videotheque`` CLI, timed.

Used by test_import_bench.py in a subprocess (so that its peak memory can be measured on
its own). Names are parsed trivially (parsing is benchmarked apart, see
test_parse_bench.py), and when ``VTQ_BENCH_TIMINGS`` names a file, the phases of the run
are written there as JSON at exit: the start and end of each progress task (scan,
fingerprint, record) and every projection catch-up (seconds, events).
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import videotheque.commands.adapters.naming
import videotheque.commands.bootstrap
import videotheque.commands.progress
from tests.fakes.parsers import parse_trivially

STARTED = time.perf_counter()
timings: dict[str, Any] = {"tasks": {}, "catch_up": []}


class TimedProgress(videotheque.commands.progress.Progress):
    """Keeps when each task started and was last updated, and its last count."""

    def __init__(self) -> None:
        super().__init__(None)

    def task(self, description: str, total: int | None = None) -> Any:
        entry = {"start": time.perf_counter() - STARTED, "end": None, "count": 0}
        timings["tasks"][description] = entry

        def update(completed: int, **_: Any) -> None:
            entry["end"] = time.perf_counter() - STARTED
            entry["count"] = completed

        return update


@contextmanager
def timed_progress(enabled: bool | None = None) -> Iterator[videotheque.commands.progress.Progress]:
    yield TimedProgress()


real_catch_up = videotheque.commands.bootstrap.Session.catch_up


def timed_catch_up(self: videotheque.commands.bootstrap.Session) -> Any:
    start = time.perf_counter()
    result = real_catch_up(self)
    timings["catch_up"].append(
        {
            "start": start - STARTED,
            "seconds": time.perf_counter() - start,
            "events": result.events,
        }
    )
    return result


def write_timings() -> None:
    path = os.environ.get("VTQ_BENCH_TIMINGS")
    if path:
        timings["total"] = time.perf_counter() - STARTED
        Path(path).write_text(json.dumps(timings), encoding="utf-8")


videotheque.commands.adapters.naming.default_parser = lambda: parse_trivially
videotheque.commands.adapters.naming.parser_label = lambda: "trivial 0"
videotheque.commands.progress.progress = timed_progress
videotheque.commands.bootstrap.Session.catch_up = timed_catch_up  # type: ignore[method-assign]
atexit.register(write_timings)

if __name__ == "__main__":
    from videotheque.commands.cli.app import main

    sys.argv[0] = "videotheque"
    main()
