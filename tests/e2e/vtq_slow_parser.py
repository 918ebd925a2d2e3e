"""``python tests/e2e/vtq_slow_parser.py ARGS``: the real ``videotheque`` CLI with a trivial
name parser that takes its time, for tests that need an ``import`` running (holding the
library lock, its run started in the event store) while other commands are tried.

``VTQ_TEST_PARSE_SLEEP`` (seconds, per call) is how long each parse takes; the file named
by ``VTQ_TEST_PARSING_FLAG`` is created when parsing starts.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import videotheque.commands.adapters.naming


def parse_slowly(paths: list[str]) -> list[dict[str, Any]]:
    flag = os.environ.get("VTQ_TEST_PARSING_FLAG")
    if flag:
        Path(flag).touch()
    time.sleep(float(os.environ.get("VTQ_TEST_PARSE_SLEEP", "0")))
    return [
        {"kind": "movie", "title": os.path.splitext(os.path.basename(p))[0], "year": None}
        for p in paths
    ]


videotheque.commands.adapters.naming.default_parser = lambda: parse_slowly
videotheque.commands.adapters.naming.parser_label = lambda: "slow 0"

if __name__ == "__main__":
    from videotheque.commands.cli.app import main

    sys.argv[0] = "videotheque"
    main()
