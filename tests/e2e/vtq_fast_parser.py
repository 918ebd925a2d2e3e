"""``python tests/e2e/vtq_fast_parser.py ARGS``: the real ``videotheque`` CLI, with a trivial
name parser instead of guessit, and the kill hook of tests/faults/checkpoints.py.

For tests that run the CLI in a subprocess on thousands of files (the kill tests): name
parsing is not what they test, and guessit would take half a minute on 2,000 names. Chunks
are whole (2,000 files, saved 1,000 at a time) whatever the machine's pace, so that a kill
after the N-th save falls on the same files every time (chunk sizing by time is tested in
tests/usecases/test_importing.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import videotheque.commands.adapters.naming
import videotheque.commands.usecases.importer
from tests.fakes.parsers import parse_trivially
from tests.faults import checkpoints

videotheque.commands.adapters.naming.default_parser = lambda: parse_trivially
videotheque.commands.adapters.naming.parser_label = lambda: "trivial 0"
videotheque.commands.usecases.importer.FIRST_CHUNK = videotheque.commands.usecases.importer.CHUNK
videotheque.commands.usecases.importer.CHUNK_SECONDS = float("inf")

if __name__ == "__main__":
    checkpoints.install()
    checkpoints.configure()
    from videotheque.commands.cli.app import main

    sys.argv[0] = "videotheque"
    main()
