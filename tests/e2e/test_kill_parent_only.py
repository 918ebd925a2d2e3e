"""``kill -9`` of the import alone (the OOM killer, a user's ``kill -9 PID``), not of its
process group: its name-parsing workers must not outlive it.

Forked workers hold copies of the parent's open files, the home's lock among them, and
wait on their queue for ever: every later command was refused as locked (exit 4, "locked
by pid N" of a process that no longer exists) until someone found and killed them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Lib
from tests.faults.harness import DRIVER, REPO
from tests.faults.test_import_interrupt import CHUNK, FILES, SMALL, films, group_alive

pytestmark = pytest.mark.slow


def test_workers_end_with_a_killed_import_and_the_home_is_free(
    sqlite_lib: Lib, tmp_path: Path
) -> None:
    lib = sqlite_lib
    paths = films(lib)
    trace = tmp_path / "trace"
    env = {**os.environ, **SMALL, "VTQ_FAULT_TRACE": str(trace)}
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), "import", "--home", str(lib.home)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,  # a worker left behind would hold a pipe open
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own group: what is left of it can be found
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:  # the first chunk saved, the second parsing
        saves = trace.read_text().split().count("save>") if trace.exists() else 0
        if saves >= 3 or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the import ended before it could be killed"
    workers = group_alive(proc.pid)
    assert len(workers) > 1, "no worker process to be left behind"

    os.kill(proc.pid, signal.SIGKILL)  # the parent only
    proc.wait(timeout=60)
    deadline = time.monotonic() + 10
    while group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = group_alive(proc.pid)
    for pid in left:  # do not leave them to the next test either
        os.kill(pid, signal.SIGKILL)
    assert left == [], "workers outlived the killed import"

    done = lib.cli("import", "--json")
    assert done.exit_code == 0, done.output  # not 4: no one holds the home
    report = json.loads(done.stdout)
    assert report["unchanged"] >= CHUNK and report["new"] + report["unchanged"] == FILES
    catalog = lib.json("catalog")
    assert sorted(p for row in catalog for p in row["paths"]) == sorted(paths)
