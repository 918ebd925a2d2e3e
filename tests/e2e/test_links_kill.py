"""A repair run SIGKILLed at each point of its protocol, then run again: the second run ends
with every link repaired or quarantined exactly once, the events agree with the disk, no
temporary link or journal is left, and a rebuilt projection equals the incremental one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Lib
from tests.faults import checkpoints
from tests.link_tree import link, link_events, move

# 13 ops in link order ("Films/B orphan.mkv" first), 4 per batch (VTQ_FAULT_LINK_BATCH)
REPO = Path(__file__).resolve().parents[2]
KILLABLE = REPO / "tests" / "faults" / "checkpoints.py"  # the CLI, with the kill hook
JOURNAL_V1 = REPO / "tests" / "fixtures" / "journals" / "format1-killed-repair.jsonl"
N_FILMS = 10
ORPHANS = ["Films/Zorphan 1.mkv", "Films/Zorphan 2.mkv", "Films/B orphan.mkv"]


def library(lib: Lib) -> list[str]:
    names = [f"Film{i:02d}.{1990 + i}.mkv" for i in range(N_FILMS)]
    for n in names:
        lib.write(f"Films/{n}")
    assert lib.cli("import").exit_code == 0
    links = []
    for i, n in enumerate(names):
        rel = f"Films/Film{i:02d} ({1990 + i}).mkv"
        link(lib, rel, lib.storage / "Films" / n, absolute=i % 3 == 0)
        move(lib, f"Films/{n}", f"Moved/{n}")
        links.append(rel)
    for rel in ORPHANS:
        link(lib, rel, lib.storage / "Gone" / os.path.basename(rel))
    assert lib.cli("import").exit_code == 0
    return links


def run_killed(lib: Lib, kill: str) -> subprocess.CompletedProcess[str]:
    """``repair-links`` killed at the checkpoint ``kill`` names (``"tmp:2"``: the second
    ``videotheque.links.tmp``)."""
    name, _, n = kill.partition(":")
    env = dict(os.environ, **checkpoints.kill_at(f"videotheque.links.{name}", int(n)))
    env[checkpoints.LINK_BATCH_ENV] = "4"
    env["PYTHONPATH"] = str(REPO)
    cmd = [sys.executable, str(KILLABLE), "repair-links", "--auto",
           "--quarantine-orphans", "--home", str(lib.home)]  # fmt: skip
    return subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=120)


def table(lib: Lib, sql: str) -> Any:
    result = lib.cli("sql", sql, "--format", "json")
    assert result.exit_code == 0, result.output
    return result.stdout


def assert_settled(lib: Lib, links: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Every link repaired in its style or quarantined, exactly once, as the disk says; no
    temporary link or journal left. Returns the actions by link."""
    # the disk: every link repaired in its style, every orphan in the trash
    for i, rel in enumerate(links):
        text = os.readlink(lib.video / rel)
        assert text.startswith("/") == (i % 3 == 0)
        content = f"content of Films/Film{i:02d}.{1990 + i}.mkv".encode()
        assert (lib.video / rel).read_bytes() == content
    for rel in ORPHANS:
        assert not os.path.lexists(lib.video / rel)
    in_trash = sorted(str(p.relative_to(lib.trash)) for p in lib.trash.rglob("*") if p.is_symlink())
    assert len(in_trash) == len(ORPHANS)
    leftovers = [p for p in lib.video.rglob(".vtq-*")]
    assert leftovers == []
    assert not list((lib.home / "journal").glob("*.jsonl"))

    # the events: one action per link, none twice, and the last one says what the disk says
    actions: dict[str, list[dict[str, Any]]] = {}
    for e in link_events(lib):
        if e["type"] in ("LinkRepaired", "LinkQuarantined"):
            actions.setdefault(e["payload"]["link"], []).append(e)
    assert sorted(actions) == sorted(links + ORPHANS)
    assert all(len(v) == 1 for v in actions.values()), actions
    for rel, (e,) in actions.items():
        if e["type"] == "LinkRepaired":
            assert os.readlink(lib.video / rel) == e["payload"]["new_target"]
        else:
            trash = lib.trash / e["payload"]["trash_path"]
            assert os.readlink(trash) == e["payload"]["dangling_target"]
    return actions


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kill", "done_unrecorded"),
    [
        ("journal:1", 0),  # batch 1 journaled, nothing done yet
        ("tmp:2", 2),  # batch 1: a quarantine and a repair done, a retarget's temp link made
        ("applied:6", 2),  # batch 1 saved, 2 of batch 2 done
        ("moved:1", 1),  # a quarantined link at both names
        ("saved:2", 0),  # batches 1-2 saved
        ("saved:4", 0),  # all saved; run not finished, journal not removed
    ],
)
def test_a_killed_repair_is_completed_by_the_next_run(
    sqlite_lib: Lib, kill: str, done_unrecorded: int
) -> None:
    lib = sqlite_lib
    links = library(lib)
    killed = run_killed(lib, kill)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    again = lib.json("repair-links", "--auto", "--quarantine-orphans")
    assert lib.json("repair-links", "--auto")["broken"] == 0

    actions = assert_settled(lib, links)
    runs = lib.json("runs")
    unfinished = [r["run_id"] for r in runs if r["status"] == "unfinished"]
    assert len(unfinished) == 1  # the killed one stays visible as interrupted
    recovered = [e for v in actions.values() for e in v if e["payload"].get("recovered_by")]
    assert all(e["run_id"] == unfinished[0] for e in recovered)
    assert all(e["payload"]["recovered_by"] == again["run_id"] for e in recovered)
    assert again["recovered"] == len(recovered) == done_unrecorded

    # the projection rebuilt from the store equals the incremental one
    query = "SELECT * EXCLUDE (tracked_at, updated_at) FROM links ORDER BY raw_link"
    incremental = table(lib, query)
    assert lib.cli("rebuild").exit_code == 0
    assert table(lib, query) == incremental


def test_a_journal_of_the_release_before_is_settled(sqlite_lib: Lib) -> None:
    """A journal in format 1 (no version field), as a repair run of the release before
    left it when killed after its third op (kept as written in tests/fixtures/journals/,
    its root renamed): the next run records the three ops done on disk, as that run's,
    and does the rest."""
    lib = sqlite_lib
    links = library(lib)
    text = JOURNAL_V1.read_text(encoding="ascii").replace("@ROOT@", str(lib.root))
    ops = [json.loads(line) for line in text.splitlines()]
    assert [("format" in op, op["method"]) for op in ops] == [
        (False, "quarantine"), (False, "repair"), (False, "repair"), (False, "repair")
    ]  # fmt: skip
    killed_run = ops[0]["run_id"]
    (lib.home / "journal").mkdir(exist_ok=True)
    (lib.home / "journal" / f"links-{killed_run}.jsonl").write_text(text, encoding="ascii")
    for op in ops[:3]:  # the disk as the killed run left it
        if op["kind"] == "move":
            src, dst = op["paths"]
            os.makedirs(os.path.dirname(dst))
            os.rename(src, dst)
        else:
            (path,) = op["paths"]
            os.unlink(path)
            os.symlink(op["after"][0], path)

    again = lib.json("repair-links", "--auto", "--quarantine-orphans")
    assert again["recovered"] == 3
    assert lib.json("repair-links", "--auto")["broken"] == 0
    actions = assert_settled(lib, links)
    recovered = {
        rel: e for rel, (e,) in actions.items() if e["payload"].get("recovered_by") is not None
    }
    assert sorted(recovered) == sorted(op["link"] for op in ops[:3])
    for op in ops[:3]:
        e = recovered[op["link"]]
        assert e["run_id"] == killed_run and e["payload"]["recovered_by"] == again["run_id"]
        assert {**e["payload"], **op["kwargs"]} == e["payload"]  # what the journal said
