"""SIGKILL ``import``, ``enrich``, ``repair-links`` and ``organize`` at 20 seeded points each,
then run the command again: the result equals an uninterrupted run's.

For each command, an uninterrupted run on a copy of the prepared library (tests/faults/
scenarios.py) is the reference, and its trace (tests/faults/driver.py) maps where a kill
can land: before and after each save to the event store, after each link action on disk,
each journal write, each projection commit, each provider answer. Each fault is either
one of those points (12 per command, drawn with a fixed seed so that every kind of point
is hit) or a kill after a random delay (8 per command, seeded, anywhere in the run's
duration: walking, hashing, parsing, waiting on the network, writing DuckDB).

After the kill, a normal run of the same command, then: the disk (storage untouched, the
video tree's links, the trash), the store's events (no event lost, none twice: the
multiset of the library's events, run ids and times aside) and the projection's tables
equal the reference's; nothing is left half-done (temporary links, journals, a half-built
projection); every run but the killed one finished; a projection rebuilt from the store
equals the incremental one, table by table.
"""

from __future__ import annotations

import random
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fakes.provider_server import FakeProviders
from tests.faults import checkpoints, harness, scenarios
from videotheque.commands.demo.library import DemoLibrary

pytestmark = pytest.mark.slow

POINT_KILLS = 12
DELAY_KILLS = 8
WORKERS = 2  # faults run two at a time (two cores)


@dataclass
class Templates:
    root: Path
    demo: DemoLibrary


@dataclass
class Case:
    template: str
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    n: int
    env: dict[str, str]
    label: str


@dataclass
class Tally:
    injected: int = 0
    killed: int = 0
    finished_first: int = 0  # the run ended before its kill came
    survived: int = 0
    events: int = 0


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    root = tmp_path_factory.mktemp("fault-templates")
    demo = scenarios.build_base(root / "base")
    scenarios.build_import(root / "import", root / "base")
    scenarios.build_links(root / "links", root / "base")
    return Templates(root, demo)


@pytest.fixture(scope="module")
def fake(templates: Templates) -> Iterator[FakeProviders]:
    with FakeProviders(scenarios.catalogue_for(templates.demo)) as server:
        server.set_latency(0.005)
        yield server


def case_for(command: str, fake: FakeProviders) -> Case:
    if command == "import":
        # Saves every 16 files: 14 saves for the ~200 files of the changed share.
        return Case("import", ("import",),
                    {"VTQ_FAULT_RECORD_BATCH": "16", "VTQ_FAULT_FAST_PARSER": "1"})  # fmt: skip
    if command == "enrich":
        return Case(
            "base",
            ("enrich", "--rate", "tmdb=500", "--rate", "tvdb=500"),
            {**fake.env(), "VTQ_FAULT_RECORD_BATCH": "2"},
        )
    if command == "repair-links":
        return Case("links", ("repair-links", "--auto", "--quarantine-orphans"),
                    {checkpoints.LINK_BATCH_ENV: "3"})  # fmt: skip
    assert command == "organize"
    return Case("links", ("organize",), {checkpoints.LINK_BATCH_ENV: "3"})


def plan_faults(command: str, points: list[str], duration: float) -> list[Fault]:
    """12 trace points (each kind at least once) and 8 delays, from a fixed seed."""
    rng = random.Random(f"kill-{command}")
    by_kind: dict[str, list[int]] = {}
    for i, name in enumerate(points, start=1):
        by_kind.setdefault(name, []).append(i)
    chosen = {rng.choice(ix) for ix in by_kind.values()}
    rest = [i for i in range(1, len(points) + 1) if i not in chosen]
    chosen |= set(rng.sample(rest, max(0, min(len(rest), POINT_KILLS - len(chosen)))))
    faults = [
        Fault(n, {"VTQ_FAULT_KILL_AT": str(n)}, f"point {n}/{len(points)} ({points[n - 1]})")
        for n in sorted(chosen)[:POINT_KILLS]
    ]
    for _ in range(DELAY_KILLS):
        delay = rng.uniform(0.0, duration)
        faults.append(Fault(-1, {"VTQ_FAULT_KILL_AFTER": f"{delay:.3f}"}, f"after {delay:.3f}s"))
    return faults


def check_fault(
    case: Case, fault: Fault, templates: Templates, reference: harness.State, where: Path
) -> tuple[bool, int]:
    """Kill, run again, compare. Returns (killed, events compared)."""
    home = harness.copy_library(templates.root / case.template, where)
    killed = harness.vtq(home, *case.args, env={**case.env, **fault.env})
    was_killed = killed.returncode == -signal.SIGKILL
    assert was_killed or killed.returncode in (0, 1), (fault.label, killed.stderr)
    again = harness.vtq(home, *case.args, env=case.env)
    assert again.returncode in (0, 1), (fault.label, again.stderr)
    assert "Traceback" not in again.stderr, (fault.label, again.stderr)

    state = harness.state_of(home)
    for part in ("disk", "events", "projection"):
        diff = harness.first_difference(getattr(state, part), getattr(reference, part))
        assert diff is None, f"{fault.label}: {part} differs: {diff}"
    assert state.leftovers == [], (fault.label, state.leftovers)
    # The killed run stays visible (unfinished, unless its end was saved); all others ended.
    unfinished = [r for r in state.runs if r[2] != "finished"]
    assert len(unfinished) <= 1, (fault.label, state.runs)
    assert len(state.runs) - len(reference.runs) in (0, 1), (fault.label, state.runs)
    assert state.runs[-1][2] == "finished", (fault.label, state.runs)
    incremental = harness.dump(home.home / "catalog.duckdb")
    rebuilt = harness.rebuilt_dump(home, where / "rebuild")
    assert incremental == rebuilt, (
        f"{fault.label}: rebuild differs: {harness.first_difference(incremental, rebuilt)}"
    )
    return was_killed, sum(state.events.values()) + state.stored


TALLY: dict[str, Tally] = {}


@pytest.mark.parametrize("command", ["import", "enrich", "repair-links", "organize"])
def test_a_command_killed_anywhere_is_completed_by_the_next_run(
    command: str, templates: Templates, fake: FakeProviders, tmp_path: Path
) -> None:
    case = case_for(command, fake)
    ref_home = harness.copy_library(templates.root / case.template, tmp_path / "reference")
    result, points, duration = harness.trace(ref_home, *case.args, env=case.env)
    assert result.returncode in (0, 1), result.stderr
    reference = harness.state_of(ref_home)
    assert reference.events, "the reference run did no work"

    faults = plan_faults(command, points, duration)
    assert len(faults) >= 20
    tally = TALLY.setdefault(command, Tally())

    def one(i_fault: tuple[int, Fault]) -> tuple[bool, int]:
        i, fault = i_fault
        return check_fault(case, fault, templates, reference, tmp_path / f"fault-{i:02d}")

    with ThreadPoolExecutor(WORKERS) as pool:
        for was_killed, compared in pool.map(one, enumerate(faults)):
            tally.injected += 1
            tally.killed += was_killed
            tally.finished_first += not was_killed
            tally.survived += 1
            tally.events += compared
    print(
        f"\n{command}: {tally.injected} faults injected ({tally.killed} killed mid-run, "
        f"{tally.finished_first} finished before the kill), {tally.survived} runs survived, "
        f"{tally.events} events compared; trace of {len(points)} points over {duration:.2f}s"
    )
    assert tally.killed >= 15, "most faults must land while the command runs"
