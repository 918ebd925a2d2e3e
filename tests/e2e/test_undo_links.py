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
