"""`undo` of an organize run killed midway is finished by running `undo` again, without
``--force``; once done, one more `undo` finds nothing left to do.

The undo takes each created link away to ``<trash>/undo/<undo run id>/``. Killed midway,
some links are gone (recorded by the next run from the journal, under the killed run's
id) and the rest still stand. The next undo once refused every link the killed one had
taken ("changed since by run <the undo>"), because it looked for them under its own id.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import Lib
from tests.faults import harness

pytestmark = pytest.mark.slow
FILMS = 24


def symlinks(root: Path) -> dict[str, str]:
    return {
        os.path.relpath(os.path.join(d, n), root): os.readlink(os.path.join(d, n))
        for d, dirs, names in os.walk(root)
        for n in names + dirs
        if os.path.islink(os.path.join(d, n))
    }


@pytest.fixture
def organised(sqlite_lib: Lib) -> tuple[Path, str, dict[str, str]]:
    lib = sqlite_lib
    for i in range(FILMS):
        lib.write(f"Films/Title {chr(65 + i)}.{1950 + i}.mkv")
    assert lib.cli("import").exit_code == 0
    org = lib.json("organize")
    assert len(org["created"]) == FILMS
    return lib.root.parent, org["run_id"], symlinks(lib.video)


@pytest.mark.parametrize("where", ["middle-unlink", "last-unlink", "after-journal"])
def test_an_undo_killed_midway_is_finished_by_undo_again(
    organised: tuple[Path, str, dict[str, str]], tmp_path: Path, where: str
) -> None:
    template, org, links = organised
    traced = harness.copy_library(template, tmp_path / "traced")
    done, points, _ = harness.trace(traced, "undo", org)
    assert done.returncode == 0, done.stderr
    unlinks = [i for i, p in enumerate(points, 1) if p == "fs:unlink"]
    assert len(unlinks) >= FILMS
    kill_at = {
        "middle-unlink": unlinks[len(unlinks) // 2],
        "last-unlink": unlinks[-1],
        "after-journal": points.index("journal") + 1,
    }[where]

    home = harness.copy_library(template, tmp_path / "killed")
    killed = harness.vtq(home, "undo", org, env={"VTQ_FAULT_KILL_AT": str(kill_at)})
    assert killed.returncode < 0, killed.stderr  # SIGKILLed
    assert symlinks(home.video) != links or where == "after-journal"

    again = harness.vtq(home, "undo", org, "--json")
    assert again.returncode == 0, again.stderr + again.stdout
    report = json.loads(again.stdout)
    assert report["conflicts"] == [] and not report["refused"]
    assert symlinks(home.video) == {}  # every created link taken away
    in_trash = symlinks(home.trash)
    assert sorted(in_trash.values()) == sorted(links.values())  # each once, text unchanged
    assert all(p.startswith("undo/") for p in in_trash)

    harness.catch_up(home)
    removed = harness.query(
        home,
        "SELECT count(*), count(DISTINCT originator_id) FROM events WHERE type = 'LinkRemoved'",
    )
    assert removed == [(FILMS, FILMS)]  # each link recorded as removed exactly once

    third = harness.vtq(home, "undo", org, "--json")
    assert third.returncode == 0, third.stderr
    assert "nothing left to do" in third.stderr
    assert json.loads(third.stdout)["removed"] == []
    assert symlinks(home.trash) == in_trash
