"""`undo RUN_ID` after a repair, a quarantine and an organize run: back as it was, recorded;
refusal naming the paths that changed since, --force, --dry-run."""

from __future__ import annotations

import json
import os

from tests.conftest import Lib
from tests.e2e.test_repair_links import AMELIE, MATRIX, NOTHING, moved_library
from tests.link_tree import link, link_events, snapshot


def test_undo_after_repair_and_quarantine_puts_every_link_back(lib: Lib) -> None:
    moved_library(lib)
    link(lib, NOTHING, lib.storage / "Old/nothing.mkv")
    before = snapshot(lib.video)
    run = lib.json("repair-links", "--auto", "--quarantine-orphans")
    assert len(run["repaired"]) == 2 and len(run["quarantined"]) == 1
    trash_entry = lib.trash / run["quarantined"][0]["trash_path"]
    assert os.path.islink(trash_entry)

    result = lib.cli("undo", run["run_id"], "--json")
    assert result.exit_code == 0, result.output
    undo = json.loads(result.stdout)
    assert undo["undoes"] == run["run_id"] and undo["command"] == "repair-links"
    assert {r["link"] for r in undo["restored"]} == {AMELIE, MATRIX, NOTHING}
    assert snapshot(lib.video) == before  # every link as it was, with its exact text
    assert not os.path.lexists(trash_entry)  # moved back, not copied
    restored = [e for e in link_events(lib) if e["type"] == "LinkRestored"]
    assert len(restored) == 3
    assert {e["payload"]["undoes"] for e in restored} == {run["run_id"]}
    assert {e["run_id"] for e in restored} == {undo["run_id"]}

    # undoing it again finds everything already as before: nothing to do, nothing recorded
    again = lib.json("undo", run["run_id"])
    assert again["restored"] == [] and len(again["already"]) == 3
    assert len([e for e in link_events(lib) if e["type"] == "LinkRestored"]) == 3


def test_undo_refuses_naming_the_changed_paths_unless_forced(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    moved_library(lib)
    run = lib.json("repair-links", "--auto")["run_id"]
    os.unlink(lib.video / MATRIX)
    os.symlink("my/own/choice.mkv", lib.video / MATRIX)  # a person changed one since
    after_repair = os.readlink(lib.video / AMELIE)

    dry = lib.cli("undo", run, "--dry-run")
    assert dry.exit_code == 1 and MATRIX in dry.stderr
    refused = lib.cli("undo", run)
    assert refused.exit_code == 1
    assert MATRIX in refused.stderr and "refused" in refused.stderr
    assert os.readlink(lib.video / AMELIE) == after_repair  # nothing changed
    assert os.readlink(lib.video / MATRIX) == "my/own/choice.mkv"

    forced = lib.cli("undo", run, "--force", "--json")
    assert forced.exit_code == 1  # done, with a path left alone
    report = json.loads(forced.stdout)
    assert [r["link"] for r in report["restored"]] == [AMELIE]
    assert [c["link"] for c in report["conflicts"]] == [MATRIX]
    assert os.readlink(lib.video / AMELIE).endswith("storage/Films/Amelie.2001.1080p.mkv")
    assert os.readlink(lib.video / MATRIX) == "my/own/choice.mkv"


def test_undo_dry_run_changes_nothing(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    moved_library(lib)
    link(lib, NOTHING, lib.storage / "Old/nothing.mkv")
    run = lib.json("repair-links", "--auto", "--quarantine-orphans")["run_id"]
    before = snapshot(lib.video, lib.trash)
    n_events = len(link_events(lib))
    report = lib.json("undo", run, "--dry-run")
    assert report["run_id"] is None and len(report["restored"]) == 3
    assert snapshot(lib.video, lib.trash) == before
    assert len(link_events(lib)) == n_events


def test_undo_of_organize_takes_created_links_to_the_trash(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    lib.write("Films/Heat.1995.mkv")
    assert lib.cli("import").exit_code == 0
    org = lib.json("organize")
    created = lib.video / "Films/Heat (1995)/Heat (1995).mkv"
    assert [c["link"] for c in org["created"]] == ["Films/Heat (1995)/Heat (1995).mkv"]
    text = os.readlink(created)
    undo = lib.json("undo", org["run_id"][:8])  # a prefix is enough
    assert not os.path.lexists(created)
    moved = lib.trash / "undo" / undo["run_id"] / "Films/Heat (1995)/Heat (1995).mkv"
    assert os.readlink(moved) == text  # taken away, not deleted
    assert [e["type"] for e in link_events(lib)][-1] == "LinkRemoved"
    # organize again makes it anew
    assert lib.json("organize")["created"][0]["link"] == "Films/Heat (1995)/Heat (1995).mkv"


def test_undo_of_unknown_or_undo_runs_is_a_usage_error(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    assert lib.cli("undo", "ffffffff").exit_code == 2
    lib.write("Films/Heat.1995.mkv")
    assert lib.cli("import").exit_code == 0
    imp = lib.json("runs")[0]["run_id"]
    nothing = lib.cli("undo", imp)
    assert nothing.exit_code == 0 and "changed no link" in nothing.stderr
    undo_run = lib.json("runs")[0]["run_id"]
    again = lib.cli("undo", undo_run)
    assert again.exit_code == 2 and "itself an undo" in again.stderr


def test_undoing_organize_twice_finds_nothing_left_to_do(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    lib.write("Films/Heat.1995.mkv")
    lib.write("Films/Alien.1979.mkv")
    assert lib.cli("import").exit_code == 0
    org = lib.json("organize")["run_id"]
    first = lib.json("undo", org)
    assert len(first["removed"]) == 2
    n_events = len(link_events(lib))
    n_runs = len(lib.json("runs"))
    trash = snapshot(lib.video, lib.trash)

    again = lib.cli("undo", org, "--json")
    assert again.exit_code == 0, again.output  # no refusal, no --force needed
    report = json.loads(again.stdout)
    assert report["removed"] == [] and report["conflicts"] == [] and not report["refused"]
    assert len(report["already"]) == 2
    assert "nothing left to do" in again.stderr
    assert len(link_events(lib)) == n_events  # nothing recorded
    assert report["run_id"] is None and len(lib.json("runs")) == n_runs  # not even a run
    assert snapshot(lib.video, lib.trash) == trash  # nothing moved


def test_any_unique_prefix_of_a_run_id_names_it(sqlite_lib: Lib) -> None:
    lib = sqlite_lib
    lib.write("Films/Heat.1995.mkv")
    for _ in range(17):  # 17 runs: two of them at least share their first character
        assert lib.cli("import").exit_code == 0
    ids = [r["run_id"] for r in lib.json("runs")]
    for run in ids:  # its shortest unique prefix names it, one character if that is all
        size = next(n for n in range(1, 37) if sum(i.startswith(run[:n]) for i in ids) == 1)
        assert lib.json("undo", run[:size], "--dry-run")["undoes"] == run

    shared = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) >= 2)
    ambiguous = lib.cli("undo", shared, "--dry-run")
    assert ambiguous.exit_code == 2
    assert "give more of it" in ambiguous.stderr
    assert all(i in ambiguous.stderr for i in ids if i.startswith(shared))  # the candidates

    assert lib.cli("undo", "").exit_code == 2
    assert "no run" in lib.cli("undo", "%").stderr  # taken literally, not a wildcard
    assert lib.cli("undo", "_").exit_code == 2
