"""An import interrupted midway (Ctrl-C or a kill) keeps every chunk it recorded.

Names are parsed with the real parser in worker processes and recorded a chunk at a time
(``VTQ_FAULT_CHUNK`` makes chunks small here). The import runs in a session of its own and
Ctrl-C is sent to its whole process group, as a terminal does (the workers get it too).
It must answer at once (no worker keeps it waiting, none is left behind), the chunks saved
before stay recorded, `status` shows the run as unfinished, and the next import does the
rest: every file once.
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

pytestmark = pytest.mark.slow
FILES = 900
CHUNK = 300
SMALL = {"VTQ_FAULT_CHUNK": str(CHUNK), "VTQ_FAULT_RECORD_BATCH": "150"}


def films(lib: Lib) -> set[str]:
    paths = set()
    for i in range(FILES):
        rel = f"Films/Title {i:03d} ({1950 + i % 70})/Title.{i:03d}.{1950 + i % 70}.1080p.mkv"
        lib.write(rel)
        paths.add(rel)
    return paths


def group_alive(pgid: int) -> list[int]:
    """Processes still in the import's process group (its name-parsing workers)."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry))
    return alive


@pytest.mark.parametrize("how", ["ctrl-c", "kill"])
def test_an_interrupted_import_keeps_its_chunks_and_the_next_one_finishes(
    sqlite_lib: Lib, tmp_path: Path, how: str
) -> None:
    lib = sqlite_lib
    paths = films(lib)
    trace = tmp_path / "trace"
    env = {**os.environ, **SMALL, "VTQ_FAULT_TRACE": str(trace)}
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), "import", "--home", str(lib.home)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group: Ctrl-C reaches it and its workers only
    )
    # The run's start and the first chunk (two batches) saved: the second chunk is parsing.
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        saves = trace.read_text().split().count("save>") if trace.exists() else 0
        if saves >= 3 or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the import ended before it could be interrupted"
    time.sleep(0.3)

    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT if how == "ctrl-c" else signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    answered = time.monotonic() - sent
    print(f"\n{how}: the import ended {answered:.2f} s after the signal")
    if how == "ctrl-c":
        assert proc.returncode != 0
        assert answered < 5, f"Ctrl-C took {answered:.1f} s to answer"
        assert b"Traceback" not in err, err.decode(errors="replace")
        time.sleep(0.5)
        assert group_alive(proc.pid) == []  # no worker left parsing
    else:
        assert proc.returncode == -signal.SIGKILL

    kept = {p for row in lib.json("catalog") for p in row["paths"]}
    assert len(kept) >= CHUNK and kept < paths  # the first chunk at least, not all
    status = lib.json("status")
    assert status["last_run"]["command"] == "import"
    assert status["last_run"]["status"] == "unfinished"

    done = lib.cli("import", "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["new"], report["unchanged"]) == (FILES - len(kept), len(kept))
    catalog = lib.json("catalog")
    assert sorted(p for row in catalog for p in row["paths"]) == sorted(paths)  # each once
    runs = lib.json("runs")
    assert [r["status"] for r in runs] == ["finished", "unfinished"]  # newest first
