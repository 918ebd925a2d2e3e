"""Content changed in place is recorded on two files in one atomic save.

When a path's content changes, the import records ``Replaced`` on the file that was there
and imports the new content with ``replaces`` naming it. Saved in different batches (the
plan is in file-id order), a kill between the two left either the old file *present* at
a path that holds other content (two files at one path, for ever: the path is then
unchanged) or the new file without its link to the old one. Found by the seeded kills of
test_kill_commands.py; fixed in commands/usecases/importer.py (``_linked_first``).
"""

from __future__ import annotations

import os
import signal

import pytest

from tests.conftest import Lib
from tests.faults import harness

pytestmark = pytest.mark.slow
BATCH_OF_ONE = {"VTQ_FAULT_RECORD_BATCH": "1", "VTQ_FAULT_FAST_PARSER": "1"}
CHANGED = [f"Films/Film {i}.mkv" for i in range(6)]
ALL = [*CHANGED, "Films/Other.mkv", "Films/Another.mkv"]


def test_a_kill_between_saves_never_splits_a_change_in_place(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    for rel in ALL:
        lib.write(rel)
    assert lib.cli("import").exit_code == 0
    before = {r["path"]: r["file_id"] for r in lib.json("catalog")}
    for i, rel in enumerate(CHANGED):  # new content at the same paths
        lib.write(rel, f"new content {i}")
        os.utime(lib.storage / rel, (1_700_000_000 + i, 1_700_000_000 + i))
    template = lib.root.parent  # holds lib/ and home/
    traced = harness.copy_library(template, template / "traced")
    _, points, _ = harness.trace(traced, "import", env=BATCH_OF_ONE)
    saves = [i for i, p in enumerate(points, start=1) if p == "save>"]
    assert len(saves) >= 3  # the run's start, the changes, its end

    for n in saves[:-1]:  # after each save but the run's end
        copy = harness.copy_library(template, template / f"kill-{n}")
        killed = harness.vtq(copy, "import", env={**BATCH_OF_ONE, "VTQ_FAULT_KILL_AT": str(n)})
        assert killed.returncode == -signal.SIGKILL
        again = harness.vtq(copy, "import", env=BATCH_OF_ONE)
        assert again.returncode == 0, again.stderr
        harness.catch_up(copy)
        paths = harness.query(
            copy, "SELECT p.path FROM file_paths p JOIN catalog_files f ON f.id = p.file_id "
            "WHERE f.status = 'present' ORDER BY 1"
        )  # fmt: skip
        assert [p for (p,) in paths] == sorted(ALL)  # one file per path, none lost
        links = harness.query(
            copy, "SELECT path, payload->>'replaces' FROM events "
            "WHERE type = 'Imported' AND payload->>'replaces' IS NOT NULL ORDER BY 1"
        )  # fmt: skip
        assert links == [(rel, before[rel]) for rel in CHANGED], n
        replaced = harness.query(
            copy, "SELECT path FROM events WHERE type = 'Replaced' ORDER BY 1"
        )  # fmt: skip
        assert [p for (p,) in replaced] == CHANGED, n
